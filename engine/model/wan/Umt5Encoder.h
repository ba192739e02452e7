#pragma once
// umT5 encoder as in Wan 2.1 (wan/modules/t5.py, T5Encoder with shared_pos =
// false): token embedding -> blocks of [RMS norm -> self-attention without
// scaling, with a per-layer learned relative-position bias (bidirectional
// buckets) and padded keys masked -> RMS norm -> gated-GELU(tanh) FFN] -> RMS
// norm. Parameter names are Wan's (blocks.N.attn.q, ffn.gate.0, pos_embedding.embedding, ...).
#include <torch/torch.h>

#include "engine/model/wan/WanConfig.h"

namespace attnscope {

// T5's bidirectional relative-position bucket of (key - query) for every pair: [Lq, Lk] int64.
torch::Tensor relativePositionBuckets(int64_t queries, int64_t keys, int64_t numBuckets, int64_t maxDistance);

struct Umt5LayerNormImpl : torch::nn::Module {
  Umt5LayerNormImpl(int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);  // x * rsqrt(mean(x^2) + eps) * weight
  torch::Tensor weight;
  double eps;
};
TORCH_MODULE(Umt5LayerNorm);

struct Umt5BlockImpl : torch::nn::Module {
  explicit Umt5BlockImpl(const Umt5Config& c);
  // x: [B, L, C], keyMask: [B, L] (1 = token, 0 = padding) -> [B, L, C]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keyMask);
  // The additive position bias of this layer: [1, heads, L, L].
  torch::Tensor positionBias(int64_t length);
  Umt5Config config;
  Umt5LayerNorm norm1{nullptr}, norm2{nullptr};
  std::shared_ptr<torch::nn::Module> attn, ffn, posEmbedding;
  torch::nn::Linear q{nullptr}, k{nullptr}, v{nullptr}, o{nullptr};
  torch::nn::Linear gate{nullptr}, fc1{nullptr}, fc2{nullptr};
  torch::nn::Embedding bias{nullptr};  // [buckets, heads]
};
TORCH_MODULE(Umt5Block);

struct Umt5EncoderImpl : torch::nn::Module {
  // Built part by part straight onto `device` in `dtype` (umT5-XXL's encoder
  // would be 22 GB as one float32 CPU copy). In bf16 it follows Wan's T5:
  // weights and activations bf16, norms' mean square and softmax in float32.
  explicit Umt5EncoderImpl(const Umt5Config& c, torch::Device device = torch::kCPU,
                           torch::ScalarType dtype = torch::kFloat32);
  // ids, mask: [B, L] int64 (any device) -> [B, L, dim] on the encoder's device, in its dtype
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& mask);
  Umt5Config config;
  torch::nn::Embedding tokenEmbedding{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  Umt5LayerNorm norm{nullptr};
};
TORCH_MODULE(Umt5Encoder);

}  // namespace attnscope
