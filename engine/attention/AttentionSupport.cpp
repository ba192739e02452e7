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

void checkInputs(const char* op, const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                 bool self) {
  const std::string where = std::string(op) + ": ";
  const char* names[] = {"q", "k", "v"};
  const torch::Tensor* ts[] = {&q, &k, &v};
  for (int i = 0; i < 3; ++i) {
    if (!ts[i]->defined()) throw Error(where + names[i] + " is undefined");
    if (ts[i]->dim() != 4)
      throw Error(where + names[i] + " must be [B, H, N, D], got " + shapeOf(*ts[i]));
    if (ts[i]->scalar_type() != torch::kFloat32)
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

TokenOrder::TokenOrder(const TokenGrid& grid, const BlockLayout& layout) : grid_(grid), layout_(layout) {
  if (layout.kind() != BlockLayout::Kind::Tiled) return;
  layout.validate(grid);
  tiled_ = true;
  tf_ = layout.tileFrames();
  ty_ = layout.tileHeight();
  tx_ = layout.tileWidth();
  tilesF_ = grid.frames / tf_;
  tilesY_ = grid.height / ty_;
  tilesX_ = grid.width / tx_;
}

torch::Tensor TokenOrder::split(const torch::Tensor& t, int64_t dim, bool layoutOrder) const {
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < dim; ++i) outer *= t.size(i);
  for (int64_t i = dim + 1; i < t.dim(); ++i) inner *= t.size(i);
  // Natural order is (tileF, f, tileY, y, tileX, x); layout order is
  // (tileF, tileY, tileX, f, y, x).
  if (layoutOrder) return t.view({outer, tilesF_, tilesY_, tilesX_, tf_, ty_, tx_, inner});
  return t.view({outer, tilesF_, tf_, tilesY_, ty_, tilesX_, tx_, inner});
}

void TokenOrder::toLayout(const torch::Tensor& t, int64_t dim, torch::Tensor& out) const {
  if (!tiled_) {
    out.copy_(t);
    return;
  }
  split(out, dim, true).copy_(split(t.contiguous(), dim, false).permute({0, 1, 3, 5, 2, 4, 6, 7}));
}

torch::Tensor TokenOrder::toNatural(const torch::Tensor& t, int64_t dim) const {
  if (!tiled_) return t.contiguous();
  return split(t.contiguous(), dim, true).permute({0, 1, 4, 2, 5, 3, 6, 7}).contiguous().view(t.sizes());
}

std::vector<int64_t> TokenOrder::layoutPositions() const {
  if (!tiled_) return {};
  std::vector<int64_t> order = layout_.permutation(grid_), position(order.size());
  for (size_t p = 0; p < order.size(); ++p) position[static_cast<size_t>(order[p])] = static_cast<int64_t>(p);
  return position;
}

}  // namespace attention_detail
}  // namespace attnscope
