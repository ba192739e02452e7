#pragma once
// Private helpers shared by the CPU attention kernels: input checks, the
// softmax scale, moving tokens between natural and layout order, and the
// per-thread work split. Not part of the engine's public contract.
#include <functional>
#include <string>

#include <torch/torch.h>

#include "engine/core/BlockLayout.h"
#include "engine/core/TokenGrid.h"

namespace attnscope {
namespace attention_detail {

// Throws Error naming `op` and the tensor at fault unless q is [B, H, N, D]
// and k, v are [B, H, M, D], all float32 (M == N when `self` is true).
void checkInputs(const char* op, const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                 bool self);
// Throws Error unless the grid has exactly n video tokens and the layout fits it.
void checkGrid(const char* op, const TokenGrid& grid, const BlockLayout& layout, int64_t n);

inline double softmaxScale(int64_t headDim) { return 1.0 / std::sqrt(static_cast<double>(headDim)); }

// Rows of queries one task handles: its [rows, N] score buffer stays within
// the per-core cache at the default sizes.
constexpr int64_t kRowsPerTask = 128;

// Token order of a layout: identity for linear, tile-major for tiled.
class TokenOrder {
 public:
  TokenOrder(const TokenGrid& grid, const BlockLayout& layout);
  bool identity() const { return !toLayout_.defined(); }
  // Natural -> layout order along `dim` (contiguous result).
  torch::Tensor toLayout(const torch::Tensor& t, int64_t dim) const;
  // Layout -> natural order along `dim` (contiguous result).
  torch::Tensor toNatural(const torch::Tensor& t, int64_t dim) const;

 private:
  torch::Tensor toLayout_;   // [N] int64: natural index of layout position p
  torch::Tensor toNatural_;  // [N] int64: layout position of natural index i
};

// Runs body(begin, end) over [0, count) on the intra-op thread pool; ATen
// calls inside the body stay on the calling thread.
void forEachTask(int64_t count, const std::function<void(int64_t, int64_t)>& body);

}  // namespace attention_detail
}  // namespace attnscope
