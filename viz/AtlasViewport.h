#pragma once
// AtlasViewport: the Vulkan heatmap view of an attention atlas, drawn
// offscreen (headless Vulkan: a GPU, or Mesa's lavapipe on the CPU) into an
// RGBA8 image the UI shows and tests read back. Colormaps and scaling run in
// shaders (shaders/*.glsl -> SPIR-V); the Dear ImGui overlay (hover
// read-out, colormap legend, brush palette) is drawn into the same image.
// No Qt here: the UI passes input in and reads pixels and hits out.
//
// CONTRACT (issue 4): ui/ builds against these declarations; they may grow,
// but keep these signatures.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/atlas/AttentionAtlas.h"
#include "engine/mask/MaskPlan.h"

namespace attnscope::viz {

enum class Colormap { Viridis, Magma, Inferno, Cividis };
enum class Scaling { Linear, Log, RowNormalised };
enum class ViewMode { Grid, Zoom };            // every layer x head at once / one head
enum class BrushTool { Brush, Rectangle, Erase, FillRow, FillColumn };
// How block colours are computed: per pixel in the fragment shader, or once
// per visible block in a compute pass (cheaper when blocks are fewer than
// pixels; Auto picks by that rule). Both give the same picture.
enum class ShadingPath { Auto, PerPixel, PerBlock };

struct ViewState {
  ViewMode mode = ViewMode::Grid;
  int step = -1;  // captured step; -1 = the first captured
  int layer = 0, head = 0;  // the zoomed head (and the grid's highlight)
  Colormap colormap = Colormap::Viridis;
  Scaling scaling = Scaling::Linear;
  float zoom = 1.0f;             // zoom mode: 1 = whole map fits
  float panX = 0.5f, panY = 0.5f;  // zoom mode: map point at the view centre, in [0, 1]
  bool showMask = true;
  bool showFrameBoundaries = true;
  bool showOverlay = true;       // the ImGui read-out, legend and palette
};

// Input for the ImGui overlay, in viewport pixels.
struct PointerInput {
  float x = -1, y = -1;  // < 0: outside
  bool down[3] = {false, false, false};
  float wheel = 0;
};

// What lies under a viewport pixel.
struct HeatmapHit {
  int layer = 0, head = 0;
  int64_t qBlock = 0, kBlock = 0;
  float value = 0;  // pooled mass
};

struct RenderedImage {
  int width = 0, height = 0;
  std::vector<uint8_t> rgba;  // row-major, 4 bytes a pixel
};

struct OverlayOutput {
  BrushTool brush = BrushTool::Rectangle;
  bool wantsPointer = false;  // the pointer is over an ImGui window: do not paint
};

struct PreparedAtlas;  // viz/PreparedAtlas.h: an atlas laid out in GPU buffers

class AtlasViewport {
 public:
  // Throws attnscope::Error naming what is missing when no Vulkan device can be used.
  AtlasViewport();
  ~AtlasViewport();

  // Copies what it needs; heavy preparation is safe to run off the GUI thread
  // (prepare), the swap onto the GPU is short (commit).
  // setAtlas = commitAtlas(prepareAtlas(atlas)). Throws attnscope::Error for
  // an atlas with no entries or inconsistent shapes (the previous atlas stays).
  void setAtlas(const AttentionAtlas& atlas);
  // nullptr = no overlay. Throws attnscope::Error naming both shapes when the
  // plan's layers, heads, blocks or layout differ from the atlas' (the
  // previous overlay stays). A plan set before any atlas is checked by the
  // next commitAtlas, which drops it (no overlay) when it does not fit.
  void setMaskPlan(const MaskPlan* plan);

  // The heavy half of setAtlas: validates the atlas and copies it into GPU
  // buffers. Safe to call on a worker thread while the GUI thread renders;
  // the result must not outlive this viewport.
  std::shared_ptr<const PreparedAtlas> prepareAtlas(const AttentionAtlas& atlas) const;
  // The short half, on the rendering thread: swaps the prepared atlas in.
  void commitAtlas(std::shared_ptr<const PreparedAtlas> prepared);
  void clearAtlas();
  bool hasAtlas() const;
  std::vector<int> capturedSteps() const;  // empty without an atlas
  void setBrush(BrushTool brush);          // e.g. from a keyboard shortcut in the UI
  void setShadingPath(ShadingPath path);   // tests and benchmarks; Auto by default

  // Throws attnscope::Error for a size outside 1..16384, a step that was not
  // captured, or (zoom mode) a layer/head outside the atlas.
  RenderedImage render(int width, int height, const ViewState& view, const PointerInput& pointer = {});
  // (x, y) in viewport pixels, continuous: pixel (i, j)'s centre is (i + 0.5, j + 0.5).
  // nullopt over gaps, margins, uncaptured layers, or without an atlas.
  std::optional<HeatmapHit> hitTest(int width, int height, const ViewState& view, float x, float y) const;
  // The hover read-out's lines for that pixel (step/layer/head; q- and
  // k-block -> frame, y, x ranges; value; row mass; mass the mask keeps);
  // empty where hitTest finds nothing.
  std::vector<std::string> hoverLines(int width, int height, const ViewState& view, float x, float y) const;
  OverlayOutput overlay() const;

  std::string deviceName() const;  // e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"
  // Frames that shaded the heatmap itself; the others (only the overlay or
  // nothing changed) reused the cached heatmap image. For tests and benchmarks.
  int64_t heatmapDraws() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The colormap as the shaders compute it, on the CPU (for legends and tests): t in [0, 1] -> RGB bytes.
std::array<uint8_t, 3> colormapRgb(Colormap map, float t);

}  // namespace attnscope::viz
