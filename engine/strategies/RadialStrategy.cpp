// "radial" (after Radial Attention): a static mask whose spatial window
// shrinks as the temporal distance grows. Between a query block and a key
// block d frames apart (gap of their boxes), the allowed spatial half-width is
//   w(d) = radius * decay^floor(log2(1 + d))     (tokens),
// halving (decay 0.5) at every doubling of d, so compute falls off like the
// attention energy does. A key block is kept when its y and x gaps are both
// <= w(d) and w(d) >= 0.5 (a window narrower than half a token drops the
// frame altogether, the band-skipping of the paper).
#include <cmath>

#include "engine/strategies/BuiltinStrategies.h"
#include "engine/strategies/StrategySupport.h"

namespace attnscope {

Strategy makeRadialStrategy() {
  Strategy s;
  s.name = "radial";
  s.summary = "Radial Attention: spatial window that decays with temporal distance (halves per doubling)";
  s.params = {
      {"radius", 4, 0, 1e6, false, "spatial half-width at temporal distance 0, in tokens"},
      {"decay", 0.5, 0.0, 1.0, false, "window factor per doubling of the frame distance"},
  };
  s.densityKnob = "radius";
  std::vector<StrategyParam> spec = s.params;
  s.build = [spec](const PooledMaps& maps, const StrategyParams& params) {
    const double radius = paramValue(params, spec, "radius");
    const double decay = paramValue(params, spec, "decay");
    const std::vector<BlockBox> boxes = blockBoxes(maps);
    BlockMask radial(maps.nq, maps.nk, false);
    for (int64_t q = 0; q < maps.nq; ++q)
      for (int64_t k = 0; k < maps.nk; ++k) {
        const BoxGaps g = boxGaps(boxes[q], boxes[k]);
        const double w = radius * std::pow(decay, std::floor(std::log2(1.0 + double(g.f))));
        radial.set(q, k, w >= 0.5 && g.y <= w && g.x <= w);
      }
    return buildPerHead(maps, [&](int64_t, int64_t, BlockMask& mask) { mask = radial; });
  };
  return s;
}

}  // namespace attnscope
