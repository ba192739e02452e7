#include "viz/FrameBoundaries.h"

#include <algorithm>

namespace attnscope::viz {

FrameBoundaries FrameBoundaries::compute(const TokenGrid& grid, const BlockLayout& layout) {
  FrameBoundaries fb;
  const int64_t blocks = layout.numBlocks(grid);
  fb.startInBlock.assign(static_cast<size_t>(std::max<int64_t>(blocks, 0)), -1.0f);
  if (blocks <= 0) return fb;

  if (layout.kind() == BlockLayout::Kind::Linear) {
    const int64_t perFrame = grid.tokensPerFrame(), size = layout.blockSize();
    for (int64_t f = 1; f < grid.frames; ++f) {
      int64_t token = f * perFrame, b = token / size;
      float offset = float(token - b * size) / float(layout.blockTokens(grid, b));
      if (fb.startInBlock[b] < 0) fb.startInBlock[b] = offset;
      fb.positions.push_back(float(b) + offset);
      fb.firstFrame.push_back(f);
    }
  } else {
    int64_t previous = layout.blockBox(grid, 0).f0;
    for (int64_t b = 1; b < blocks; ++b) {
      int64_t f0 = layout.blockBox(grid, b).f0;
      if (f0 != previous) {
        fb.startInBlock[b] = 0.0f;
        fb.positions.push_back(float(b));
        fb.firstFrame.push_back(f0);
      }
      previous = f0;
    }
  }
  float last = 0.0f;
  for (float p : fb.positions) {
    fb.minSpacing = std::min(fb.minSpacing, p - last);
    last = p;
  }
  if (!fb.positions.empty()) fb.minSpacing = std::min(fb.minSpacing, float(blocks) - last);
  return fb;
}

}  // namespace attnscope::viz
