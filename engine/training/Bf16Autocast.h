#pragma once
// bfloat16 autocast on CUDA for the scope of a forward pass: matrix products
// and attention in bfloat16 (flash attention), norms, softmax and the loss
// in float32; the weights, gradients and optimiser stay float32. LibTorch
// 1.13 (the CPU machines) has no such switch from C++: asking for it there
// is an error.
#include <torch/version.h>
#if TORCH_VERSION_MAJOR >= 2
#include <ATen/autocast_mode.h>
#endif

#include "engine/core/Error.h"

namespace attnscope {

class Bf16Autocast {
 public:
  explicit Bf16Autocast(bool on) : on_(on) {
#if TORCH_VERSION_MAJOR >= 2
    if (!on_) return;
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
    if (on_) throw Error("bfloat16 autocast needs LibTorch 2.0 or newer");
#endif
  }
  ~Bf16Autocast() {
#if TORCH_VERSION_MAJOR >= 2
    if (!on_) return;
    at::autocast::set_autocast_enabled(at::kCUDA, false);
    at::autocast::clear_cache();
#endif
  }
  Bf16Autocast(const Bf16Autocast&) = delete;
  Bf16Autocast& operator=(const Bf16Autocast&) = delete;

 private:
  bool on_;
};

}  // namespace attnscope
