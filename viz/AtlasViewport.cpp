// AtlasViewport: glue between the Vulkan context, the heatmap pipeline, the
// prepared atlas/mask buffers and the ImGui overlay (see AtlasViewport.h).
#include "viz/AtlasViewport.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <thread>

#include "engine/core/Error.h"
#include "viz/Colormaps.h"
#include "viz/GridLayout.h"
#include "viz/HeatmapParams.h"
#include "viz/HeatmapPipeline.h"
#include "viz/HoverReadout.h"
#include "viz/ImGuiOverlay.h"
#include "viz/PreparedAtlas.h"
#include "viz/PreparedMask.h"
#include "viz/Scaling.h"
#include "viz/VulkanContext.h"

namespace attnscope::viz {

struct AtlasViewport::Impl {
  // Declared first: destroyed last, after every buffer that lives on its device.
  std::unique_ptr<VulkanContext> ctx;
  std::unique_ptr<HeatmapPipeline> pipeline;
  std::unique_ptr<ImGuiOverlay> overlay;
  std::shared_ptr<const PreparedAtlas> atlas;
  std::shared_ptr<PreparedMask> mask;
  ShadingPath shading = ShadingPath::Auto;
  // Threads freeing replaced atlases (unmapping a large one takes tens of ms:
  // not on the GUI thread). Joined before the next retirement and on destruction.
  std::vector<std::thread> retiring;

  void retire(std::shared_ptr<const PreparedAtlas> old) {
    for (std::thread& t : retiring) t.join();
    retiring.clear();
    if (old) retiring.emplace_back([old = std::move(old)]() mutable { old.reset(); });
  }

  void rebind() { pipeline->bind(atlas.get(), mask.get()); }

  // The map point under (x, y) for this view, or nullopt.
  std::optional<HeatmapHit> hit(const ViewGeometry& g, const ViewState& view, int step, float x, float y) const {
    auto point = locateMapPoint(g, x, y);
    if (!point) return std::nullopt;
    HeatmapHit h;
    h.layer = view.mode == ViewMode::Zoom ? view.layer : point->row;
    h.head = view.mode == ViewMode::Zoom ? view.head : point->col;
    int entry = atlas->entry(step, h.layer);
    if (entry < 0 || h.head < 0 || h.head >= atlas->heads) return std::nullopt;
    const int64_t n = atlas->blocks;
    h.kBlock = std::min<int64_t>(static_cast<int64_t>(point->u * float(n)), n - 1);
    h.qBlock = std::min<int64_t>(static_cast<int64_t>(point->v * float(n)), n - 1);
    h.value = atlas->value(entry, h.head, h.qBlock, h.kBlock);
    return h;
  }

  void checkZoomTarget(const ViewState& view) const {
    if (view.mode == ViewMode::Zoom &&
        (view.layer < 0 || view.layer >= atlas->layers || view.head < 0 || view.head >= atlas->heads))
      throw Error("layer " + std::to_string(view.layer) + " head " + std::to_string(view.head) +
                  " is outside the atlas' " + std::to_string(atlas->layers) + " layers x " +
                  std::to_string(atlas->heads) + " heads");
  }
};

AtlasViewport::AtlasViewport() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = std::make_unique<VulkanContext>();
  impl_->pipeline = std::make_unique<HeatmapPipeline>(*impl_->ctx);
  impl_->overlay = std::make_unique<ImGuiOverlay>(*impl_->ctx, impl_->pipeline->overlayRenderPass());
}

AtlasViewport::~AtlasViewport() {
  if (!impl_) return;
  impl_->retire(nullptr);
  impl_->overlay.reset();
  impl_->pipeline.reset();
  impl_->mask.reset();
  impl_->atlas.reset();
}

std::shared_ptr<const PreparedAtlas> AtlasViewport::prepareAtlas(const AttentionAtlas& atlas) const {
  return PreparedAtlas::build(*impl_->ctx, atlas);
}

void AtlasViewport::commitAtlas(std::shared_ptr<const PreparedAtlas> prepared) {
  if (!prepared) return clearAtlas();
  if (impl_->mask) {
    try {
      impl_->mask->checkFits(*prepared);
    } catch (const Error&) {
      impl_->mask.reset();  // documented: a plan that does not fit the new atlas is dropped
    }
  }
  std::shared_ptr<const PreparedAtlas> old = std::move(impl_->atlas);
  impl_->atlas = std::move(prepared);
  impl_->rebind();                   // the descriptors no longer name the old buffers...
  impl_->retire(std::move(old));     // ...and no frame is in flight: free them on a worker
}

void AtlasViewport::setAtlas(const AttentionAtlas& atlas) { commitAtlas(prepareAtlas(atlas)); }

void AtlasViewport::clearAtlas() {
  std::shared_ptr<const PreparedAtlas> old = std::move(impl_->atlas);
  impl_->rebind();
  impl_->retire(std::move(old));
}

bool AtlasViewport::hasAtlas() const { return impl_->atlas != nullptr; }

std::vector<int> AtlasViewport::capturedSteps() const {
  return impl_->atlas ? impl_->atlas->steps : std::vector<int>{};
}

void AtlasViewport::setMaskPlan(const MaskPlan* plan) {
  if (!plan) {
    impl_->mask.reset();
    impl_->rebind();
    return;
  }
  // Painting sends a plan per stroke: reuse the buffer when the shape is unchanged.
  if (impl_->mask && impl_->mask->refill(*plan)) {
    impl_->rebind();  // the heatmap shows the new bytes
    return;
  }
  auto mask = PreparedMask::build(*impl_->ctx, *plan);
  if (impl_->atlas) mask->checkFits(*impl_->atlas);
  impl_->mask = std::move(mask);
  impl_->rebind();
}

void AtlasViewport::setBrush(BrushTool brush) { impl_->overlay->setBrush(brush); }

void AtlasViewport::setShadingPath(ShadingPath path) { impl_->shading = path; }

OverlayOutput AtlasViewport::overlay() const { return impl_->overlay->output(); }

std::string AtlasViewport::deviceName() const { return impl_->ctx->deviceName(); }

int64_t AtlasViewport::heatmapDraws() const { return impl_->pipeline->heatmapDraws(); }

std::optional<HeatmapHit> AtlasViewport::hitTest(int width, int height, const ViewState& view, float x,
                                                 float y) const {
  const auto& atlas = impl_->atlas;
  if (!atlas) return std::nullopt;
  if (view.mode == ViewMode::Zoom &&
      (view.layer < 0 || view.layer >= atlas->layers || view.head < 0 || view.head >= atlas->heads))
    return std::nullopt;
  int step = atlas->resolveStep(view.step);
  ViewGeometry g = computeGeometry(width, height, view, atlas->layers, atlas->heads, atlas->blocks, atlas->blocks);
  return impl_->hit(g, view, step, x, y);
}

std::vector<std::string> AtlasViewport::hoverLines(int width, int height, const ViewState& view, float x,
                                                  float y) const {
  std::optional<HeatmapHit> hit = hitTest(width, height, view, x, y);
  if (!hit) return {};
  return HoverReadout::make(*impl_->atlas, impl_->mask.get(), *hit, impl_->atlas->resolveStep(view.step)).lines();
}

RenderedImage AtlasViewport::render(int width, int height, const ViewState& view, const PointerInput& pointer) {
  Impl& m = *impl_;
  HeatmapParams p{};
  p.backgroundR = shading::kBackground[0];
  p.backgroundG = shading::kBackground[1];
  p.backgroundB = shading::kBackground[2];
  p.logDecades = kLogDecades;
  std::vector<int32_t> layerEntry;
  std::vector<uint8_t> boundaryPixels;
  OverlayContent content;
  content.view = view;

  if (m.atlas) {
    const PreparedAtlas& a = *m.atlas;
    m.checkZoomTarget(view);
    const int step = a.resolveStep(view.step);
    const ViewGeometry g = computeGeometry(width, height, view, a.layers, a.heads, a.blocks, a.blocks);
    p.originX = g.originX;
    p.originY = g.originY;
    p.pitchX = g.pitchX;
    p.pitchY = g.pitchY;
    p.mapW = g.mapW;
    p.mapH = g.mapH;
    p.clipX0 = g.content.x0;
    p.clipY0 = g.content.y0;
    p.clipX1 = g.content.x1;
    p.clipY1 = g.content.y1;
    p.ringWidth = g.ringWidth;
    p.cols = g.cols;
    p.rows = g.rows;
    p.heads = static_cast<int32_t>(a.heads);
    p.nq = p.nk = static_cast<int32_t>(a.blocks);
    p.zoomMode = view.mode == ViewMode::Zoom ? 1 : 0;
    p.zoomLayer = p.highlightLayer = view.layer;
    p.zoomHead = p.highlightHead = view.head;
    p.scaling = static_cast<int32_t>(view.scaling);
    p.colormap = static_cast<int32_t>(view.colormap);
    p.showMask = view.showMask ? 1 : 0;
    p.maskPresent = m.mask ? 1 : 0;
    p.showBoundaries = view.showFrameBoundaries ? 1 : 0;
    p.rowMaxOffset = static_cast<int32_t>(a.mapCount());
    p.viewportWidth = width;
    const int64_t visibleBlocks = (view.mode == ViewMode::Zoom ? 1 : a.layers * a.heads) * a.blocks * a.blocks;
    p.perBlock = m.shading == ShadingPath::PerBlock ||
                 (m.shading == ShadingPath::Auto && 2 * visibleBlocks <= int64_t(width) * height);
    // Cells smaller than the map: read the max-pooled level whose blocks are at most a pixel.
    const float blocksPerPixel = float(a.blocks) / std::max(1.0f, std::min(g.mapW, g.mapH));
    p.pyramidLevel = p.perBlock ? 0 : std::min(a.pyramidLevels(), std::max(0, int(std::floor(std::log2(blocksPerPixel)))));
    p.pyramidOffset = p.pyramidLevel ? static_cast<int32_t>(a.pyramidOffset[p.pyramidLevel]) : 0;
    p.pyramidSide = p.pyramidLevel ? static_cast<int32_t>(a.pyramidSide[p.pyramidLevel]) : 0;
    if (view.showFrameBoundaries) boundaryPixels = a.boundaries.boundaryPixels(g, width, height, a.blocks);
    layerEntry.resize(a.layers);
    for (int64_t l = 0; l < a.layers; ++l) layerEntry[l] = a.entry(step, static_cast<int>(l));

    content.geometry = g;
    content.hasAtlas = true;
    content.step = step;
    content.layers = a.layers;
    content.heads = a.heads;
    content.blocks = a.blocks;
    content.framePositions = a.boundaries.positions;
    content.frameNumbers = a.boundaries.firstFrame;
    int zoomEntry = a.entry(step, view.layer);
    if (zoomEntry >= 0 && view.head >= 0 && view.head < a.heads)
      content.legendMax = a.mapMax[zoomEntry * a.heads + view.head];
    if (auto h = m.hit(g, view, step, pointer.x, pointer.y))
      content.hover = HoverReadout::make(a, m.mask.get(), *h, step);
  } else {
    p.clipX1 = p.clipY1 = 0;  // nothing but background
  }
  std::function<void(VkCommandBuffer)> overlayDraws;
  if (view.showOverlay) {
    m.overlay->build(width, height, pointer, content);
    overlayDraws = [&](VkCommandBuffer cmd) { m.overlay->record(cmd); };
  }
  return m.pipeline->render(width, height, p, layerEntry, boundaryPixels, overlayDraws);
}

}  // namespace attnscope::viz
