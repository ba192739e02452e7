// "sink-window": the key blocks that receive the most mass in a head (attention
// sinks) for every query, plus a band of blocks around the query's own block.
#include <algorithm>
#include <cstdlib>

#include "engine/strategies/BuiltinStrategies.h"
#include "engine/strategies/StrategySupport.h"

namespace attnscope {

Strategy makeSinkWindowStrategy() {
  Strategy s;
  s.name = "sink-window";
  s.summary = "keep the head's sink key blocks for every query, plus a band of blocks around the diagonal";
  s.params = {
      {"sinks", 1, 0, 1e6, true, "key blocks with the highest mean received mass, kept in every row"},
      {"window", 1, 0, 1e6, true, "half-width of the band around the diagonal, in blocks"},
  };
  s.densityKnob = "window";
  std::vector<StrategyParam> spec = s.params;
  s.build = [spec](const PooledMaps& maps, const StrategyParams& params) {
    int64_t sinks = std::min<int64_t>(int64_t(paramValue(params, spec, "sinks")), maps.nk);
    int64_t window = int64_t(paramValue(params, spec, "window"));
    return buildPerHead(maps, [&](int64_t l, int64_t h, BlockMask& mask) {
      std::vector<double> received = blockMeanSink(maps, l, h);
      std::vector<int64_t> order(maps.nk);
      for (int64_t b = 0; b < maps.nk; ++b) order[b] = b;
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return received[a] > received[b]; });
      for (int64_t q = 0; q < maps.nq; ++q) {
        for (int64_t i = 0; i < sinks; ++i) mask.set(q, order[i], true);
        for (int64_t k = std::max<int64_t>(0, q - window); k <= std::min(maps.nk - 1, q + window); ++k)
          mask.set(q, k, true);
      }
    });
  };
  return s;
}

}  // namespace attnscope
