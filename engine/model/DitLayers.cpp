#include "engine/model/DitLayers.h"

#include <cmath>

namespace attnscope {

namespace {

torch::Tensor plainLayerNorm(const torch::Tensor& x, double eps) {
  return torch::layer_norm(x, {x.size(-1)}, {}, {}, eps);
}

// [B, L, C] -> [B, H, L, C/H]
torch::Tensor splitHeads(const torch::Tensor& x, int64_t heads) {
  return x.view({x.size(0), x.size(1), heads, x.size(2) / heads}).transpose(1, 2).contiguous();
}

torch::Tensor mergeHeads(const torch::Tensor& x) {
  // [B, H, L, D] -> [B, L, H*D]
  return x.transpose(1, 2).reshape({x.size(0), x.size(2), x.size(1) * x.size(3)});
}

}  // namespace

RmsNormImpl::RmsNormImpl(int64_t dim, double eps) : eps(eps) {
  weight = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) {
  return x * torch::rsqrt(x.pow(2).mean(-1, true) + eps) * weight;
}

FeedForwardImpl::FeedForwardImpl(int64_t dim, int64_t hidden, int64_t out) {
  fc1 = register_module("0", torch::nn::Linear(dim, hidden));
  fc2 = register_module("2", torch::nn::Linear(hidden, out));
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) {
  return fc2(torch::gelu(fc1(x), "tanh"));
}

AttentionProjections::AttentionProjections(int64_t dim, int64_t heads, double eps) : heads(heads) {
  q = register_module("q", torch::nn::Linear(dim, dim));
  k = register_module("k", torch::nn::Linear(dim, dim));
  v = register_module("v", torch::nn::Linear(dim, dim));
  o = register_module("o", torch::nn::Linear(dim, dim));
  normQ = register_module("norm_q", RmsNorm(dim, eps));
  normK = register_module("norm_k", RmsNorm(dim, eps));
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x, const RopeTables& rope, AttentionOp& op,
                                         int layer) {
  const int64_t B = x.size(0), N = x.size(1), C = x.size(2);
  auto qh = applyRope(normQ(q(x)).view({B, N, heads, C / heads}), rope).transpose(1, 2).contiguous();
  auto kh = applyRope(normK(k(x)).view({B, N, heads, C / heads}), rope).transpose(1, 2).contiguous();
  auto vh = splitHeads(v(x), heads);
  return o(mergeHeads(op.self(layer, qh, kh, vh)));
}

torch::Tensor CrossAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& context, AttentionOp& op,
                                          int layer) {
  auto qh = splitHeads(normQ(q(x)), heads);
  auto kh = splitHeads(normK(k(context)), heads);
  auto vh = splitHeads(v(context), heads);
  return o(mergeHeads(op.cross(layer, qh, kh, vh)));
}

DitBlockImpl::DitBlockImpl(int64_t dim, int64_t heads, int64_t ffnDim, double eps, bool crossAttnNorm)
    : dim(dim), eps(eps) {
  selfAttn = register_module("self_attn", SelfAttention(dim, heads, eps));
  if (crossAttnNorm)
    norm3 = register_module("norm3", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(eps)));
  crossAttn = register_module("cross_attn", CrossAttention(dim, heads, eps));
  ffn = register_module("ffn", FeedForward(dim, ffnDim, dim));
  modulation = register_parameter("modulation", torch::randn({1, 6, dim}) / std::sqrt(double(dim)));
}

torch::Tensor DitBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& e0, const torch::Tensor& context,
                                    const RopeTables& rope, AttentionOp& op, int layer) {
  // Six [B, 1, C] chunks: shift/scale/gate for attention, then for the FFN.
  auto e = (modulation + e0).chunk(6, 1);
  auto y = selfAttn(plainLayerNorm(x, eps) * (1 + e[1]) + e[0], rope, op, layer);
  auto h = x + y * e[2];
  h = h + crossAttn(norm3 ? norm3(h) : h, context, op, layer);
  auto f = ffn(plainLayerNorm(h, eps) * (1 + e[4]) + e[3]);
  return h + f * e[5];
}

}  // namespace attnscope
