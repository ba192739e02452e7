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

// Indices 0..n-1 sorted by descending value (ties: lower index first).
std::vector<int64_t> orderDescending(const float* values, int64_t n);

// Mean received mass of each key block for one (layer, head), from the
// natural-order sink vector.
std::vector<double> blockMeanSink(const PooledMaps& maps, int64_t layer, int64_t head);

}  // namespace attnscope
