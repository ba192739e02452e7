#include "engine/training/FlowMatching.h"

#include "engine/core/Error.h"

namespace attnscope {

torch::Tensor shiftedSigmas(const torch::Tensor& u, double shift) {
  return u * shift / (1.0 + (shift - 1.0) * u);
}

FlowMatchingSample flowMatchingSample(const torch::Tensor& x0, const torch::Tensor& noise, const torch::Tensor& sigmas) {
  if (!x0.sizes().equals(noise.sizes()))
    throw Error("flow matching: noise and latents differ in shape");
  if (sigmas.dim() != 1 || sigmas.size(0) != x0.size(0))
    throw Error("flow matching: one sigma per batch element expected, got " + std::to_string(sigmas.numel()) +
                " for a batch of " + std::to_string(x0.size(0)));
  auto s = sigmas.view({-1, 1, 1, 1, 1}).to(x0.scalar_type());
  return {(1.0 - s) * x0 + s * noise, sigmas * 1000.0, noise - x0};
}

torch::Tensor flowMatchingLoss(const Model& model, const FlowMatchingSample& sample, const torch::Tensor& ids,
                               AttentionOp& op) {
  auto context = model.textEncoder.ptr()->forward(ids);  // [B, T, textDim]
  auto v = model.dit.ptr()->forward(sample.noisy, sample.timesteps.to(torch::kFloat32), context, op);
  return torch::mse_loss(v, sample.target);
}

}  // namespace attnscope
