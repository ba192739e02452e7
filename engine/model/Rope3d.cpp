#include "engine/model/Rope3d.h"

namespace attnscope {

namespace {

// Angles [positions, pairs] for one axis with `dim` real channels.
torch::Tensor axisAngles(int64_t positions, int64_t dim, double theta) {
  auto idx = torch::arange(0, dim, 2, torch::kFloat64) / double(dim);
  auto inv = torch::pow(theta, -idx);
  return torch::outer(torch::arange(positions, torch::kFloat64), inv);
}

}  // namespace

RopeTables makeRope3d(const TokenGrid& grid, int64_t headDim, double theta) {
  const int64_t c = headDim / 2;
  const int64_t ch = c / 3, cw = c / 3, cf = c - ch - cw;
  auto af = axisAngles(grid.frames, 2 * cf, theta);  // [F, cf]
  auto ah = axisAngles(grid.height, 2 * ch, theta);  // [H, ch]
  auto aw = axisAngles(grid.width, 2 * cw, theta);   // [W, cw]
  const int64_t F = grid.frames, H = grid.height, W = grid.width;
  auto angles = torch::cat({af.view({F, 1, 1, cf}).expand({F, H, W, cf}),
                            ah.view({1, H, 1, ch}).expand({F, H, W, ch}),
                            aw.view({1, 1, W, cw}).expand({F, H, W, cw})},
                           -1)
                    .reshape({F * H * W, 1, c});
  return {torch::complex(torch::cos(angles).to(torch::kFloat32), torch::sin(angles).to(torch::kFloat32))};
}

torch::Tensor applyRope(const torch::Tensor& x, const RopeTables& rope) {
  // Each pair (x0, x1) as the complex number x0 + i x1 times cos + i sin:
  // (x0 cos - x1 sin, x0 sin + x1 cos) in two passes over the tensor (widen,
  // multiply), where separate real products took seven on the GPU.
  auto sizes = x.sizes().vec();
  auto pairs = x.to(torch::kFloat32).contiguous().view({sizes[0], sizes[1], sizes[2], sizes[3] / 2, 2});
  return torch::view_as_real(torch::view_as_complex(pairs) * rope.rotation).view(sizes);
}

RopeTables RopeCache::get(const TokenGrid& grid, int64_t headDim, torch::Device device, double theta) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const Entry& e : entries_)
    if (e.frames == grid.frames && e.height == grid.height && e.width == grid.width && e.headDim == headDim &&
        e.theta == theta && e.device == device)
      return e.tables;
  RopeTables tables = makeRope3d(grid, headDim, theta);
  if (!device.is_cpu()) tables = tables.to(device);
  if (entries_.size() >= kCapacity) entries_.erase(entries_.begin());
  entries_.push_back({grid.frames, grid.height, grid.width, headDim, theta, device, tables});
  return tables;
}

void RopeCache::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.clear();
}

size_t RopeCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

}  // namespace attnscope
