#pragma once
// FrameBoundaries: where a new video frame starts along a map's block axis
// (q and k share it: self-attention maps are square in blocks), in block
// units; frame 0 (the map edge) is left out. Linear blocks may straddle
// frames (the boundary falls inside a block); tiled blocks start a new frame
// group exactly at a block edge (BlockLayout::blockBox changes its frame
// range there).
//
// boundaryPixels turns them into what the heatmap shader reads: one byte per
// viewport column, then one per viewport row, set where a boundary crosses
// that pixel column/row of some map (the pixel whose span [i, i+1) contains
// it). An axis whose boundaries would be closer than 3 pixels is left empty.
#include <cstdint>
#include <vector>

#include "engine/core/BlockLayout.h"
#include "engine/core/TokenGrid.h"

namespace attnscope::viz {

struct ViewGeometry;

struct FrameBoundaries {
  std::vector<float> positions;     // every boundary, in block units, ascending
  std::vector<int64_t> firstFrame;  // frame that starts at positions[i]
  float minSpacing = 1e9f;          // smallest distance between boundaries (or to the map edges), in blocks

  static FrameBoundaries compute(const TokenGrid& grid, const BlockLayout& layout);

  // [width + height] bytes; blocks = the maps' size in blocks.
  std::vector<uint8_t> boundaryPixels(const ViewGeometry& g, int width, int height, int64_t blocks) const;
};

inline constexpr float kMinBoundarySpacingPixels = 3.0f;

}  // namespace attnscope::viz
