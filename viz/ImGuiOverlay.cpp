#include "viz/ImGuiOverlay.h"

#include <imgui.h>
#include <imgui_impl_vulkan.h>

#include <algorithm>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "viz/Colormaps.h"
#include "viz/Scaling.h"

namespace attnscope::viz {
namespace {

ImU32 toImColour(const std::array<float, 3>& rgb, float alpha = 1.0f) {
  return ImGui::ColorConvertFloat4ToU32(ImVec4(rgb[0], rgb[1], rgb[2], alpha));
}

double nowSeconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

constexpr ImGuiWindowFlags kPanelFlags = ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_AlwaysAutoResize |
                                         ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoCollapse;
}  // namespace

ImGuiOverlay::ImGuiOverlay(VulkanContext& ctx, VkRenderPass renderPass) : ctx_(ctx) {
  IMGUI_CHECKVERSION();
  ImGuiContext* previous = ImGui::GetCurrentContext();
  imgui_ = ImGui::CreateContext();
  ImGui::SetCurrentContext(imgui_);
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // the UI remembers layout with QSettings; ImGui writes no files
  io.LogFilename = nullptr;
  ImGui::StyleColorsDark();
  ImGui::GetStyle().WindowRounding = 4.0f;

  VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 4};
  VkDescriptorPoolCreateInfo dpci{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  dpci.flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT;
  dpci.maxSets = 4;
  dpci.poolSizeCount = 1;
  dpci.pPoolSizes = &size;
  checkVk(vkCreateDescriptorPool(ctx_.device(), &dpci, nullptr, &pool_), "vkCreateDescriptorPool (ImGui)");

  ImGui_ImplVulkan_InitInfo init{};
  init.Instance = ctx_.instance();
  init.PhysicalDevice = ctx_.physicalDevice();
  init.Device = ctx_.device();
  init.QueueFamily = ctx_.queueFamily();
  init.Queue = ctx_.queue();
  init.DescriptorPool = pool_;
  init.Subpass = 0;
  init.MinImageCount = 2;  // frames are synchronous; the backend wants >= 2 buffers
  init.ImageCount = 2;
  init.MSAASamples = VK_SAMPLE_COUNT_1_BIT;
  ImGui_ImplVulkan_Init(&init, renderPass);
  ctx_.submitAndWait([](VkCommandBuffer cmd) { ImGui_ImplVulkan_CreateFontsTexture(cmd); });
  ImGui_ImplVulkan_DestroyFontUploadObjects();
  ImGui::SetCurrentContext(previous);
}

ImGuiOverlay::~ImGuiOverlay() {
  vkDeviceWaitIdle(ctx_.device());
  ImGuiContext* previous = ImGui::GetCurrentContext();
  ImGui::SetCurrentContext(imgui_);
  ImGui_ImplVulkan_Shutdown();
  ImGui::DestroyContext(imgui_);
  ImGui::SetCurrentContext(previous == imgui_ ? nullptr : previous);
  if (pool_) vkDestroyDescriptorPool(ctx_.device(), pool_, nullptr);
}

void ImGuiOverlay::build(int width, int height, const PointerInput& pointer, const OverlayContent& content) {
  ImGui::SetCurrentContext(imgui_);
  ImGuiIO& io = ImGui::GetIO();
  io.DisplaySize = ImVec2(float(width), float(height));
  double now = nowSeconds();
  io.DeltaTime = lastFrameSeconds_ > 0 ? float(std::clamp(now - lastFrameSeconds_, 1e-4, 0.5)) : 1.0f / 60.0f;
  lastFrameSeconds_ = now;
  // ImGui hides a new auto-sized window for its first frame (it is being
  // measured); one throw-away frame makes the very first image complete.
  if (!warm_) {
    io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
    frame(width, height, PointerInput{}, content);
    warm_ = true;
  }
  bool inside = pointer.x >= 0 && pointer.y >= 0 && pointer.x < width && pointer.y < height;
  io.MousePos = inside ? ImVec2(pointer.x, pointer.y) : ImVec2(-FLT_MAX, -FLT_MAX);
  for (int b = 0; b < 3; ++b) io.MouseDown[b] = pointer.down[b];
  io.MouseWheel = pointer.wheel;
  frame(width, height, pointer, content);
}

void ImGuiOverlay::frame(int width, int height, const PointerInput& pointer, const OverlayContent& content) {
  ImGui_ImplVulkan_NewFrame();
  ImGui::NewFrame();
  if (content.hasAtlas) {
    drawLabels(content);
    drawLegend(content, width, height);
  } else {
    ImGui::GetBackgroundDrawList()->AddText(ImVec2(kMarginLeft, kMarginTop), IM_COL32(200, 200, 200, 255),
                                            "No attention atlas loaded");
  }
  drawBrushPalette(width);
  output_.wantsPointer = ImGui::GetIO().WantCaptureMouse;
  if (content.hasAtlas && !output_.wantsPointer) drawHover(content, pointer, width, height);
  ImGui::Render();
}

void ImGuiOverlay::record(VkCommandBuffer cmd) {
  ImGui::SetCurrentContext(imgui_);
  ImGui_ImplVulkan_RenderDrawData(ImGui::GetDrawData(), cmd);
}

void ImGuiOverlay::drawLabels(const OverlayContent& c) {
  ImDrawList* draw = ImGui::GetBackgroundDrawList();
  const ViewGeometry& g = c.geometry;
  const ImU32 text = IM_COL32(210, 210, 215, 255), dim = IM_COL32(150, 150, 160, 255);
  const float lineH = ImGui::GetTextLineHeight();
  char buf[64];
  if (g.mode == ViewMode::Grid) {
    std::snprintf(buf, sizeof buf, "s%d", c.step);  // the step, in the corner between the label rows
    draw->AddText(ImVec2(4, 2), text, buf);
    int every = std::max(1, int(std::ceil(lineH / std::max(g.pitchY, 1.0f))));
    for (int r = 0; r < g.rows; r += every) {
      std::snprintf(buf, sizeof buf, "L%d", r);
      draw->AddText(ImVec2(4, g.originY + r * g.pitchY + 0.5f * (g.mapH - lineH)),
                    r == c.view.layer ? text : dim, buf);
    }
    float labelW = ImGui::CalcTextSize("H00").x + 4;
    int everyCol = std::max(1, int(std::ceil(labelW / std::max(g.pitchX, 1.0f))));
    for (int col = 0; col < g.cols; col += everyCol) {
      std::snprintf(buf, sizeof buf, "H%d", col);
      draw->AddText(ImVec2(g.originX + col * g.pitchX, 2), col == c.view.head ? text : dim, buf);
    }
    return;
  }
  // Zoom: frame numbers on both axes, where there is room for them.
  std::snprintf(buf, sizeof buf, "s%d L%d H%d", c.step, c.view.layer, c.view.head);  // as the grid's labels
  draw->AddText(ImVec2(4, 2), text, buf);
  if (c.blocks <= 0) return;
  float lastX = 4 + ImGui::CalcTextSize(buf).x, lastY = -1e9f;  // top labels start after the title
  for (size_t i = 0; i < c.framePositions.size(); ++i) {
    std::snprintf(buf, sizeof buf, "f%lld", static_cast<long long>(c.frameNumbers[i]));
    float x = g.originX + c.framePositions[i] / c.blocks * g.mapW;
    float y = g.originY + c.framePositions[i] / c.blocks * g.mapH;
    float w = ImGui::CalcTextSize(buf).x;
    if (x >= g.content.x0 && x + w < g.content.x1 && x - lastX > w + 4) {
      draw->AddText(ImVec2(x + 2, g.content.y0 - lineH - 1), dim, buf);
      lastX = x;
    }
    if (y >= g.content.y0 && y + lineH < g.content.y1 && y - lastY > lineH) {
      draw->AddText(ImVec2(2, y + 1), dim, buf);
      lastY = y;
    }
  }
}

void ImGuiOverlay::drawHover(const OverlayContent& c, const PointerInput& pointer, int width, int height) {
  if (!c.hover) return;
  // Drawn straight into the foreground list (not a window) so it shows in
  // the same frame the pointer arrives, placed to stay inside the viewport.
  const std::vector<std::string> lines = c.hover->lines();
  const float pad = 6, lineH = ImGui::GetTextLineHeightWithSpacing();
  float w = 0;
  for (const auto& l : lines) w = std::max(w, ImGui::CalcTextSize(l.c_str()).x);
  ImVec2 size(w + 2 * pad, lines.size() * lineH + 2 * pad - (lineH - ImGui::GetTextLineHeight()));
  ImVec2 at(pointer.x + 16, pointer.y + 16);
  if (at.x + size.x > width) at.x = std::max(0.0f, pointer.x - 16 - size.x);
  if (at.y + size.y > height) at.y = std::max(0.0f, pointer.y - 16 - size.y);
  ImDrawList* draw = ImGui::GetForegroundDrawList();
  draw->AddRectFilled(at, ImVec2(at.x + size.x, at.y + size.y), IM_COL32(24, 24, 30, 235), 4.0f);
  draw->AddRect(at, ImVec2(at.x + size.x, at.y + size.y), IM_COL32(110, 110, 125, 255), 4.0f);
  for (size_t i = 0; i < lines.size(); ++i)
    draw->AddText(ImVec2(at.x + pad, at.y + pad + i * lineH), IM_COL32(235, 235, 240, 255), lines[i].c_str());
}

void ImGuiOverlay::drawLegend(const OverlayContent& c, int width, int height) {
  const float barW = 180, barH = 12;
  ImGui::SetNextWindowPos(ImVec2(width - 8.0f, height - 8.0f), ImGuiCond_Always, ImVec2(1, 1));
  ImGui::SetNextWindowBgAlpha(0.85f);
  ImGui::Begin("Legend", nullptr, kPanelFlags | ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoMove);
  const Scaling scaling = c.view.scaling;
  ImGui::Text("%s, %s", colormapName(c.view.colormap), scalingName(scaling));
  ImVec2 p = ImGui::GetCursorScreenPos();
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const int segments = 32;
  for (int i = 0; i < segments; ++i) {
    float t0 = float(i) / segments, t1 = float(i + 1) / segments;
    ImU32 a = toImColour(colormapColour(c.view.colormap, t0)), b = toImColour(colormapColour(c.view.colormap, t1));
    draw->AddRectFilledMultiColor(ImVec2(p.x + t0 * barW, p.y), ImVec2(p.x + t1 * barW, p.y + barH), a, b, b, a);
  }
  // Ticks: values where the scale has one number (the zoomed map), else fractions of each map's / row's max.
  const bool absolute = c.view.mode == ViewMode::Zoom && scaling != Scaling::RowNormalised && c.legendMax > 0;
  // Ticks at both ends and the middle; a label that would overlap its neighbour is left out.
  const float ticks[3] = {0.0f, 1.0f, 0.5f};
  std::vector<std::pair<float, float>> placed;  // label x ranges
  for (float t : ticks) {
    float x = p.x + t * barW;
    draw->AddLine(ImVec2(x, p.y + barH), ImVec2(x, p.y + barH + 4), IM_COL32(220, 220, 220, 255));
    float value = scaling == Scaling::Log ? std::pow(10.0f, (t - 1.0f) * kLogDecades) : t;
    if (absolute) value *= c.legendMax;
    char label[32];
    std::snprintf(label, sizeof label, "%s%.3g", scaling == Scaling::Log && t == 0.0f ? "<=" : "", value);
    float w = ImGui::CalcTextSize(label).x;
    float lx = std::clamp(x - 0.5f * w, p.x, p.x + barW - w);
    bool overlaps = false;
    for (auto [a, b] : placed) overlaps |= lx < b + 6 && lx + w + 6 > a;
    if (overlaps) continue;
    placed.push_back({lx, lx + w});
    draw->AddText(ImVec2(lx, p.y + barH + 5), IM_COL32(220, 220, 220, 255), label);
  }
  ImGui::Dummy(ImVec2(barW, barH + 6 + ImGui::GetTextLineHeight()));
  if (!absolute)
    ImGui::TextDisabled(scaling == Scaling::RowNormalised ? "x row max" : "x each map's max");
  ImGui::End();
}

void ImGuiOverlay::drawBrushPalette(int width) {
  ImGui::SetNextWindowPos(ImVec2(width - 8.0f, 8.0f), ImGuiCond_Always, ImVec2(1, 0));
  ImGui::SetNextWindowBgAlpha(0.85f);
  ImGui::Begin("Brush", nullptr, kPanelFlags | ImGuiWindowFlags_NoMove);
  static const std::pair<BrushTool, const char*> tools[] = {
      {BrushTool::Brush, "Brush"},       {BrushTool::Rectangle, "Rectangle"}, {BrushTool::Erase, "Erase"},
      {BrushTool::FillRow, "Fill row"}, {BrushTool::FillColumn, "Fill column"}};
  // Full-width rows: the whole row is the click target, the current tool is highlighted.
  for (const auto& [tool, name] : tools)
    if (ImGui::Selectable(name, output_.brush == tool, 0, ImVec2(110, 0))) output_.brush = tool;
  ImGui::End();
}

}  // namespace attnscope::viz
