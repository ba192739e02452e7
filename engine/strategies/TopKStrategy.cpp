// "topk": per q-block row keep the k heaviest k-blocks.
#include <algorithm>

#include "engine/strategies/BuiltinStrategies.h"
#include "engine/strategies/StrategySupport.h"

namespace attnscope {

Strategy makeTopKStrategy() {
  Strategy s;
  s.name = "topk";
  s.summary = "per query block, keep the k key blocks with the most attention mass";
  s.params = {{"k", 4, 1, 1e6, true, "key blocks kept per query block (all when k >= blocks)"}};
  s.densityKnob = "k";
  std::vector<StrategyParam> spec = s.params;
  s.build = [spec](const PooledMaps& maps, const StrategyParams& params) {
    int64_t k = std::min<int64_t>(int64_t(paramValue(params, spec, "k")), maps.nk);
    return buildPerHead(maps, [&](int64_t l, int64_t h, BlockMask& mask) {
      const float* map = maps.map(l, h);
      for (int64_t q = 0; q < maps.nq; ++q) {
        std::vector<uint64_t> keys = rankKeys(map + q * maps.nk, maps.nk);
        if (k < maps.nk) std::nth_element(keys.begin(), keys.begin() + k, keys.end());
        for (int64_t i = 0; i < k; ++i) mask.set(q, keyIndex(keys[i]), true);
      }
    });
  };
  return s;
}

}  // namespace attnscope
