#include "engine/model/wan/Umt5Encoder.h"

#include <cmath>
#include <limits>

#include "engine/model/ModulePlacement.h"

namespace attnscope {

namespace {

double lowestOf(torch::ScalarType t) {
  switch (t) {
    case torch::kBFloat16: return double(std::numeric_limits<c10::BFloat16>::lowest());
    case torch::kHalf: return double(std::numeric_limits<c10::Half>::lowest());
    case torch::kFloat64: return std::numeric_limits<double>::lowest();
    default: return std::numeric_limits<float>::lowest();
  }
}

}  // namespace

torch::Tensor relativePositionBuckets(int64_t queries, int64_t keys, int64_t numBuckets, int64_t maxDistance) {
  auto rel = torch::arange(keys, torch::kInt64).unsqueeze(0) - torch::arange(queries, torch::kInt64).unsqueeze(1);
  const int64_t half = numBuckets / 2;  // bidirectional: one half per direction
  auto buckets = rel.gt(0).to(torch::kInt64) * half;
  auto distance = rel.abs();
  const int64_t maxExact = half / 2;
  // Logarithmic buckets beyond maxExact, up to maxDistance.
  auto large = maxExact + (torch::log(distance.to(torch::kFloat32) / double(maxExact)) /
                           std::log(double(maxDistance) / double(maxExact)) * double(half - maxExact))
                              .to(torch::kInt64);
  large = torch::clamp_max(large, half - 1);
  return buckets + torch::where(distance.lt(maxExact), distance, large);
}

Umt5LayerNormImpl::Umt5LayerNormImpl(int64_t dim, double eps) : eps(eps) {
  weight = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor Umt5LayerNormImpl::forward(const torch::Tensor& x) {
  // As Wan's T5LayerNorm: the mean square in float32, the result in the weight's dtype.
  auto scaled = x * torch::rsqrt(x.to(torch::kFloat32).pow(2).mean(-1, true) + eps);
  return weight * scaled.to(weight.scalar_type());
}

Umt5BlockImpl::Umt5BlockImpl(const Umt5Config& c) : config(c) {
  auto linear = [](int64_t in, int64_t out) { return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(false)); };
  norm1 = register_module("norm1", Umt5LayerNorm(c.dim, c.eps));
  attn = register_module("attn", std::make_shared<torch::nn::Module>());
  q = attn->register_module("q", linear(c.dim, c.dimAttn));
  k = attn->register_module("k", linear(c.dim, c.dimAttn));
  v = attn->register_module("v", linear(c.dim, c.dimAttn));
  o = attn->register_module("o", linear(c.dimAttn, c.dim));
  norm2 = register_module("norm2", Umt5LayerNorm(c.dim, c.eps));
  ffn = register_module("ffn", std::make_shared<torch::nn::Module>());
  auto gateSeq = ffn->register_module("gate", std::make_shared<torch::nn::Module>());
  gate = gateSeq->register_module("0", linear(c.dim, c.ffnDim));
  fc1 = ffn->register_module("fc1", linear(c.dim, c.ffnDim));
  fc2 = ffn->register_module("fc2", linear(c.ffnDim, c.dim));
  posEmbedding = register_module("pos_embedding", std::make_shared<torch::nn::Module>());
  bias = posEmbedding->register_module("embedding", torch::nn::Embedding(c.buckets, c.heads));
}

torch::Tensor Umt5BlockImpl::positionBias(int64_t length) {
  auto buckets = relativePositionBuckets(length, length, config.buckets, config.maxDistance);
  return bias->forward(buckets.to(bias->weight.device())).permute({2, 0, 1}).unsqueeze(0);  // [1, H, L, L]
}

torch::Tensor Umt5BlockImpl::forward(const torch::Tensor& x, const torch::Tensor& keyMask) {
  const int64_t B = x.size(0), L = x.size(1), H = config.heads, D = config.dimAttn / config.heads;
  auto h = norm1(x);
  auto qh = q(h).view({B, L, H, D}).transpose(1, 2);  // [B, H, L, D]
  auto kh = k(h).view({B, L, H, D}).transpose(1, 2);
  auto vh = v(h).view({B, L, H, D}).transpose(1, 2);
  // T5 does not scale the scores; padded keys get the dtype's lowest value and
  // the softmax runs in float32, as Wan does.
  auto scores = torch::matmul(qh, kh.transpose(-1, -2)) + positionBias(L);
  scores = scores.masked_fill(keyMask.view({B, 1, 1, L}).eq(0), lowestOf(scores.scalar_type()));
  auto weights = torch::softmax(scores.to(torch::kFloat32), -1).to(scores.scalar_type());
  auto attended = torch::matmul(weights, vh).transpose(1, 2).reshape({B, L, H * D});
  auto y = x + o(attended);
  auto f = norm2(y);
  return y + fc2(fc1(f) * torch::gelu(gate(f), "tanh"));
}

Umt5EncoderImpl::Umt5EncoderImpl(const Umt5Config& c, torch::Device device, torch::ScalarType dtype) : config(c) {
  tokenEmbedding = register_module("token_embedding", torch::nn::Embedding(c.vocab, c.dim));
  placeModule(*tokenEmbedding, "token_embedding.", device, dtype);
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.layers; ++i) {
    Umt5Block block(c);
    placeModule(*block, "", device, dtype);
    blocks->push_back(block);
  }
  norm = register_module("norm", Umt5LayerNorm(c.dim, c.eps));
  placeModule(*norm, "", device, dtype);
}

torch::Tensor Umt5EncoderImpl::forward(const torch::Tensor& ids, const torch::Tensor& mask) {
  const auto device = tokenEmbedding->weight.device();
  auto x = tokenEmbedding(ids.to(device));
  auto keyMask = mask.to(device);
  for (size_t i = 0; i < blocks->size(); ++i) x = blocks->ptr<Umt5BlockImpl>(i)->forward(x, keyMask);
  return norm(x);
}

}  // namespace attnscope
