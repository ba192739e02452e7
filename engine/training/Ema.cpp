#include "engine/training/Ema.h"

#include <algorithm>

#include "engine/core/Error.h"

namespace attnscope {

double emaDecayAt(double decay, int64_t step) {
  return std::min(decay, double(1 + step) / double(10 + step));
}

void emaUpdate(const NamedParameters& target, const NamedParameters& source, double d) {
  if (target.size() != source.size())
    throw Error("EMA: the averaged model has " + std::to_string(target.size()) + " parameters, the trained one " +
                std::to_string(source.size()));
  torch::NoGradGuard noGrad;
  for (size_t i = 0; i < target.size(); ++i) target[i].second.lerp_(source[i].second, 1.0 - d);
}

}  // namespace attnscope
