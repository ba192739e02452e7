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

class AtlasViewport {
 public:
  // Throws attnscope::Error naming what is missing when no Vulkan device can be used.
  AtlasViewport();
  ~AtlasViewport();

  // Copies what it needs; heavy preparation is safe to run off the GUI thread
  // (prepare), the swap onto the GPU is short (commit).
  void setAtlas(const AttentionAtlas& atlas);
  void setMaskPlan(const MaskPlan* plan);  // nullptr = no overlay

  RenderedImage render(int width, int height, const ViewState& view, const PointerInput& pointer = {});
  std::optional<HeatmapHit> hitTest(int width, int height, const ViewState& view, float x, float y) const;
  OverlayOutput overlay() const;

  std::string deviceName() const;  // e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The colormap as the shaders compute it, on the CPU (for legends and tests): t in [0, 1] -> RGB bytes.
std::array<uint8_t, 3> colormapRgb(Colormap map, float t);

}  // namespace attnscope::viz
