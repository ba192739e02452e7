#pragma once
// AttentionWorkspace: scratch memory the attention kernels keep between calls
// (score buffers, tokens in layout order, per-item outputs). Each buffer grows
// to the largest size asked for and is then reused, so repeated calls touch no
// fresh pages. One workspace per caller; not for concurrent calls.
#include <cstddef>
#include <vector>

#include <torch/torch.h>

namespace attnscope {

class AttentionWorkspace {
 public:
  // A float32 tensor of `shape` backed by buffer `slot`; contents undefined.
  torch::Tensor get(size_t slot, at::IntArrayRef shape);
  // Bytes currently held.
  int64_t bytes() const;

 private:
  std::vector<torch::Tensor> buffers_;
};

}  // namespace attnscope
