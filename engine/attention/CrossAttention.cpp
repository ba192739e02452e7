// Video -> text attention. T is small (tens of tokens), so the whole
// [B*H, N, T] probability tensor is cheap; one task per (batch, head) runs
// scores / softmax / values side by side on the thread pool.
#include <ATen/ATen.h>

#include "engine/attention/AttentionKernels.h"
#include "engine/attention/AttentionSupport.h"
#include "engine/core/Error.h"

namespace attnscope {

using namespace attention_detail;

torch::Tensor crossAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             std::vector<float>* cross, int64_t captureBatch) {
  // q: [B, H, N, D]; k, v: [B, H, T, D]
  checkInputs("cross attention", q, k, v, false);
  const int64_t B = q.size(0), H = q.size(1), N = q.size(2), D = q.size(3), T = k.size(2);
  if (cross && (captureBatch < 0 || captureBatch >= B))
    throw Error("cross attention: capture batch " + std::to_string(captureBatch) + " is outside the batch of " +
                std::to_string(B));
  torch::NoGradGuard noGrad;
  auto q3 = q.contiguous().view({B * H, N, D});
  auto k3 = k.contiguous().view({B * H, T, D});
  auto v3 = v.contiguous().view({B * H, T, D});
  auto probs = torch::empty({B * H, N, T}, q.options());
  auto out = torch::empty({B * H, N, D}, q.options());
  const double scale = softmaxScale(D);
  forEachTask(B * H, [&](int64_t) {
    return [&](int64_t bh) {
      auto p = probs[bh];
      at::addmm_out(p, p, q3[bh], k3[bh].t(), 0, scale);
      at::_softmax_out(p, p, 1, false);
      auto o = out[bh];
      at::mm_out(o, p, v3[bh]);
    };
  });
  if (cross) {
    auto mine = probs.narrow(0, captureBatch * H, H).contiguous();  // [H, N, T]
    cross->assign(mine.data_ptr<float>(), mine.data_ptr<float>() + mine.numel());
  }
  return out.view({B, H, N, D});
}

}  // namespace attnscope
