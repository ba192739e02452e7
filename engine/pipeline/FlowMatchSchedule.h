#pragma once
// Flow-matching (rectified flow) schedule with Wan's timestep shift:
//   sigma_i = shift(1 - i/steps),  shift(s) = k*s / (1 + (k-1)*s),  t = 1000*sigma
// x_t = (1 - sigma) * x0 + sigma * noise; the model predicts v = noise - x0 and
// an Euler step is x += (sigma_next - sigma) * v.
#include <vector>

namespace attnscope {

struct FlowMatchSchedule {
  std::vector<double> sigmas;  // steps + 1 values, from ~1 down to 0

  FlowMatchSchedule(int steps, double shift);
  int steps() const { return static_cast<int>(sigmas.size()) - 1; }
  double timestep(int step) const { return sigmas[step] * 1000.0; }
  double delta(int step) const { return sigmas[step + 1] - sigmas[step]; }
};

}  // namespace attnscope
