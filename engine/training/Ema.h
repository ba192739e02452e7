#pragma once
// Exponential moving average of a model's parameters (what ships): after
// optimiser step s, ema = d ema + (1 - d) param with d = min(decay, (1+s)/(10+s)),
// so the average forgets the random initialisation quickly.
#include <cstdint>

#include "engine/training/NamedParameters.h"

namespace attnscope {

double emaDecayAt(double decay, int64_t step);

// target = d * target + (1 - d) * source, parameter by parameter (same names
// and order; both lists come from models of one config).
void emaUpdate(const NamedParameters& target, const NamedParameters& source, double d);

}  // namespace attnscope
