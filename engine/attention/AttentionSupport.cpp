#include "engine/attention/AttentionSupport.h"

#include <ATen/Parallel.h>

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

TokenOrder::TokenOrder(const TokenGrid& grid, const BlockLayout& layout) {
  std::vector<int64_t> order = layout.permutation(grid);
  if (order.empty()) return;
  toLayout_ = torch::tensor(order, torch::kInt64);
  toNatural_ = torch::empty_like(toLayout_);
  toNatural_.index_copy_(0, toLayout_, torch::arange(static_cast<int64_t>(order.size()), torch::kInt64));
}

torch::Tensor TokenOrder::toLayout(const torch::Tensor& t, int64_t dim) const {
  return identity() ? t.contiguous() : t.index_select(dim, toLayout_);
}

torch::Tensor TokenOrder::toNatural(const torch::Tensor& t, int64_t dim) const {
  return identity() ? t.contiguous() : t.index_select(dim, toNatural_);
}

void forEachTask(int64_t count, const std::function<void(int64_t, int64_t)>& body) {
  if (count <= 0) return;
  at::parallel_for(0, count, 1, body);
}

}  // namespace attention_detail
}  // namespace attnscope
