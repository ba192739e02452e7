#include "engine/attention/DifferentiableAttention.h"

#include <torch/version.h>

#include "engine/attention/AttentionSupport.h"

namespace attnscope {

torch::Tensor differentiableAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  // Any floating type: under bf16 autocast v arrives in bfloat16, q and k
  // (RMS-normalised in float32) in float32; the fused kernel casts them.
  attention_detail::checkInputs("differentiable attention", q, k, v, false, true);
#if TORCH_VERSION_MAJOR >= 2
  // Default scale is 1/sqrt(D), the same as the CPU kernels.
  return at::scaled_dot_product_attention(q, k, v);
#else
  const double scale = attention_detail::softmaxScale(q.size(3));
  auto scores = torch::matmul(q, k.transpose(-1, -2)) * scale;  // [B, H, N, M]
  return torch::matmul(torch::softmax(scores, -1).to(v.scalar_type()), v);
#endif
}

}  // namespace attnscope
