#pragma once
// 3D rotary position embedding as in Wan 2.1: the head dim's rotation pairs
// are split over (frame, height, width) as c - 2*(c/3), c/3, c/3 with
// c = headDim/2, and each pair (2i, 2i+1) rotates by position * theta^(-2i/d_axis).
#include <torch/torch.h>

#include <mutex>
#include <vector>

#include "engine/core/TokenGrid.h"

namespace attnscope {

struct RopeTables {
  torch::Tensor rotation;  // complex64 cos + i sin of each angle, [N, 1, headDim/2]: what applyRope multiplies by

  torch::Tensor cos() const { return torch::real(rotation); }  // views, [N, 1, headDim/2]
  torch::Tensor sin() const { return torch::imag(rotation); }
  RopeTables to(torch::Device device) const { return {rotation.to(device)}; }
};

RopeTables makeRope3d(const TokenGrid& grid, int64_t headDim, double theta = 10000.0);

// x: [B, N, H, D] -> same shape, rotated in float32.
torch::Tensor applyRope(const torch::Tensor& x, const RopeTables& rope);

// The tables of makeRope3d already on a device, kept for the few grids a
// model is run at, so a forward at a grid seen before builds nothing and
// copies nothing. Keyed by (frames, height, width, headDim, theta, device);
// the table is complex64 whatever the model's dtype. Returns the same tensor
// as makeRope3d(...).to(device), bit for bit. Safe to call from several
// threads; callers must not write into the returned tensor.
class RopeCache {
 public:
  static constexpr size_t kCapacity = 4;  // the oldest entry goes first

  RopeTables get(const TokenGrid& grid, int64_t headDim, torch::Device device, double theta = 10000.0);
  void clear();
  size_t size() const;

 private:
  struct Entry {
    int64_t frames, height, width, headDim;
    double theta;
    torch::Device device;
    RopeTables tables;
  };
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;  // oldest first
};

}  // namespace attnscope
