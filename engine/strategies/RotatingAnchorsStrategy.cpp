// "window-anchors" (after LVSA): a structured window plus global anchors
// that rotate. Each query block keeps the key blocks within `frames` frames
// of it (a temporal band, whole frames), plus `anchors` key blocks spread
// evenly over the map: anchor i of query block q in layer l, head h is
//   (floor(i * nk / anchors) + q + l * heads + h) mod nk,
// so the anchor grid shifts with every query block, head and layer and no key
// block is left permanently unseen (the fixed-grid bias LVSA removes).
#include <algorithm>

#include "engine/strategies/BuiltinStrategies.h"
#include "engine/strategies/StrategySupport.h"

namespace attnscope {

Strategy makeRotatingAnchorsStrategy() {
  Strategy s;
  s.name = "window-anchors";
  s.summary = "LVSA: temporal window of whole frames plus evenly spread global anchors that rotate per row, head, layer";
  s.params = {
      {"anchors", 2, 0, 1e6, true, "global anchor key blocks per query block"},
      {"frames", 0, 0, 1e6, true, "window half-width along time, in frames (tokens); 0 = the block's own frames"},
  };
  s.densityKnob = "anchors";
  std::vector<StrategyParam> spec = s.params;
  s.build = [spec](const PooledMaps& maps, const StrategyParams& params) {
    const int64_t anchors = std::min<int64_t>(int64_t(paramValue(params, spec, "anchors")), maps.nk);
    const int64_t frames = int64_t(paramValue(params, spec, "frames"));
    const std::vector<BlockBox> boxes = blockBoxes(maps);
    BlockMask window(maps.nq, maps.nk, false);
    for (int64_t q = 0; q < maps.nq; ++q)
      for (int64_t k = 0; k < maps.nk; ++k) window.set(q, k, boxGaps(boxes[q], boxes[k]).f <= frames);
    return buildPerHead(maps, [&](int64_t l, int64_t h, BlockMask& mask) {
      mask = window;
      for (int64_t q = 0; q < maps.nq; ++q)
        for (int64_t i = 0; i < anchors; ++i) mask.set(q, (i * maps.nk / anchors + q + l * maps.heads + h) % maps.nk, true);
    });
  };
  return s;
}

}  // namespace attnscope
