#include "engine/attention/AttentionWorkspace.h"

namespace attnscope {

torch::Tensor AttentionWorkspace::get(size_t slot, at::IntArrayRef shape) {
  int64_t numel = 1;
  for (int64_t s : shape) numel *= s;
  if (buffers_.size() <= slot) buffers_.resize(slot + 1);
  torch::Tensor& buffer = buffers_[slot];
  if (!buffer.defined() || buffer.numel() < numel) buffer = torch::empty({numel}, torch::kFloat32);
  return buffer.narrow(0, 0, numel).view(shape);
}

int64_t AttentionWorkspace::bytes() const {
  int64_t total = 0;
  for (const auto& b : buffers_)
    if (b.defined()) total += b.numel() * static_cast<int64_t>(sizeof(float));
  return total;
}

}  // namespace attnscope
