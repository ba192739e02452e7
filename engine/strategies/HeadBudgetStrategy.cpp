// "head-budget" (after FlexPrefill / ProxyAttn): one block budget for a pool
// of heads, shared out by attention mass. The pool is each layer's heads
// (default) or every head of the model (across-layers 1). Its budget is
// round(density * cells); every row's diagonal block is kept first, and the
// rest goes to the pool's heaviest remaining cells, ties to the lower
// (layer, head, q, k). Since kept mass is the mean of the kept cells, this is
// the allocation that keeps the most mass at that density: a head whose mass
// sits in a few blocks gets those few, a diffuse head gets many.
#include <algorithm>
#include <cmath>

#include "engine/core/Error.h"
#include "engine/strategies/BuiltinStrategies.h"
#include "engine/strategies/StrategySupport.h"

namespace attnscope {

Strategy makeHeadBudgetStrategy() {
  Strategy s;
  s.name = "head-budget";
  s.summary = "FlexPrefill/ProxyAttn: share one block budget among heads, heaviest cells first";
  s.params = {
      {"density", 0.25, 0.0, 1.0, false, "fraction of the pool's blocks kept (the diagonal counts toward it)"},
      {"across-layers", 0, 0, 1, true, "1: one budget for all layers; 0: one per layer"},
  };
  s.densityKnob = "density";
  std::vector<StrategyParam> spec = s.params;
  s.build = [spec](const PooledMaps& maps, const StrategyParams& params) {
    const double density = paramValue(params, spec, "density");
    const bool acrossLayers = paramValue(params, spec, "across-layers") != 0;
    const int64_t cellsPerHead = maps.nq * maps.nk;
    std::vector<BlockMask> masks(maps.layers * maps.heads, BlockMask(maps.nq, maps.nk, false));
    const int64_t poolLayers = acrossLayers ? maps.layers : 1;
    for (int64_t first = 0; first < maps.layers; first += poolLayers) {
      const int64_t heads = poolLayers * maps.heads;  // consecutive (layer, head) slots from first * heads
      const int64_t base = first * maps.heads;
      int64_t budget = int64_t(std::llround(density * double(heads * cellsPerHead)));
      // Candidates: every non-diagonal cell, by pooled mass, as one ranked list.
      std::vector<float> values;
      values.reserve(heads * cellsPerHead);
      for (int64_t i = 0; i < heads; ++i) {
        const float* map = maps.pooled.data() + (base + i) * cellsPerHead;
        for (int64_t c = 0; c < cellsPerHead; ++c) {
          const int64_t q = c / maps.nk, k = c % maps.nk;
          values.push_back(q == k ? -1.0f : map[c]);  // diagonals are kept anyway: rank them last
          if (q == k) {
            masks[base + i].set(q, k, true);
            --budget;
          }
        }
      }
      if (budget <= 0) continue;
      if (values.size() >= (size_t(1) << 32))  // rankKeys keeps 32 bits of index
        throw Error("head-budget: " + std::to_string(values.size()) + " cells in one pool are too many; use across-layers 0");
      std::vector<uint64_t> keys = rankKeys(values.data(), int64_t(values.size()));
      const int64_t take = std::min<int64_t>(budget, int64_t(keys.size()));
      std::nth_element(keys.begin(), keys.begin() + take - 1, keys.end());
      for (int64_t i = 0; i < take; ++i) {
        const int64_t cell = keyIndex(keys[i]);
        if (values[cell] < 0) continue;  // only diagonals left
        const int64_t head = cell / cellsPerHead, c = cell % cellsPerHead;
        masks[base + head].set(c / maps.nk, c % maps.nk, true);
      }
    }
    return masks;
  };
  return s;
}

}  // namespace attnscope
