#include "engine/model/wan/WanVae.h"

#include <cmath>

#include "engine/core/Error.h"

namespace attnscope {

namespace {

torch::nn::Conv3d conv3d(int64_t in, int64_t out, std::vector<int64_t> kernel) {
  return torch::nn::Conv3d(torch::nn::Conv3dOptions(in, out, torch::ExpandingArray<3>({kernel[0], kernel[1], kernel[2]})));
}

// A named child module holding other children ("residual" -> "0", "2", ...).
std::shared_ptr<torch::nn::Module> holder(torch::nn::Module& parent, const std::string& name) {
  return parent.register_module(name, std::make_shared<torch::nn::Module>());
}

// [B, C, T, H, W] <-> [B*T, C, H, W]
torch::Tensor framesToImages(const torch::Tensor& x) {
  return x.permute({0, 2, 1, 3, 4}).reshape({x.size(0) * x.size(2), x.size(1), x.size(3), x.size(4)});
}
torch::Tensor imagesToFrames(const torch::Tensor& x, int64_t batch) {
  return x.view({batch, x.size(0) / batch, x.size(1), x.size(2), x.size(3)}).permute({0, 2, 1, 3, 4});
}

}  // namespace

torch::Tensor& CausalCache::slot() {
  if (next == pastFrames.size()) pastFrames.emplace_back();
  return pastFrames[next++];
}

torch::Tensor causalConv3d(torch::nn::Conv3d& conv, const torch::Tensor& x, int64_t timePad, int64_t spacePad,
                           CausalCache* cache) {
  torch::Tensor input = x;
  int64_t zeros = timePad;
  if (timePad > 0 && cache) {
    torch::Tensor& past = cache->slot();
    if (past.defined()) {
      input = torch::cat({past, x}, 2);
      zeros = std::max<int64_t>(0, timePad - past.size(2));
    }
    // Keep the last timePad input frames (fewer while the video is shorter).
    const int64_t keep = std::min<int64_t>(timePad, input.size(2));
    past = input.slice(2, input.size(2) - keep).clone();
  }
  input = torch::constant_pad_nd(input, {spacePad, spacePad, spacePad, spacePad, zeros, 0});
  return conv(input);
}

VaeRmsNormImpl::VaeRmsNormImpl(int64_t dim, bool images) : scale(std::sqrt(double(dim))) {
  gamma = register_parameter("gamma", images ? torch::ones({dim, 1, 1}) : torch::ones({dim, 1, 1, 1}));
}

torch::Tensor VaeRmsNormImpl::forward(const torch::Tensor& x) {
  // F.normalize: x / max(||x||_2, 1e-12) over the channel dim.
  auto norm = x.pow(2).sum(1, true).sqrt().clamp_min(1e-12);
  return x / norm * scale * gamma;
}

VaeResidualBlockImpl::VaeResidualBlockImpl(int64_t in, int64_t out) {
  auto residual = holder(*this, "residual");
  norm1 = residual->register_module("0", VaeRmsNorm(in, false));
  conv1 = residual->register_module("2", conv3d(in, out, {3, 3, 3}));
  norm2 = residual->register_module("3", VaeRmsNorm(out, false));
  conv2 = residual->register_module("6", conv3d(out, out, {3, 3, 3}));
  if (in != out) shortcut = register_module("shortcut", conv3d(in, out, {1, 1, 1}));
}

torch::Tensor VaeResidualBlockImpl::forward(const torch::Tensor& x, CausalCache& cache) {
  auto h = shortcut ? shortcut(x) : x;
  auto y = causalConv3d(conv1, torch::silu(norm1(x)), 2, 1, &cache);
  y = causalConv3d(conv2, torch::silu(norm2(y)), 2, 1, &cache);
  return y + h;
}

VaeAttentionBlockImpl::VaeAttentionBlockImpl(int64_t dim) {
  norm = register_module("norm", VaeRmsNorm(dim, true));
  toQkv = register_module("to_qkv", torch::nn::Conv2d(torch::nn::Conv2dOptions(dim, dim * 3, 1)));
  proj = register_module("proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(dim, dim, 1)));
}

torch::Tensor VaeAttentionBlockImpl::forward(const torch::Tensor& x) {
  // x: [B, C, T, H, W]; attention among the H*W pixels of each frame.
  const int64_t B = x.size(0), C = x.size(1), H = x.size(3), W = x.size(4);
  auto images = norm(framesToImages(x));                                   // [BT, C, H, W]
  auto qkv = toQkv(images).reshape({images.size(0), 3 * C, H * W}).transpose(1, 2);  // [BT, HW, 3C]
  auto parts = qkv.chunk(3, -1);
  auto scores = torch::matmul(parts[0], parts[1].transpose(1, 2)) / std::sqrt(double(C));
  auto attended = torch::matmul(torch::softmax(scores, -1), parts[2]);     // [BT, HW, C]
  auto out = proj(attended.transpose(1, 2).reshape({images.size(0), C, H, W}));
  return imagesToFrames(out, B) + x;
}

VaeUpsampleImpl::VaeUpsampleImpl(int64_t dim, bool temporal) : temporal(temporal) {
  auto resample = holder(*this, "resample");
  conv = resample->register_module("1", torch::nn::Conv2d(torch::nn::Conv2dOptions(dim, dim / 2, 3).padding(1)));
  if (temporal) timeConv = register_module("time_conv", conv3d(dim, dim * 2, {3, 1, 1}));
}

torch::Tensor VaeUpsampleImpl::forward(const torch::Tensor& input, CausalCache& cache) {
  torch::Tensor x = input;
  if (temporal) {
    // Wan's 'Rep' state: the first frame of the video is not doubled.
    torch::Tensor& started = cache.slot();
    torch::Tensor head;
    if (!started.defined()) {
      started = torch::zeros({0});
      head = x.slice(2, 0, 1);
      x = x.slice(2, 1);
    }
    if (x.size(2) > 0) {
      const int64_t B = x.size(0), C = x.size(1), T = x.size(2), H = x.size(3), W = x.size(4);
      auto y = causalConv3d(timeConv, x, 2, 0, &cache).view({B, 2, C, T, H, W});
      // Interleave: frame t becomes (t, first half), (t, second half).
      x = torch::stack({y.select(1, 0), y.select(1, 1)}, 3).reshape({B, C, 2 * T, H, W});
      if (head.defined()) x = torch::cat({head, x}, 2);
    } else {
      x = head;
      cache.slot();  // keep the time-conv slot aligned with later chunks
    }
  }
  auto images = framesToImages(x);
  images = images.repeat_interleave(2, 2).repeat_interleave(2, 3);  // nearest 2x
  return imagesToFrames(conv(images), x.size(0));
}

WanVaeDecoderImpl::WanVaeDecoderImpl(const WanVaeConfig& c) : config(c) {
  if (int64_t(c.mean.size()) != c.zDim || int64_t(c.std.size()) != c.zDim)
    throw Error("the VAE's latent mean/std must have " + std::to_string(c.zDim) + " values");
  const auto dims = c.decoderDims();
  postQuant = register_module("conv2", conv3d(c.zDim, c.zDim, {1, 1, 1}));
  auto decoder = holder(*this, "decoder");
  conv1 = decoder->register_module("conv1", conv3d(c.zDim, dims[0], {3, 3, 3}));
  auto mid = holder(*decoder, "middle");
  middle.push_back(mid->register_module("0", VaeResidualBlock(dims[0], dims[0])));
  middle.push_back(mid->register_module("1", VaeAttentionBlock(dims[0])));
  middle.push_back(mid->register_module("2", VaeResidualBlock(dims[0], dims[0])));
  auto ups = holder(*decoder, "upsamples");
  int64_t index = 0;
  const size_t levels = c.dimMult.size();
  for (size_t i = 0; i + 1 < dims.size(); ++i) {
    int64_t in = i == 0 ? dims[i] : dims[i] / 2;  // the previous upsample halved the channels
    const int64_t out = dims[i + 1];
    for (int64_t r = 0; r <= c.numResBlocks; ++r) {
      upsamples.push_back(ups->register_module(std::to_string(index++), VaeResidualBlock(in, out)));
      in = out;
    }
    if (i + 1 != levels)
      upsamples.push_back(ups->register_module(std::to_string(index++), VaeUpsample(out, c.temporalUpsample[i])));
  }
  auto head = holder(*decoder, "head");
  headNorm = head->register_module("0", VaeRmsNorm(dims.back(), false));
  headConv = head->register_module("2", conv3d(dims.back(), 3, {3, 3, 3}));
  mean = torch::tensor(c.mean, torch::kFloat64).to(torch::kFloat32).view({1, c.zDim, 1, 1, 1});
  invStd = (1.0 / torch::tensor(c.std, torch::kFloat64)).to(torch::kFloat32).view({1, c.zDim, 1, 1, 1});
}

torch::Tensor WanVaeDecoderImpl::decoderChunk(const torch::Tensor& input, CausalCache& cache) {
  auto x = causalConv3d(conv1, input, 2, 1, &cache);
  for (auto& m : middle) {
    if (auto* r = dynamic_cast<VaeResidualBlockImpl*>(m.get())) x = r->forward(x, cache);
    else x = static_cast<VaeAttentionBlockImpl*>(m.get())->forward(x);
  }
  for (auto& m : upsamples) {
    if (auto* r = dynamic_cast<VaeResidualBlockImpl*>(m.get())) x = r->forward(x, cache);
    else x = static_cast<VaeUpsampleImpl*>(m.get())->forward(x, cache);
  }
  return causalConv3d(headConv, torch::silu(headNorm(x)), 2, 1, &cache);
}

torch::Tensor WanVaeDecoderImpl::decode(const torch::Tensor& zNormalised, int64_t chunkFrames) {
  // zNormalised: [B, zDim, T, h, w] (what the DiT produces)
  if (zNormalised.dim() != 5 || zNormalised.size(1) != config.zDim)
    throw Error("the VAE decodes latents of shape [B, " + std::to_string(config.zDim) + ", T, h, w]");
  if (chunkFrames < 1) throw Error("chunkFrames must be at least 1");
  // Denormalised in float32 on the decoder's device, then decoded in its weights' dtype
  // (float32 in the reference, whose VAE runs under autocast(float32)).
  const auto& w = postQuant->weight;
  auto z32 = zNormalised.to(w.device(), torch::kFloat32);
  auto z = z32 / invStd.to(w.device()) + mean.to(w.device());
  auto x = postQuant(z.to(w.scalar_type()));
  CausalCache cache;
  std::vector<torch::Tensor> out;
  for (int64_t t = 0; t < x.size(2); t += chunkFrames) {
    cache.beginChunk();
    out.push_back(decoderChunk(x.slice(2, t, std::min<int64_t>(t + chunkFrames, x.size(2))), cache));
  }
  return torch::cat(out, 2).to(torch::kFloat32).clamp(-1, 1);
}

}  // namespace attnscope
