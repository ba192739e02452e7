#pragma once
// HeatmapParams: the per-frame uniform block of shaders/heatmap.frag
// (4-byte scalars only, so std140 lays it out as this struct). The per-layer
// entry table goes in its own storage buffer. Also the shader's fixed colours
// and overlay rules, as CPU twins for tests and the legend.
#include <array>
#include <cstdint>

namespace attnscope::viz {

struct HeatmapParams {
  float originX, originY, pitchX, pitchY, mapW, mapH;
  float clipX0, clipY0, clipX1, clipY1;
  float ringWidth, logDecades;
  float backgroundR, backgroundG, backgroundB;
  int32_t cols, rows, heads, nq, nk;
  int32_t zoomMode, zoomLayer, zoomHead, highlightLayer, highlightHead;
  int32_t scaling, colormap, showMask, maskPresent, showBoundaries;
  int32_t rowMaxOffset, viewportWidth;
  int32_t perBlock;  // 1: colours come from blockcolours.comp's buffer
  int32_t pyramidLevel, pyramidOffset, pyramidSide;  // max-pooled level read (0: none)
};
static_assert(sizeof(HeatmapParams) == 36 * 4, "HeatmapParams must match shaders/heatmap.frag");

namespace shading {
inline constexpr std::array<float, 3> kBackground{0.09f, 0.09f, 0.11f};
inline constexpr std::array<float, 3> kEmptyCell{0.22f, 0.22f, 0.24f};  // layer not captured at this step
inline constexpr std::array<float, 3> kHighlight{1.0f, 0.62f, 0.1f};    // ring around the current head
inline constexpr std::array<float, 3> kBoundary{1.0f, 1.0f, 1.0f};      // frame boundaries, mixed in
inline constexpr float kBoundaryMix = 0.55f;
inline constexpr float kDroppedDim = 0.3f;                              // dropped mask blocks are dimmed...
inline constexpr std::array<float, 3> kHatch{0.55f, 0.55f, 0.58f};      // ...and hatched
// Pixel (ix, iy) of a dropped block shows the hatch colour when this holds, else the dimmed colour.
inline bool hatchAt(int ix, int iy) { return (ix + iy) % 6 < 2; }
}  // namespace shading

}  // namespace attnscope::viz
