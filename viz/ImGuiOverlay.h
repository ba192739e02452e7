#pragma once
// ImGuiOverlay: the Dear ImGui layer drawn into the viewport image after the
// heatmap, in the same render pass: axis labels (layer/head in the grid,
// frame numbers in the zoom), the hover read-out, the colormap legend with
// ticks, and the brush palette. It owns its own ImGui context (so several
// viewports can coexist) and keeps no copy of the atlas: each frame is built
// from the OverlayContent the viewport passes in.
#include <vulkan/vulkan.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/BlockLayout.h"
#include "viz/AtlasViewport.h"
#include "viz/GridLayout.h"
#include "viz/HoverReadout.h"
#include "viz/VulkanContext.h"

struct ImGuiContext;

namespace attnscope::viz {

struct OverlayContent {
  ViewState view;
  ViewGeometry geometry;
  bool hasAtlas = false;
  int step = 0;
  int64_t layers = 0, heads = 0, blocks = 0;
  float legendMax = 0;  // value at the top of the colour scale (zoom mode, linear/log)
  std::vector<float> framePositions;  // frame boundaries in block units
  std::vector<int64_t> frameNumbers;  // the frame starting at each
  std::optional<HoverReadout> hover;
};

class ImGuiOverlay {
 public:
  ImGuiOverlay(VulkanContext& ctx, VkRenderPass renderPass);
  ~ImGuiOverlay();
  ImGuiOverlay(const ImGuiOverlay&) = delete;
  ImGuiOverlay& operator=(const ImGuiOverlay&) = delete;

  // Builds one ImGui frame for a width x height viewport with this input.
  void build(int width, int height, const PointerInput& pointer, const OverlayContent& content);
  // Records the frame built last into a command buffer inside the render pass.
  void record(VkCommandBuffer cmd);

  OverlayOutput output() const { return output_; }
  void setBrush(BrushTool brush) { output_.brush = brush; }

 private:
  void drawLabels(const OverlayContent& c);
  void frame(int width, int height, const PointerInput& pointer, const OverlayContent& content);
  void drawHover(const OverlayContent& c, const PointerInput& pointer, int width, int height);
  void drawLegend(const OverlayContent& c, int width, int height);
  void drawBrushPalette(int width);

  VulkanContext& ctx_;
  ImGuiContext* imgui_ = nullptr;
  VkDescriptorPool pool_ = VK_NULL_HANDLE;
  OverlayOutput output_;
  double lastFrameSeconds_ = 0;
  bool warm_ = false;
};

}  // namespace attnscope::viz
