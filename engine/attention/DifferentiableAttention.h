#pragma once
// The training / GPU path of attention: softmax(q k^T / sqrt(D)) v built from
// LibTorch's autograd-aware operators, so gradients flow through it and it
// runs on whatever device the tensors live on. With LibTorch 2.0 or newer it
// is at::scaled_dot_product_attention (fused kernels on CUDA); on older
// LibTorch the plain matmul / softmax / matmul composition. The CPU kernels
// in AttentionKernels.h stay the inference path on the CPU, DeviceAttention.h
// on a GPU.
//   q: [B, H, N, D]; k, v: [B, H, M, D] floating point -> [B, H, N, D]
#include <torch/torch.h>

namespace attnscope {

torch::Tensor differentiableAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v);

}  // namespace attnscope
