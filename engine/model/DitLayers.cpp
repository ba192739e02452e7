#include "engine/model/DitLayers.h"

#include <cmath>

namespace attnscope {

namespace {

// Normalised in float32 and returned in x's dtype (WanLayerNorm).
torch::Tensor plainLayerNorm(const torch::Tensor& x, double eps) {
  return torch::layer_norm(x.to(torch::kFloat32), {x.size(-1)}, {}, {}, eps).to(x.scalar_type());
}

// The CPU attention kernels take float32; elsewhere attention runs in the inputs' dtype.
torch::Tensor forAttention(const torch::Tensor& x) { return x.is_cpu() ? x.to(torch::kFloat32) : x; }

// [B, L, C] -> [B, H, L, C/H]
torch::Tensor splitHeads(const torch::Tensor& x, int64_t heads) {
  return x.view({x.size(0), x.size(1), heads, x.size(2) / heads}).transpose(1, 2).contiguous();
}

torch::Tensor mergeHeads(const torch::Tensor& x) {
  // [B, H, L, D] -> [B, L, H*D]
  return x.transpose(1, 2).reshape({x.size(0), x.size(2), x.size(1) * x.size(3)});
}

}  // namespace

torch::Tensor linearIn(torch::nn::Linear& layer, const torch::Tensor& x) {
  // Over the tokens flattened to rows, so that the bias is added inside the
  // matrix product (addmm: cuBLASLt's epilogue on the GPU); at::linear on a
  // 3D input added it in a separate pass over the output (2.11, measured).
  auto rows = x.to(layer->weight.scalar_type()).reshape({-1, x.size(-1)});
  auto y = layer->bias.defined() ? torch::addmm(layer->bias, rows, layer->weight.t())
                                 : torch::mm(rows, layer->weight.t());
  auto sizes = x.sizes().vec();
  sizes.back() = layer->weight.size(0);
  return y.view(sizes);
}

RmsNormImpl::RmsNormImpl(int64_t dim, double eps) : eps(eps) {
  weight = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) {
  // As WanRMSNorm: normalised in float32, back to x's dtype, then scaled.
  auto x32 = x.to(torch::kFloat32);
  return (x32 * torch::rsqrt(x32.pow(2).mean(-1, true) + eps)).to(x.scalar_type()) * weight;
}

FeedForwardImpl::FeedForwardImpl(int64_t dim, int64_t hidden, int64_t out) {
  fc1 = register_module("0", torch::nn::Linear(dim, hidden));
  fc2 = register_module("2", torch::nn::Linear(hidden, out));
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) {
  return linearIn(fc2, torch::gelu(linearIn(fc1, x), "tanh"));
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
  auto vh = splitHeads(linearIn(v, x), heads);
  // RoPE rotates in float32; attention then takes q and k in v's dtype (as the reference does).
  auto rotated = [&](torch::nn::Linear& proj, RmsNorm& norm) {
    return applyRope(norm(linearIn(proj, x)).view({B, N, heads, C / heads}), rope)
        .to(vh.scalar_type())
        .transpose(1, 2)
        .contiguous();
  };
  auto qh = rotated(q, normQ), kh = rotated(k, normK);
  auto out = op.self(layer, forAttention(qh), forAttention(kh), forAttention(vh)).to(vh.scalar_type());
  return linearIn(o, mergeHeads(out));
}

torch::Tensor CrossAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& context, AttentionOp& op,
                                          int layer) {
  auto qh = splitHeads(normQ(linearIn(q, x)), heads);
  auto kh = splitHeads(normK(linearIn(k, context)), heads);
  auto vh = splitHeads(linearIn(v, context), heads);
  auto out = op.cross(layer, forAttention(qh), forAttention(kh), forAttention(vh)).to(vh.scalar_type());
  return linearIn(o, mergeHeads(out));
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
  // Wan's precision policy: the modulation (float32 when e0 is) and the
  // residual stream stay in e0's dtype, the norms compute in float32, the
  // linear layers run in their weights' dtype (bf16 on the GPU path).
  // addcmul: one pass over the tokens where `a * b + c` takes two or three
  // (the chunks are [B, 1, C]; the activations [B, L, C] dominate the step).
  auto e = (modulation + e0).chunk(6, 1);
  auto y = selfAttn(torch::addcmul(e[0], plainLayerNorm(x, eps).to(e0.scalar_type()), 1 + e[1]), rope, op, layer);
  auto h = torch::addcmul(x, y, e[2]);
  auto n3 = norm3 ? norm3(h.to(norm3->weight.scalar_type())).to(h.scalar_type()) : h;
  h = h + crossAttn(n3, context, op, layer);
  auto f = ffn(torch::addcmul(e[3], plainLayerNorm(h, eps).to(e0.scalar_type()), 1 + e[4]));
  return torch::addcmul(h, f, e[5]);
}

}  // namespace attnscope
