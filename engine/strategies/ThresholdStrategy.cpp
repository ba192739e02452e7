// "threshold" (top-p): per q-block row keep the fewest k-blocks whose pooled
// mass reaches p, heaviest first.
#include <algorithm>
#include <functional>

#include "engine/strategies/BuiltinStrategies.h"
#include "engine/strategies/StrategySupport.h"

namespace attnscope {

Strategy makeThresholdStrategy() {
  Strategy s;
  s.name = "threshold";
  s.summary = "per query block, keep the fewest key blocks holding a fraction p of its attention mass";
  s.params = {{"p", 0.9, 0.0, 1.0, false, "cumulative attention mass to keep per query block"}};
  s.densityKnob = "p";
  std::vector<StrategyParam> spec = s.params;
  s.build = [spec](const PooledMaps& maps, const StrategyParams& params) {
    double p = paramValue(params, spec, "p");
    return buildPerHead(maps, [&](int64_t l, int64_t h, BlockMask& mask) {
      const float* map = maps.map(l, h);
      for (int64_t q = 0; q < maps.nq; ++q) {
        const float* row = map + q * maps.nk;
        // Pop heaviest-first from a heap: usually far fewer than nk blocks are needed.
        std::vector<uint64_t> heap = rankKeys(row, maps.nk);
        std::make_heap(heap.begin(), heap.end(), std::greater<uint64_t>());
        double sum = 0;
        while (sum < p && !heap.empty()) {
          std::pop_heap(heap.begin(), heap.end(), std::greater<uint64_t>());
          int64_t k = keyIndex(heap.back());
          heap.pop_back();
          mask.set(q, k, true);
          sum += row[k];
        }
      }
    });
  };
  return s;
}

}  // namespace attnscope
