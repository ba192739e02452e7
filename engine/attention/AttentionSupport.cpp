#include "engine/attention/AttentionSupport.h"

#include <ATen/TensorIterator.h>

#include "engine/core/Error.h"

namespace attnscope {
namespace attention_detail {

namespace {

std::string shapeOf(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

}  // namespace

std::vector<float> toFloatVector(const torch::Tensor& t) {
  auto c = t.to(torch::kCPU, torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

void checkInputs(const char* op, const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                 bool self, bool anyFloat) {
  const std::string where = std::string(op) + ": ";
  const char* names[] = {"q", "k", "v"};
  const torch::Tensor* ts[] = {&q, &k, &v};
  for (int i = 0; i < 3; ++i) {
    if (!ts[i]->defined()) throw Error(where + names[i] + " is undefined");
    if (ts[i]->dim() != 4)
      throw Error(where + names[i] + " must be [B, H, N, D], got " + shapeOf(*ts[i]));
    if (anyFloat ? !ts[i]->is_floating_point() : ts[i]->scalar_type() != torch::kFloat32)
      throw Error(where + names[i] + " must be float32, got " + std::string(c10::toString(ts[i]->scalar_type())));
  }
  for (int i = 1; i < 3; ++i)
    if (ts[i]->size(0) != q.size(0) || ts[i]->size(1) != q.size(1) || ts[i]->size(3) != q.size(3))
      throw Error(where + names[i] + " " + shapeOf(*ts[i]) + " does not match q " + shapeOf(q) +
                  " in batch, heads or head dim");
  if (k.size(2) != v.size(2))
    throw Error(where + "k " + shapeOf(k) + " and v " + shapeOf(v) + " have different token counts");
  if (self && k.size(2) != q.size(2))
    throw Error(where + "k " + shapeOf(k) + " must have as many tokens as q " + shapeOf(q));
  if (q.size(2) == 0 || k.size(2) == 0 || q.size(3) == 0)
    throw Error(where + "empty input: q " + shapeOf(q) + ", k " + shapeOf(k));
}

void checkGrid(const char* op, const TokenGrid& grid, const BlockLayout& layout, int64_t n) {
  if (grid.videoTokens() != n)
    throw Error(std::string(op) + ": token grid " + grid.str() + " has " + std::to_string(grid.videoTokens()) +
                " video tokens but the input has " + std::to_string(n));
  layout.validate(grid);
}

void runWorkers(int64_t workers, const std::function<void(int64_t)>& body) {
  if (workers <= 1) {
    body(0);
    return;
  }
  // A TensorIterator over the worker ids: LibTorch's own parallel loop hands
  // each thread a share of them (grain 1: one id each when threads suffice).
  auto ids = torch::arange(workers, torch::kInt64);
  auto iter = at::TensorIteratorConfig().add_output(ids).resize_outputs(false).check_all_same_dtype(false).build();
  iter.for_each(
      [&](char** data, const int64_t* strides, int64_t size0, int64_t size1) {
        for (int64_t j = 0; j < size1; ++j)
          for (int64_t i = 0; i < size0; ++i)
            body(*reinterpret_cast<const int64_t*>(data[0] + i * strides[0] + j * strides[1]));
      },
      1);
}

TokenBlocks::TokenBlocks(const TokenGrid& grid, const BlockLayout& layout) : grid_(grid), layout_(layout) {
  layout.validate(grid);
}

std::vector<int64_t> TokenBlocks::layoutPositions() const {
  std::vector<int64_t> order = layout_.permutation(grid_), position(static_cast<size_t>(grid_.videoTokens()));
  for (size_t p = 0; p < position.size(); ++p) position[order.empty() ? p : static_cast<size_t>(order[p])] = int64_t(p);
  return position;
}

namespace {

// t viewed as [outer, n, inner], summed over n by adding its n slices: much
// faster than a strided multi-axis reduction when n and inner are small.
torch::Tensor sumMiddle(const torch::Tensor& t, int64_t outer, int64_t n, int64_t inner) {
  auto v = t.reshape({outer, n, inner});
  if (n == 1) return v.select(1, 0);
  auto sum = v.select(1, 0) + v.select(1, 1);
  for (int64_t i = 2; i < n; ++i) sum.add_(v.select(1, i));
  return sum;
}

}  // namespace

torch::Tensor TokenBlocks::blockSums(const torch::Tensor& t) const {
  std::vector<int64_t> shape(t.sizes().begin(), t.sizes().end());
  const int64_t n = shape.back(), rows = t.numel() / n;
  if (layout_.kind() == BlockLayout::Kind::Tiled) {
    // Natural order is (tileF, f, tileY, y, tileX, x): sum x, then y, then f.
    const int64_t tf = layout_.tileFrames(), ty = layout_.tileHeight(), tx = layout_.tileWidth();
    const int64_t tilesF = grid_.frames / tf, tilesY = grid_.height / ty, tilesX = grid_.width / tx;
    auto sums = sumMiddle(t, rows * tilesF * tf * tilesY * ty * tilesX, tx, 1);
    sums = sumMiddle(sums, rows * tilesF * tf * tilesY, ty, tilesX);
    sums = sumMiddle(sums, rows * tilesF, tf, tilesY * tilesX);
    shape.back() = tilesF * tilesY * tilesX;
    return sums.reshape(shape);
  }
  const int64_t block = layout_.blockSize(), full = n / block, rest = n - full * block;
  auto flat = t.reshape({rows, n});
  auto sums = flat.narrow(1, 0, full * block).reshape({rows, full, block}).sum(2);
  if (rest > 0) sums = torch::cat({sums, flat.narrow(1, full * block, rest).sum(1, true)}, 1);
  shape.back() = sums.size(1);
  return sums.reshape(shape);
}

}  // namespace attention_detail
}  // namespace attnscope
