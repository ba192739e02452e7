// "window3d": keep a key block when its token box comes within a 3D window
// (frames, height, width half-widths, all times `scale`) of the query block's
// box on every axis. Reads only the layout, not the attention maps.
#include <algorithm>

#include "engine/strategies/BuiltinStrategies.h"
#include "engine/strategies/StrategySupport.h"

namespace attnscope {

namespace {

// Token distance between the half-open ranges [a0, a1) and [b0, b1); 0 if they overlap.
int64_t gap(int64_t a0, int64_t a1, int64_t b0, int64_t b1) {
  return std::max<int64_t>({0, b0 - (a1 - 1), a0 - (b1 - 1)});
}

}  // namespace

Strategy makeWindow3dStrategy() {
  Strategy s;
  s.name = "window3d";
  s.summary = "keep key blocks within a 3D (frame, y, x) window of the query block";
  s.params = {
      {"frames", 1, 0, 1e6, true, "half-width of the window along time, in tokens"},
      {"height", 2, 0, 1e6, true, "half-width of the window along y, in tokens"},
      {"width", 2, 0, 1e6, true, "half-width of the window along x, in tokens"},
      {"scale", 1.0, 0.0, 1e3, false, "multiplies all three half-widths"},
  };
  s.densityKnob = "scale";
  std::vector<StrategyParam> spec = s.params;
  s.build = [spec](const PooledMaps& maps, const StrategyParams& params) {
    double scale = paramValue(params, spec, "scale");
    double hf = paramValue(params, spec, "frames") * scale;
    double hy = paramValue(params, spec, "height") * scale;
    double hx = paramValue(params, spec, "width") * scale;
    std::vector<BlockBox> boxes(maps.nk);
    for (int64_t b = 0; b < maps.nk; ++b) boxes[b] = maps.layout.blockBox(maps.grid, b);
    // The window is the same for every head: build it once, copy it into each.
    BlockMask window(maps.nq, maps.nk, false);
    for (int64_t q = 0; q < maps.nq; ++q)
      for (int64_t k = 0; k < maps.nk; ++k) {
        const BlockBox &a = boxes[q], &b = boxes[k];
        if (gap(a.f0, a.f1, b.f0, b.f1) <= hf && gap(a.y0, a.y1, b.y0, b.y1) <= hy &&
            gap(a.x0, a.x1, b.x0, b.x1) <= hx)
          window.set(q, k, true);
      }
    return buildPerHead(maps, [&](int64_t, int64_t, BlockMask& mask) { mask = window; });
  };
  return s;
}

}  // namespace attnscope
