#pragma once
// Dense attention through cuDNN that also returns each query's log-sum-exp:
// the first pass of the fused capture (the statistics pass needs the lse).
// LibTorch exposes it only as the private op
// aten::_scaled_dot_product_cudnn_attention (2.x; absent in 1.13), so it is
// looked up in the dispatcher by name and its schema checked at run time:
// the same source builds against every LibTorch, and a release that drops
// or changes the op makes the call return false instead of failing to build.
#include <string>

#include <torch/torch.h>

namespace attnscope::cuda {

// q, k, v: [B, H, N, D] bf16 on a CUDA device. On success out is [B, H, N, D]
// and lse float32 [B, H, N] (natural log of the sum of exp(scale * q.k)).
// Returns false, with the reason in *whyNot, when the op is missing, has an
// unexpected schema, or cuDNN refuses the inputs; out and lse then stay as
// they were.
bool cudnnAttentionWithLse(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, double scale,
                           torch::Tensor& out, torch::Tensor& lse, std::string* whyNot);

}  // namespace attnscope::cuda
