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
#include "engine/model/LayoutPrior.h"
#include "engine/model/ModelConfig.h"
#include "engine/model/Rope3d.h"

namespace attnscope {

// Wan's precision policy for a DiT off float32 (bf16 on the GPU): these
// parameters stay float32 because the reference computes them in float32 —
// time embedding and projection, every modulation, the output head, the
// cross-attention norm; all others take the compute dtype. `name` is the
// parameter's full name (e.g. "blocks.3.modulation").
bool keepsFloat32(const std::string& name);

// The mean of a context's non-padding tokens ([B, T, C] -> [B, C], float32);
// padding rows are all zero, and an all-padding context pools to zero.
torch::Tensor maskedTokenMean(const torch::Tensor& context);

// Features of each token's position in the grid, size-independent: for the
// normalised coordinate p = (i + 0.5) / n of each axis (frames, rows,
// columns), sin(pi k p) and cos(pi k p) for k = 1..kPositionFrequencies.
// [frames * height * width, 6 * kPositionFrequencies] float32, tokens in the
// order patch_embedding flattens them.
constexpr int64_t kPositionFrequencies = 4;
torch::Tensor gridPositionFeatures(const TokenGrid& grid, torch::Device device);

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
  // Built block by block straight onto `device` in `dtype` (with the float32
  // exceptions of keepsFloat32), so a large model never exists as one float32
  // CPU copy.
  explicit DitModelImpl(const ModelConfig& config, torch::Device device = torch::kCPU,
                        torch::ScalarType dtype = torch::kFloat32);

  // Module::to with the precision policy: floating parameters take `dtype`
  // except the float32 ones (keepsFloat32); everything moves to `device`.
  void to(torch::Device device, torch::Dtype dtype, bool nonBlocking = false) override;
  void to(torch::Dtype dtype, bool nonBlocking = false) override;
  void to(torch::Device device, bool nonBlocking = false) override;
  torch::ScalarType computeDtype() const;  // the dtype of the blocks' linear layers

  // Adds the pooled-caption path (ModelConfig::pooledText) to a model built
  // without it, zero-initialised so that the model's output is unchanged:
  // how a trained model is fine-tuned with it. No-op when already there.
  void enablePooledText();
  // The same for the absolute position path (ModelConfig::absolutePosition).
  void enableAbsolutePosition();
  // The same for the layout prior (ModelConfig::layoutPrior), `hidden` wide.
  void enableLayoutPrior(int64_t hidden);

  // The token grid for a latent of F x H x W (before patching).
  TokenGrid tokenGrid(int64_t latentFrames, int64_t latentHeight, int64_t latentWidth) const;

  // latents: [B, Cin, F, H, W], t: [B] (0..1000), context: [B, T, textDim]
  // (any floating dtype, on the model's device) -> float32 velocity.
  torch::Tensor forward(const torch::Tensor& latents, const torch::Tensor& t, const torch::Tensor& context,
                        AttentionOp& op);

  ModelConfig config;
  torch::nn::Conv3d patchEmbedding{nullptr};
  torch::nn::Sequential textEmbedding{nullptr}, timeEmbedding{nullptr}, timeProjection{nullptr};
  torch::nn::Linear textPool{nullptr};  // [textDim -> dim], only with config.pooledText
  torch::nn::Linear positionEmbedding{nullptr};  // [6 k -> dim], only with config.absolutePosition
  LayoutPrior layoutPrior{nullptr};              // only with config.layoutPrior > 0
  torch::nn::ModuleList blocks{nullptr};
  DitHead head{nullptr};
  // The 3D RoPE tables of the grids this model was run at, on its device
  // (forward reads them from here; to() empties it).
  RopeCache ropeCache;
};
TORCH_MODULE(DitModel);

}  // namespace attnscope
