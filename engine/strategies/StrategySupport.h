#pragma once
// Small pieces the built-in strategies share.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/strategies/Strategy.h"

namespace attnscope {

// The value given for `name`, or the default declared in `spec`.
double paramValue(const StrategyParams& given, const std::vector<StrategyParam>& spec, const std::string& name);

// One mask per (layer, head), nq x nk, filled by `fill` and then given its
// diagonal so that every query row keeps at least its own block.
std::vector<BlockMask> buildPerHead(const PooledMaps& maps,
                                    const std::function<void(int64_t layer, int64_t head, BlockMask& mask)>& fill);

// Rank keys for values[0..n): a smaller key means a larger value (ties: lower
// index first), all keys distinct, so sorting, heaps and nth_element over them
// agree on one order. Sorting 64-bit keys is much faster than sorting indices
// through a comparator, which matters when derivePlan rebuilds masks for
// hundreds of thousands of rows at every bisection step.
std::vector<uint64_t> rankKeys(const float* values, int64_t n);
inline int64_t keyIndex(uint64_t key) { return int64_t(key & 0xffffffffu); }

// The token box of every block of the maps' layout.
std::vector<BlockBox> blockBoxes(const PooledMaps& maps);

// Token distance between two blocks' boxes along each axis; 0 where they overlap.
struct BoxGaps {
  int64_t f, y, x;
};
BoxGaps boxGaps(const BlockBox& a, const BlockBox& b);

// Mean over q-block rows of the pooled mass one mask keeps in one head.
double headKeptMass(const PooledMaps& maps, int64_t layer, int64_t head, const BlockMask& mask);

// Key blocks in descending order of mean received mass (ties: lower index first).
std::vector<int64_t> sinkBlockOrder(const PooledMaps& maps, int64_t layer, int64_t head);

// Mean received mass of each key block for one (layer, head), from the
// natural-order sink vector.
std::vector<double> blockMeanSink(const PooledMaps& maps, int64_t layer, int64_t head);

}  // namespace attnscope
