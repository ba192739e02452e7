// "antidiagonal" (after XAttention): score groups of stride x stride blocks by
// the sum along their antidiagonal and keep, per group row, the fewest groups
// whose normalized score reaches tau (heaviest first).
//
// Adaptation to the pooled map: XAttention sums antidiagonal entries of the
// token-level score matrix inside each block, because an antidiagonal crosses
// every row and column of the block and so catches vertical and slash
// patterns at a fraction of the cost. The atlas holds the block's pooled mass,
// which is what that sum estimates, so with stride 1 the strategy is the
// threshold rule on exact block mass. With stride S it applies the same
// estimate one level up: a group of S x S blocks is scored by the S pooled
// entries on its antidiagonal (cells (i, S-1-i); cells outside the map are
// skipped), scores are normalized over the group row, and groups are kept or
// dropped whole, as XAttention keeps or drops blocks.
#include <algorithm>
#include <functional>

#include "engine/strategies/BuiltinStrategies.h"
#include "engine/strategies/StrategySupport.h"

namespace attnscope {

Strategy makeAntidiagonalStrategy() {
  Strategy s;
  s.name = "antidiagonal";
  s.summary = "XAttention: score stride x stride block groups by their antidiagonal, keep groups up to threshold tau";
  s.params = {
      {"tau", 0.9, 0.0, 1.0, false, "cumulative normalized antidiagonal score kept per group row"},
      {"stride", 2, 1, 1e6, true, "group side in blocks (1 = block-level threshold on pooled mass)"},
  };
  s.densityKnob = "tau";
  std::vector<StrategyParam> spec = s.params;
  s.build = [spec](const PooledMaps& maps, const StrategyParams& params) {
    const double tau = paramValue(params, spec, "tau");
    const int64_t S = int64_t(paramValue(params, spec, "stride"));
    const int64_t rows = (maps.nq + S - 1) / S, cols = (maps.nk + S - 1) / S;
    return buildPerHead(maps, [&](int64_t l, int64_t h, BlockMask& mask) {
      const float* map = maps.map(l, h);
      std::vector<float> score(cols);
      for (int64_t r = 0; r < rows; ++r) {
        double total = 0;
        for (int64_t c = 0; c < cols; ++c) {
          double sum = 0;
          for (int64_t i = 0; i < S; ++i) {
            const int64_t q = r * S + i, k = c * S + (S - 1 - i);
            if (q < maps.nq && k < maps.nk) sum += map[q * maps.nk + k];
          }
          score[c] = float(sum);
          total += sum;
        }
        if (total <= 0) continue;
        std::vector<uint64_t> heap = rankKeys(score.data(), cols);
        std::make_heap(heap.begin(), heap.end(), std::greater<uint64_t>());
        double kept = 0;
        while (kept < tau * total && !heap.empty()) {
          std::pop_heap(heap.begin(), heap.end(), std::greater<uint64_t>());
          const int64_t c = keyIndex(heap.back());
          heap.pop_back();
          kept += score[c];
          for (int64_t q = r * S; q < std::min(maps.nq, (r + 1) * S); ++q)
            for (int64_t k = c * S; k < std::min(maps.nk, (c + 1) * S); ++k) mask.set(q, k, true);
        }
      }
    });
  };
  return s;
}

}  // namespace attnscope
