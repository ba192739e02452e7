#include "engine/model/LayoutPrior.h"

namespace attnscope {

LayoutPriorImpl::LayoutPriorImpl(int64_t positionFeatures, int64_t conditionDim, int64_t captionDim,
                                 int64_t hiddenWidth, int64_t outFeatures) {
  position = register_module("position", torch::nn::Linear(positionFeatures, hiddenWidth));
  condition = register_module("condition", torch::nn::Linear(torch::nn::LinearOptions(conditionDim, hiddenWidth).bias(false)));
  caption = register_module("caption", torch::nn::Linear(torch::nn::LinearOptions(captionDim, hiddenWidth).bias(false)));
  hidden = register_module("hidden", torch::nn::Linear(hiddenWidth, hiddenWidth));
  out = register_module("out", torch::nn::Linear(hiddenWidth, outFeatures));
  torch::NoGradGuard noGrad;
  out->weight.zero_();
  out->bias.zero_();
}

torch::Tensor LayoutPriorImpl::forward(const torch::Tensor& positions, const torch::Tensor& e,
                                       const torch::Tensor& captionMean) {
  // The position and condition terms meet inside the first nonlinearity:
  // that sum is what lets the output depend on frame x place x caption
  // jointly, which a sum of separate terms could not.
  const auto p = position->forward(positions.to(torch::kFloat32)).unsqueeze(0);  // [1, N, h]
  const auto c = (condition->forward(e.to(torch::kFloat32)) + caption->forward(captionMean.to(torch::kFloat32)))
                     .unsqueeze(1);  // [B, 1, h]
  auto h = torch::silu(p + c);
  h = torch::silu(hidden->forward(h));
  return out->forward(h);
}

}  // namespace attnscope
