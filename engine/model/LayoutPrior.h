#pragma once
// The layout prior: a small MLP from each token's absolute position, the
// model's global conditioning e (noise level + text_pool) and the caption's
// mean embedding to a term added to the DiT's output. From pure noise the best
// estimate of a clip is the mean of all clips with its caption, a smear whose
// place depends on frame and position jointly (a "moves right" clip's mass
// starts left and ends right). The transformer reads positions only through
// RoPE's relative offsets and a small additive table it learns slowly; this
// path gives that mean a direct route to the loss. Its last layer starts at
// zero, so adding it to a trained model leaves the output unchanged. The
// caption's mean goes in as well as e: in e a direction word moves the
// conditioning by 0.3% of its norm (text_pool learned colour, not direction;
// bench_caption_conditioning), in the mean by half as much as a colour word
// does.
#include <torch/torch.h>

namespace attnscope {

struct LayoutPriorImpl : torch::nn::Module {
  LayoutPriorImpl(int64_t positionFeatures, int64_t conditionDim, int64_t captionDim, int64_t hidden,
                  int64_t outFeatures);

  // positions: [N, positionFeatures] (gridPositionFeatures), e: [B, conditionDim],
  // caption: [B, captionDim] (maskedTokenMean of the context) -> [B, N, outFeatures], float32.
  torch::Tensor forward(const torch::Tensor& positions, const torch::Tensor& e, const torch::Tensor& caption);

  torch::nn::Linear position{nullptr}, condition{nullptr}, caption{nullptr}, hidden{nullptr}, out{nullptr};
};
TORCH_MODULE(LayoutPrior);

}  // namespace attnscope
