#include "engine/pipeline/FlowMatchSchedule.h"

#include "engine/core/Error.h"

namespace attnscope {

FlowMatchSchedule::FlowMatchSchedule(int steps, double shift) {
  if (steps < 1) throw Error("steps must be at least 1, got " + std::to_string(steps));
  if (!(shift > 0)) throw Error("shift must be positive, got " + std::to_string(shift));
  for (int i = 0; i <= steps; ++i) {
    double s = 1.0 - double(i) / steps;
    sigmas.push_back(shift * s / (1.0 + (shift - 1.0) * s));
  }
}

}  // namespace attnscope
