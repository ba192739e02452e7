#include "engine/training/LearningRate.h"

#include <algorithm>
#include <cmath>

namespace attnscope {

double learningRateAt(const TrainingOptions& o, int64_t step) {
  if (step < o.warmupSteps) return o.lr * double(step + 1) / double(o.warmupSteps);
  if (o.decay == "constant") return o.lr;
  const int64_t span = std::max<int64_t>(1, o.steps - 1 - o.warmupSteps);
  const double progress = std::clamp(double(step - o.warmupSteps) / double(span), 0.0, 1.0);
  const double cosine = 0.5 * (1.0 + std::cos(M_PI * progress));
  return o.lr * (o.minLrRatio + (1.0 - o.minLrRatio) * cosine);
}

}  // namespace attnscope
