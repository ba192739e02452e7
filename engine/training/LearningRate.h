#pragma once
// The learning-rate schedule: linear warm-up from 0 to the peak over
// warmupSteps, then constant or a cosine decay that reaches
// minLrRatio * peak at the run's last step.
#include <cstdint>

#include "engine/training/TrainingOptions.h"

namespace attnscope {

// Learning rate of optimiser step `step` (0-based).
double learningRateAt(const TrainingOptions& options, int64_t step);

}  // namespace attnscope
