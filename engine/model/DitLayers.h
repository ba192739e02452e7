#pragma once
// The layers of a Wan 2.1 style DiT block. Parameter names follow Wan's
// checkpoints (self_attn.q, norm_q, ffn.0, modulation, ...) so that real
// weights load by name.
#include <torch/torch.h>

#include "engine/attention/AttentionOp.h"
#include "engine/model/Rope3d.h"

namespace attnscope {

// A linear layer fed in its weights' dtype (float32 activations enter bf16
// layers as bf16, as autocast does in the reference). x: [..., in] -> [..., out].
torch::Tensor linearIn(torch::nn::Linear& layer, const torch::Tensor& x);

struct RmsNormImpl : torch::nn::Module {
  RmsNormImpl(int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;
  double eps;
};
TORCH_MODULE(RmsNorm);

// Linear -> GELU(tanh) -> Linear, registered as "0" and "2" like nn.Sequential.
struct FeedForwardImpl : torch::nn::Module {
  FeedForwardImpl(int64_t dim, int64_t hidden, int64_t out);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(FeedForward);

// The q/k/v/o projections and q/k RMS norms both attention layers share.
struct AttentionProjections : torch::nn::Module {
  AttentionProjections(int64_t dim, int64_t heads, double eps);
  int64_t heads;
  torch::nn::Linear q{nullptr}, k{nullptr}, v{nullptr}, o{nullptr};
  RmsNorm normQ{nullptr}, normK{nullptr};
};

struct SelfAttentionImpl : AttentionProjections {
  using AttentionProjections::AttentionProjections;
  // x: [B, N, C] -> [B, N, C]
  torch::Tensor forward(const torch::Tensor& x, const RopeTables& rope, AttentionOp& op, int layer);
};
TORCH_MODULE(SelfAttention);

struct CrossAttentionImpl : AttentionProjections {
  using AttentionProjections::AttentionProjections;
  // x: [B, N, C], context: [B, T, C] -> [B, N, C]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context, AttentionOp& op, int layer);
};
TORCH_MODULE(CrossAttention);

struct DitBlockImpl : torch::nn::Module {
  // crossAttnNorm = false: no norm3 (Wan's cross_attn_norm option).
  DitBlockImpl(int64_t dim, int64_t heads, int64_t ffnDim, double eps, bool crossAttnNorm = true);
  // x: [B, N, C], e0: [B, 6, C] time modulation, context: [B, T, C]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& e0, const torch::Tensor& context,
                        const RopeTables& rope, AttentionOp& op, int layer);
  int64_t dim;
  double eps;
  SelfAttention selfAttn{nullptr};
  CrossAttention crossAttn{nullptr};
  torch::nn::LayerNorm norm3{nullptr};
  FeedForward ffn{nullptr};
  torch::Tensor modulation;  // [1, 6, C]
};
TORCH_MODULE(DitBlock);

}  // namespace attnscope
