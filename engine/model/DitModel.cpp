#include "engine/model/DitModel.h"

#include <cmath>

#include "engine/core/Error.h"
#include "engine/model/ModulePlacement.h"

namespace attnscope {

namespace {

bool startsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

bool keepsFloat32(const std::string& name) {
  return startsWith(name, "time_embedding.") || startsWith(name, "text_pool.") || startsWith(name, "pos_embedding.") ||
         startsWith(name, "layout_prior.") ||
         startsWith(name, "time_projection.") || startsWith(name, "head.") ||
         name.find("modulation") != std::string::npos || name.find(".norm3.") != std::string::npos;
}

torch::Tensor sinusoidalEmbedding(const torch::Tensor& t, int64_t dim) {
  const int64_t half = dim / 2;
  auto freqs = torch::pow(10000.0, -torch::arange(half, torch::kFloat64) / double(half)).to(t.device());
  auto angles = torch::outer(t.to(torch::kFloat64), freqs);
  return torch::cat({torch::cos(angles), torch::sin(angles)}, 1).to(torch::kFloat32);
}

torch::Tensor gridPositionFeatures(const TokenGrid& grid, torch::Device device) {
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64).device(device);
  const auto k = torch::arange(1, kPositionFrequencies + 1, f64) * M_PI;
  auto axis = [&](int64_t n) {  // [n, 2k]
    auto angles = torch::outer((torch::arange(n, f64) + 0.5) / double(n), k);
    return torch::cat({torch::sin(angles), torch::cos(angles)}, 1);
  };
  const int64_t F = grid.frames, H = grid.height, W = grid.width, c = 2 * kPositionFrequencies;
  auto features = torch::cat({axis(F).view({F, 1, 1, c}).expand({F, H, W, c}),
                              axis(H).view({1, H, 1, c}).expand({F, H, W, c}),
                              axis(W).view({1, 1, W, c}).expand({F, H, W, c})},
                             -1);
  return features.reshape({F * H * W, 3 * c}).to(torch::kFloat32);
}

torch::Tensor maskedTokenMean(const torch::Tensor& context) {
  auto c = context.to(torch::kFloat32);
  auto valid = (c.abs().amax(-1, /*keepdim=*/true) > 0).to(torch::kFloat32);  // [B, T, 1]
  return (c * valid).sum(1) / valid.sum(1).clamp_min(1.0);
}

DitHeadImpl::DitHeadImpl(int64_t dim, int64_t outFeatures, double eps) : eps(eps) {
  head = register_module("head", torch::nn::Linear(dim, outFeatures));
  modulation = register_parameter("modulation", torch::randn({1, 2, dim}) / std::sqrt(double(dim)));
}

torch::Tensor DitHeadImpl::forward(const torch::Tensor& x, const torch::Tensor& e) {
  // In float32 (Head runs under autocast(float32) in the reference).
  auto m = (modulation + e.unsqueeze(1)).chunk(2, 1);  // shift, scale: [B, 1, C]
  auto n = torch::layer_norm(x.to(torch::kFloat32), {x.size(-1)}, {}, {}, eps).to(m[0].scalar_type());
  return linearIn(head, torch::addcmul(m[0], n, 1 + m[1]));
}

DitModelImpl::DitModelImpl(const ModelConfig& c, torch::Device device, torch::ScalarType dtype) : config(c) {
  const int64_t dim = c.dim;
  const int64_t channels = c.latentChannels();
  patchEmbedding = register_module(
      "patch_embedding",
      torch::nn::Conv3d(torch::nn::Conv3dOptions(channels, dim, {c.patch[0], c.patch[1], c.patch[2]})
                            .stride({c.patch[0], c.patch[1], c.patch[2]})));
  textEmbedding = register_module(
      "text_embedding", torch::nn::Sequential(torch::nn::Linear(c.textDim, dim),
                                              torch::nn::Functional([](const torch::Tensor& x) { return torch::gelu(x, "tanh"); }),
                                              torch::nn::Linear(dim, dim)));
  timeEmbedding = register_module(
      "time_embedding", torch::nn::Sequential(torch::nn::Linear(c.freqDim, dim), torch::nn::SiLU(),
                                              torch::nn::Linear(dim, dim)));
  timeProjection =
      register_module("time_projection", torch::nn::Sequential(torch::nn::SiLU(), torch::nn::Linear(dim, 6 * dim)));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.layers; ++i) {
    DitBlock block(dim, c.heads, c.ffnDim, c.eps, c.crossAttnNorm);
    placeModule(*block, "blocks." + std::to_string(i) + ".", device, dtype, keepsFloat32);
    blocks->push_back(block);
  }
  head = register_module("head", DitHead(dim, c.tokenOutFeatures(), c.eps));
  if (c.pooledText) enablePooledText();
  if (c.absolutePosition) enableAbsolutePosition();
  if (c.layoutPrior > 0) enableLayoutPrior(c.layoutPrior);
  placeModule(*this, "", device, dtype, keepsFloat32);
}

void DitModelImpl::enablePooledText() {
  if (textPool) return;
  textPool = register_module("text_pool", torch::nn::Linear(config.textDim, config.dim));
  {
    // Zero: the caption's global path starts silent, so a trained model's
    // output is unchanged until fine-tuning teaches it something.
    torch::NoGradGuard noGrad;
    textPool->weight.zero_();
    textPool->bias.zero_();
  }
  textPool->to(patchEmbedding->weight.device(), torch::kFloat32);
  config.pooledText = true;
}

void DitModelImpl::enableAbsolutePosition() {
  if (positionEmbedding) return;
  positionEmbedding = register_module("pos_embedding", torch::nn::Linear(6 * kPositionFrequencies, config.dim));
  {
    torch::NoGradGuard noGrad;  // zero, as text_pool: the model's output is unchanged
    positionEmbedding->weight.zero_();
    positionEmbedding->bias.zero_();
  }
  positionEmbedding->to(patchEmbedding->weight.device(), torch::kFloat32);
  config.absolutePosition = true;
}

void DitModelImpl::enableLayoutPrior(int64_t hidden) {
  if (layoutPrior) return;
  if (hidden < 1) throw Error("the layout prior needs a hidden width of at least 1, got " + std::to_string(hidden));
  layoutPrior = register_module(
      "layout_prior", LayoutPrior(6 * kPositionFrequencies, config.dim, config.textDim, hidden, config.tokenOutFeatures()));
  layoutPrior->to(patchEmbedding->weight.device(), torch::kFloat32);
  config.layoutPrior = hidden;
}

// Moving the model drops the RoPE tables held on its old device (a Wan grid's
// table is tens of MB); forward builds them again where the model now is.
void DitModelImpl::to(torch::Device device, torch::Dtype dtype, bool nonBlocking) {
  placeModule(*this, "", device, dtype, keepsFloat32, nonBlocking);
  ropeCache.clear();
}

void DitModelImpl::to(torch::Dtype dtype, bool nonBlocking) {
  placeModule(*this, "", patchEmbedding->weight.device(), dtype, keepsFloat32, nonBlocking);
}

void DitModelImpl::to(torch::Device device, bool nonBlocking) {
  placeModule(*this, "", device, computeDtype(), keepsFloat32, nonBlocking);
  ropeCache.clear();
}

torch::ScalarType DitModelImpl::computeDtype() const { return patchEmbedding->weight.scalar_type(); }

TokenGrid DitModelImpl::tokenGrid(int64_t f, int64_t h, int64_t w) const {
  const auto& p = config.patch;
  if (f % p[0] || h % p[1] || w % p[2])
    throw Error("latent " + std::to_string(f) + "x" + std::to_string(h) + "x" + std::to_string(w) +
                " is not divisible by the patch " + std::to_string(p[0]) + "x" + std::to_string(p[1]) + "x" +
                std::to_string(p[2]));
  return TokenGrid{f / p[0], h / p[1], w / p[2], 0};
}

torch::Tensor DitModelImpl::forward(const torch::Tensor& latents, const torch::Tensor& t, const torch::Tensor& context,
                                    AttentionOp& op) {
  const int64_t B = latents.size(0), C = config.latentChannels();
  TokenGrid grid = tokenGrid(latents.size(2), latents.size(3), latents.size(4));
  // Wan's precision policy: patch and text embeddings in the compute dtype,
  // the time embedding (and so the modulation and residual stream) in its
  // weights' dtype, float32 on the GPU path.
  const auto device = patchEmbedding->weight.device();
  auto x = patchEmbedding(latents.to(device, computeDtype())).flatten(2).transpose(1, 2).contiguous();  // [B, N, dim]
  torch::Tensor positions;
  if (positionEmbedding || layoutPrior) positions = gridPositionFeatures(grid, device);
  if (positionEmbedding) x = x + positionEmbedding->forward(positions).to(x.scalar_type()).unsqueeze(0);
  const auto timeDtype = timeEmbedding->ptr<torch::nn::LinearImpl>(0)->weight.scalar_type();
  auto e = timeEmbedding->forward(sinusoidalEmbedding(t.to(device), config.freqDim).to(timeDtype));  // [B, dim]
  torch::Tensor captionMean;
  if (textPool || layoutPrior) captionMean = maskedTokenMean(context.to(device));
  if (textPool) e = e + textPool->forward(captionMean).to(e.scalar_type());
  auto e0 = timeProjection->forward(e).view({B, 6, config.dim});
  const auto textDtype = textEmbedding->ptr<torch::nn::LinearImpl>(0)->weight.scalar_type();
  auto ctx = textEmbedding->forward(context.to(device, textDtype));  // [B, T, dim]
  const RopeTables rope = ropeCache.get(grid, config.headDim(), device);
  for (size_t i = 0; i < blocks->size(); ++i)
    x = blocks->ptr<DitBlockImpl>(i)->forward(x, e0, ctx, rope, op, static_cast<int>(i));
  x = head(x, e);  // [B, N, C * pf * ph * pw]
  if (layoutPrior) x = x + layoutPrior->forward(positions, e, captionMean).to(x.scalar_type());
  const auto& p = config.patch;
  x = x.view({B, grid.frames, grid.height, grid.width, p[0], p[1], p[2], C});
  x = x.permute({0, 7, 1, 4, 2, 5, 3, 6});  // [B, C, F, pf, H, ph, W, pw]
  return x.reshape({B, C, grid.frames * p[0], grid.height * p[1], grid.width * p[2]}).to(torch::kFloat32);
}

}  // namespace attnscope
