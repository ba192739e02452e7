#pragma once
// Flow-matching UniPC multistep sampler (bh2, order 2, x0-prediction, lower
// order at the last step, corrector on every step but the first), as Wan
// 2.1's FlowUniPCMultistepScheduler that its T2V generation uses by default:
//   sigmas   = shift(linspace(0.999, 0, steps + 1)[:-1]) then a final 0,
//              shift(s) = k*s / (1 + (k-1)*s)
//   timestep = trunc(1000 * sigma)  (the model sees integer timesteps)
// The model predicts the flow velocity v; x0 = x - sigma * v.
#include <vector>

#include <torch/torch.h>

namespace attnscope {

class FlowUniPc {
 public:
  FlowUniPc(int steps, double shift, int order = 2);

  int steps() const { return int(sigmas_.size()) - 1; }
  const std::vector<double>& sigmas() const { return sigmas_; }  // steps + 1 values
  double timestep(int step) const;                               // integer-valued
  // One step: `velocity` predicted at the current step for `sample`; returns the next sample.
  torch::Tensor step(const torch::Tensor& velocity, const torch::Tensor& sample);

 private:
  // Coefficients of sum_k rho_k * D_k for the predictor (corrector = false) or corrector.
  torch::Tensor multistep(const torch::Tensor& x, int from, int to, int order, bool corrector,
                          const torch::Tensor& modelAtTo);

  std::vector<double> sigmas_;
  int order_;
  int index_ = 0;
  int lowerOrderDone_ = 0;
  int thisOrder_ = 1;
  std::vector<torch::Tensor> outputs_;  // x0 predictions, oldest first (at most order_)
  std::vector<int> outputSteps_;
  torch::Tensor lastSample_;
};

}  // namespace attnscope
