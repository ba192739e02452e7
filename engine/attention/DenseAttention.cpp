// Dense attention: one task per (batch*head, query chunk), each with its own
// [chunk, N] score buffer so scores, softmax and the value product stay in
// cache; the thread pool runs tasks side by side.
#include <ATen/ATen.h>

#include "engine/attention/AttentionKernels.h"
#include "engine/attention/AttentionSupport.h"
#include "engine/core/Error.h"

namespace attnscope {

using namespace attention_detail;

torch::Tensor denseAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             int64_t queryChunk, AttentionWorkspace& workspace) {
  // q, k, v: [B, H, N, D]
  checkInputs("dense attention", q, k, v, true);
  if (queryChunk <= 0) throw Error("dense attention: query chunk must be positive, got " + std::to_string(queryChunk));
  torch::NoGradGuard noGrad;
  const int64_t B = q.size(0), H = q.size(1), N = q.size(2), D = q.size(3);
  const double scale = softmaxScale(D);
  auto q3 = q.contiguous().view({B * H, N, D});
  auto k3 = k.contiguous().view({B * H, N, D});
  auto v3 = v.contiguous().view({B * H, N, D});
  auto out = torch::empty({B * H, N, D}, q.options());

  const int64_t chunk = std::min(queryChunk, N), chunks = (N + chunk - 1) / chunk, tasks = B * H * chunks;
  std::vector<torch::Tensor> scoreBuffers;
  for (int64_t w = 0; w < taskWorkers(tasks); ++w) scoreBuffers.push_back(workspace.get(workerSlot(w, 0), {chunk, N}));
  forEachTask(tasks, [&](int64_t worker) {
    return [&, scores = scoreBuffers[worker]](int64_t t) {
      const int64_t bh = t / chunks, q0 = (t % chunks) * chunk, rows = std::min(chunk, N - q0);
      auto s = scores.narrow(0, 0, rows);
      // beta = 0: the buffer's old contents are ignored.
      at::addmm_out(s, s, q3[bh].narrow(0, q0, rows), k3[bh].t(), 0, scale);
      at::_softmax_out(s, s, 1, false);
      auto o = out[bh].narrow(0, q0, rows);
      at::mm_out(o, s, v3[bh]);
    };
  });
  return out.view({B, H, N, D});
}

torch::Tensor denseAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             int64_t queryChunk) {
  AttentionWorkspace workspace;
  return denseAttention(q, k, v, queryChunk, workspace);
}

}  // namespace attnscope
