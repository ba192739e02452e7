#pragma once
// FrameBoundaries: where a new video frame starts along a map's block axis
// (q and k share it: self-attention maps are square in blocks). For block b,
// startInBlock[b] is the fraction of the block at which the first frame that
// starts inside it begins, or -1 when none does; frame 0 (the map edge) is
// left out. Linear blocks may straddle frames (the boundary falls inside a
// block); tiled blocks start a new frame group exactly at a block edge
// (BlockLayout::blockBox changes its frame range there).
#include <cstdint>
#include <vector>

#include "engine/core/BlockLayout.h"
#include "engine/core/TokenGrid.h"

namespace attnscope::viz {

struct FrameBoundaries {
  std::vector<float> startInBlock;  // [numBlocks]
  std::vector<float> positions;     // every boundary, in block units, ascending
  std::vector<int64_t> firstFrame;  // frame that starts at positions[i]
  float minSpacing = 1e9f;          // smallest distance between boundaries (or to the map edges), in blocks

  static FrameBoundaries compute(const TokenGrid& grid, const BlockLayout& layout);
};

}  // namespace attnscope::viz
