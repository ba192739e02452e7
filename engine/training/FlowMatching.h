#pragma once
// The flow-matching training objective, in the sampler's conventions
// (FlowMatchSchedule.h): x_t = (1 - sigma) x0 + sigma * noise, the model
// sees t = 1000 sigma and predicts v = noise - x0, so that the sampler's
// Euler step x += (sigma_next - sigma) v walks from noise to x0.
// Training sigmas are u ~ U(0, 1) pushed through the same shift the sampler
// uses, so training sees noise levels as often as sampling visits them.
#include <torch/torch.h>

#include "engine/attention/AttentionOp.h"
#include "engine/model/Model.h"

namespace attnscope {

// shift(u) = k u / (1 + (k - 1) u), elementwise.
torch::Tensor shiftedSigmas(const torch::Tensor& u, double shift);

struct FlowMatchingSample {
  torch::Tensor noisy;      // x_t: [B, C, F, H, W]
  torch::Tensor timesteps;  // [B], 1000 * sigma
  torch::Tensor target;     // v = noise - x0
};

// x0, noise: [B, C, F, H, W]; sigmas: [B] in [0, 1].
FlowMatchingSample flowMatchingSample(const torch::Tensor& x0, const torch::Tensor& noise, const torch::Tensor& sigmas);

// Mean squared error of the model's velocity on one batch. ids: [B, T]
// token ids (all 0 = the empty prompt, the sampler's unconditional branch).
torch::Tensor flowMatchingLoss(const Model& model, const FlowMatchingSample& sample, const torch::Tensor& ids,
                               AttentionOp& op);

}  // namespace attnscope
