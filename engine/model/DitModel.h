#pragma once
// DitModel: a Wan 2.1 style text-to-video diffusion transformer.
//   latents [B, Cin, F, H, W] -> patch_embedding (Conv3d, kernel = stride = patch)
//   -> tokens [B, N, dim] -> blocks (adaLN from the timestep, self-attention
//   with 3D RoPE and RMS-normalised q/k, cross-attention to text, GELU FFN)
//   -> modulated head -> unpatchify -> velocity [B, Cout, F, H, W].
// All attention goes through the AttentionOp passed to forward().
#include <torch/torch.h>

#include "engine/attention/AttentionOp.h"
#include "engine/model/DitLayers.h"
#include "engine/model/ModelConfig.h"

namespace attnscope {

// Wan's sinusoidal timestep embedding: [cos(t*f), sin(t*f)], f = 10000^(-i/half).
torch::Tensor sinusoidalEmbedding(const torch::Tensor& t, int64_t dim);

struct DitHeadImpl : torch::nn::Module {
  DitHeadImpl(int64_t dim, int64_t outFeatures, double eps);
  // x: [B, N, C], e: [B, C] -> [B, N, outFeatures]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& e);
  double eps;
  torch::nn::Linear head{nullptr};
  torch::Tensor modulation;  // [1, 2, C]
};
TORCH_MODULE(DitHead);

struct DitModelImpl : torch::nn::Module {
  explicit DitModelImpl(const ModelConfig& config);

  // The token grid for a latent of F x H x W (before patching).
  TokenGrid tokenGrid(int64_t latentFrames, int64_t latentHeight, int64_t latentWidth) const;

  // latents: [B, Cin, F, H, W], t: [B] (0..1000), context: [B, T, textDim];
  // latents and context in the weights' dtype (t may stay float32).
  torch::Tensor forward(const torch::Tensor& latents, const torch::Tensor& t, const torch::Tensor& context,
                        AttentionOp& op);

  ModelConfig config;
  torch::nn::Conv3d patchEmbedding{nullptr};
  torch::nn::Sequential textEmbedding{nullptr}, timeEmbedding{nullptr}, timeProjection{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  DitHead head{nullptr};
};
TORCH_MODULE(DitModel);

}  // namespace attnscope
