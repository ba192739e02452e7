#include "viz/FrameBoundaries.h"

#include <algorithm>
#include <cmath>

#include "viz/GridLayout.h"

namespace attnscope::viz {

FrameBoundaries FrameBoundaries::compute(const TokenGrid& grid, const BlockLayout& layout) {
  FrameBoundaries fb;
  const int64_t blocks = layout.numBlocks(grid);
  if (blocks <= 0) return fb;

  if (layout.kind() == BlockLayout::Kind::Linear) {
    const int64_t perFrame = grid.tokensPerFrame(), size = layout.blockSize();
    for (int64_t f = 1; f < grid.frames; ++f) {
      int64_t token = f * perFrame, b = token / size;
      float offset = float(token - b * size) / float(layout.blockTokens(grid, b));
      fb.positions.push_back(float(b) + offset);
      fb.firstFrame.push_back(f);
    }
  } else {
    int64_t previous = layout.blockBox(grid, 0).f0;
    for (int64_t b = 1; b < blocks; ++b) {
      int64_t f0 = layout.blockBox(grid, b).f0;
      if (f0 != previous) {
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

std::vector<uint8_t> FrameBoundaries::boundaryPixels(const ViewGeometry& g, int width, int height,
                                                     int64_t blocks) const {
  std::vector<uint8_t> pixels(size_t(std::max(width, 0)) + size_t(std::max(height, 0)), 0);
  if (blocks <= 0 || positions.empty()) return pixels;
  auto mark = [&](int cells, float origin, float pitch, float mapSize, int limit, size_t offset) {
    if (minSpacing * mapSize / float(blocks) < kMinBoundarySpacingPixels) return;  // too dense to read
    for (int c = 0; c < cells; ++c)
      for (float b : positions) {
        float at = origin + c * pitch + b * mapSize / float(blocks);
        int pixel = static_cast<int>(std::floor(at));
        if (pixel >= 0 && pixel < limit) pixels[offset + pixel] = 1;
      }
  };
  mark(g.cols, g.originX, g.pitchX, g.mapW, width, 0);
  mark(g.rows, g.originY, g.pitchY, g.mapH, height, size_t(width));
  return pixels;
}

}  // namespace attnscope::viz
