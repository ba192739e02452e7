#pragma once
// Wan 2.1 VAE decoder (wan/modules/vae.py: conv2 + Decoder3d), parameter names
// as in Wan2.1_VAE.pth. Causal 3D convolutions pad only the past (2 frames for
// kernel 3); decoding runs chunk by chunk over latent frames with a feature
// cache holding each causal convolution's last two input frames, so a
// chunked decode equals a one-shot decode. The first latent frame decodes to
// one frame, each later one to temporalStride() frames.
#include <torch/torch.h>

#include "engine/model/wan/WanConfig.h"

namespace attnscope {

// Per-call state of a chunked decode: one slot per cached convolution, used in
// call order (like the reference's feat_cache / feat_idx).
struct CausalCache {
  std::vector<torch::Tensor> pastFrames;  // per slot; undefined = no chunk seen yet
  size_t next = 0;
  void beginChunk() { next = 0; }
  torch::Tensor& slot();
};

// x: [B, C, T, H, W]; conv has zero temporal padding configured, `timePad` past
// frames are taken from the cache (or zeros on the first chunk).
torch::Tensor causalConv3d(torch::nn::Conv3d& conv, const torch::Tensor& x, int64_t timePad, int64_t spacePad,
                           CausalCache* cache);

// RMS_norm: F.normalize over channels (dim 1) * sqrt(C) * gamma.
struct VaeRmsNormImpl : torch::nn::Module {
  VaeRmsNormImpl(int64_t dim, bool images);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor gamma;
  double scale;
};
TORCH_MODULE(VaeRmsNorm);

struct VaeResidualBlockImpl : torch::nn::Module {
  VaeResidualBlockImpl(int64_t in, int64_t out);
  torch::Tensor forward(const torch::Tensor& x, CausalCache& cache);  // [B, in, T, H, W] -> [B, out, T, H, W]
  VaeRmsNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::Conv3d conv1{nullptr}, conv2{nullptr}, shortcut{nullptr};
};
TORCH_MODULE(VaeResidualBlock);

// Single-head self-attention over the pixels of each frame.
struct VaeAttentionBlockImpl : torch::nn::Module {
  explicit VaeAttentionBlockImpl(int64_t dim);
  torch::Tensor forward(const torch::Tensor& x);
  VaeRmsNorm norm{nullptr};
  torch::nn::Conv2d toQkv{nullptr}, proj{nullptr};
};
TORCH_MODULE(VaeAttentionBlock);

// Resample 'upsample2d' / 'upsample3d': optional temporal doubling by a causal
// (3,1,1) convolution to 2C channels (skipped for the very first frame), then
// nearest 2x spatial upsampling and a 3x3 convolution to C/2 channels.
struct VaeUpsampleImpl : torch::nn::Module {
  VaeUpsampleImpl(int64_t dim, bool temporal);
  torch::Tensor forward(const torch::Tensor& x, CausalCache& cache);
  bool temporal;
  torch::nn::Conv2d conv{nullptr};
  torch::nn::Conv3d timeConv{nullptr};
};
TORCH_MODULE(VaeUpsample);

struct WanVaeDecoderImpl : torch::nn::Module {
  explicit WanVaeDecoderImpl(const WanVaeConfig& config);
  // Normalised latent z: [B, zDim, T, h, w] -> video [B, 3, 1 + s*(T-1), 8h, 8w] in [-1, 1];
  // `chunkFrames` latent frames per decoder call (Wan uses 1).
  torch::Tensor decode(const torch::Tensor& z, int64_t chunkFrames = 1);
  // One chunk through Decoder3d (after conv2), with the decode's cache.
  torch::Tensor decoderChunk(const torch::Tensor& x, CausalCache& cache);
  WanVaeConfig config;
  torch::nn::Conv3d postQuant{nullptr};  // "conv2"
  torch::nn::Conv3d conv1{nullptr}, headConv{nullptr};
  VaeRmsNorm headNorm{nullptr};
  std::vector<std::shared_ptr<torch::nn::Module>> middle, upsamples;
  torch::Tensor mean, invStd;  // not parameters: fixed statistics
};
TORCH_MODULE(WanVaeDecoder);

}  // namespace attnscope
