// Float64 references, written the plain way (whole matrices, LibTorch ops) so
// that they share nothing with the kernels they check.
#include "tests/gpu/Reference.h"

#include <limits>

namespace attnscope::gpucheck {

torch::Tensor tokenMask(const torch::Tensor& keep, int64_t blockSize, int64_t tokens) {
  auto bytes = keep.to(torch::kUInt8);
  return bytes.repeat_interleave(blockSize, 1).repeat_interleave(blockSize, 2).narrow(1, 0, tokens).narrow(2, 0, tokens) != 0;
}

SparseReference sparseReference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                const torch::Tensor& keep, int64_t blockSize, double scale) {
  // q, k, v: [B, H, N, D]
  const int64_t N = q.size(2);
  auto s = torch::matmul(q.to(torch::kDouble), k.to(torch::kDouble).transpose(-1, -2)).mul_(scale);
  s.masked_fill_(tokenMask(keep.to(q.device()), blockSize, N).logical_not().unsqueeze(0),
                 -std::numeric_limits<double>::infinity());
  auto lse = torch::logsumexp(s, -1);
  auto p = torch::exp(s - lse.unsqueeze(-1));
  p = torch::where(torch::isfinite(lse).unsqueeze(-1), p, torch::zeros_like(p));
  return {torch::matmul(p, v.to(torch::kDouble)), lse};
}

CaptureReference captureReference(const torch::Tensor& q, const torch::Tensor& k, int64_t blockSize, double scale,
                                  const torch::Tensor& naturalIndex, const TokenGrid& grid) {
  // q, k: [H, N, D]
  const int64_t H = q.size(0), N = q.size(1), nb = (N + blockSize - 1) / blockSize;
  const auto doubles = q.options().dtype(torch::kDouble);
  CaptureReference r;
  auto s = torch::matmul(q.to(torch::kDouble), k.to(torch::kDouble).transpose(-1, -2)).mul_(scale);
  r.lse = torch::logsumexp(s, -1);
  auto p = torch::exp(s - r.lse.unsqueeze(-1));  // [H, N, N]
  r.entropy = -torch::xlogy(p, p).sum(-1);
  r.keyMass = p.sum(1).div_(double(N));
  auto block = torch::div(torch::arange(N, q.options().dtype(torch::kLong)), blockSize, "floor");
  auto rowBlocks = torch::zeros({H, nb, N}, doubles).index_add_(1, block, p);
  auto counts = torch::bincount(block).to(torch::kDouble);
  r.pooled = torch::zeros({H, nb, nb}, doubles).index_add_(2, block, rowBlocks).div_(counts.view({1, nb, 1}));
  if (naturalIndex.defined()) {
    const int64_t F = grid.frames, Hg = grid.height, W = grid.width;
    auto natural = naturalIndex.to(q.device(), torch::kLong);
    auto f = torch::div(natural, Hg * W, "floor"), y = torch::div(natural, W, "floor").remainder(Hg),
         x = natural.remainder(W);
    auto base = (f * (2 * Hg - 1) + y) * (2 * W - 1) + x;
    const int64_t center = ((F - 1) * (2 * Hg - 1) + Hg - 1) * (2 * W - 1) + W - 1;
    const int64_t bins = (2 * F - 1) * (2 * Hg - 1) * (2 * W - 1);
    auto bin = (base.unsqueeze(0) - base.unsqueeze(1) + center).reshape({N * N});  // [query, key]
    r.offsets = torch::zeros({H, bins}, doubles)
                    .index_add_(1, bin, p.reshape({H, N * N}))
                    .div_(double(N))
                    .view({H, 2 * F - 1, 2 * Hg - 1, 2 * W - 1});
  }
  return r;
}

double relativeError(const torch::Tensor& a, const torch::Tensor& b) {
  auto ad = a.to(torch::kDouble), bd = b.to(torch::kDouble);
  if (torch::isnan(ad).any().item<bool>() || torch::isnan(bd).any().item<bool>())
    return std::numeric_limits<double>::infinity();
  return (ad - bd).norm().item<double>() / std::max(bd.norm().item<double>(), 1e-300);
}

}  // namespace attnscope::gpucheck
