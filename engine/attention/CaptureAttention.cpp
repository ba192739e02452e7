// Capture: dense attention in layout order whose tasks for the captured batch
// element also reduce their exact probabilities, chunk by chunk, to the
// block-pooled map, per-key received mass and per-query entropy. Chunks are
// whole q-blocks, so pooling is a reshape and a sum.
#include <ATen/ATen.h>

#include "engine/attention/AttentionKernels.h"
#include "engine/attention/AttentionSupport.h"
#include "engine/core/Error.h"

namespace attnscope {

using namespace attention_detail;

namespace {

// Segments the captured element's chunks of one head are split into.
constexpr int64_t kSinkSegments = 4;

// probs: [rows, N] in layout order, rows starting at a block boundary.
// Returns [ceil(rows / block), nb]: each q-block's mean mass per k-block,
// averaged over the tokens actually present (short last blocks included).
torch::Tensor poolRows(const torch::Tensor& probs, int64_t block, int64_t nb) {
  const int64_t rows = probs.size(0), N = probs.size(1);
  const int64_t fullK = N / block, tailK = N - fullK * block;
  torch::Tensor perKey = probs.narrow(1, 0, fullK * block).view({rows, fullK, block}).sum(2);
  if (tailK > 0) perKey = torch::cat({perKey, probs.narrow(1, fullK * block, tailK).sum(1, true)}, 1);
  const int64_t fullQ = rows / block, tailQ = rows - fullQ * block;
  torch::Tensor pooled = perKey.narrow(0, 0, fullQ * block).view({fullQ, block, nb}).sum(1).div_(double(block));
  if (tailQ > 0)
    pooled = torch::cat({pooled, perKey.narrow(0, fullQ * block, tailQ).sum(0, true).div_(double(tailQ))}, 0);
  return pooled;
}

std::vector<float> toVector(const torch::Tensor& t) {
  auto c = t.contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

}  // namespace

torch::Tensor captureAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const TokenGrid& grid, const BlockLayout& layout, int64_t captureBatch,
                               AtlasEntry& out, AttentionWorkspace& workspace) {
  // q, k, v: [B, H, N, D]
  checkInputs("capture attention", q, k, v, true);
  const int64_t B = q.size(0), H = q.size(1), N = q.size(2), D = q.size(3);
  checkGrid("capture attention", grid, layout, N);
  if (captureBatch < 0 || captureBatch >= B)
    throw Error("capture attention: capture batch " + std::to_string(captureBatch) + " is outside the batch of " +
                std::to_string(B));
  torch::NoGradGuard noGrad;
  const double scale = softmaxScale(D);
  const TokenOrder order(grid, layout);
  auto inLayout = [&](const torch::Tensor& t, Slot slot) {
    if (order.identity()) return t.contiguous().view({B * H, N, D});
    auto buffer = workspace.get(slot, {B, H, N, D});
    order.toLayout(t, 2, buffer);
    return buffer.view({B * H, N, D});
  };
  auto q3 = inLayout(q, kSlotQ), k3 = inLayout(k, kSlotK), v3 = inLayout(v, kSlotV);
  // Linear layouts write the caller's result directly; tiled ones reorder it last.
  auto result = order.identity() ? torch::empty({B * H, N, D}, q.options()) : workspace.get(kSlotResult, {B * H, N, D});

  const int64_t block = layout.blockSize(), nb = layout.numBlocks(grid);
  const int64_t chunk = std::min(N, block * std::max<int64_t>(1, kRowsPerTask / block));
  const int64_t chunks = (N + chunk - 1) / chunk;
  // The captured batch element's chunks run in a fixed number of segments per
  // head, each summing its sink columns in order: bounded memory, and the same
  // bits whatever the thread count. The other batch elements' chunks are
  // separate tasks, run after the (larger) segments.
  const int64_t segments = std::min(kSinkSegments, chunks);
  const int64_t captureTasks = H * segments, tasks = captureTasks + (B - 1) * H * chunks;
  auto pooled = torch::empty({H, nb, nb}, q.options());
  auto entropy = torch::empty({H, N}, q.options());                // layout order
  auto sinkParts = torch::zeros({segments, H, N}, q.options());  // column sums per segment

  std::vector<torch::Tensor> scoreBuffers, probBuffers;
  for (int64_t w = 0; w < taskWorkers(tasks); ++w) {
    scoreBuffers.push_back(workspace.get(workerSlot(w, 0), {chunk, N}));
    probBuffers.push_back(workspace.get(workerSlot(w, 1), {chunk, N}));
  }
  forEachTask(tasks, [&](int64_t worker) {
    auto scores = scoreBuffers[worker], probs = probBuffers[worker];
    // Scores of chunk c of (batch*head) bh: [rows, N], scaled.
    auto scoresOf = [&, scores](int64_t bh, int64_t c) {
      const int64_t q0 = c * chunk, rows = std::min(chunk, N - q0);
      auto s = scores.narrow(0, 0, rows);
      at::addmm_out(s, s, q3[bh].narrow(0, q0, rows), k3[bh].t(), 0, scale);
      return s;
    };
    return [&, scoresOf, probs](int64_t t) {
      if (t >= captureTasks) {
        const int64_t r = t - captureTasks, c = r % chunks, other = r / chunks;
        const int64_t b = other / H < captureBatch ? other / H : other / H + 1, bh = b * H + other % H;
        auto s = scoresOf(bh, c);
        auto o = result[bh].narrow(0, c * chunk, s.size(0));
        at::_softmax_out(s, s, 1, false);
        at::mm_out(o, s, v3[bh]);
        return;
      }
      const int64_t h = t / segments, segment = t % segments, bh = captureBatch * H + h;
      auto sink = sinkParts[segment][h];
      for (int64_t c = segment * chunks / segments; c < (segment + 1) * chunks / segments; ++c) {
        auto s = scoresOf(bh, c);
        const int64_t q0 = c * chunk, rows = s.size(0);
        // Exact softmax by hand to keep log Z: with s' = s - max and
        // Z = sum e^s', entropy = log Z - sum(e^s' * s') / Z.
        auto p = probs.narrow(0, 0, rows);
        s.sub_(at::amax(s, {1}, true));
        at::exp_out(p, s);
        auto z = p.sum(1, true);
        auto weighted = s.mul_(p).sum(1, true);
        entropy[h].narrow(0, q0, rows).copy_((z.log() - weighted / z).squeeze(1));
        p.div_(z);
        auto o = result[bh].narrow(0, q0, rows);
        at::mm_out(o, p, v3[bh]);
        sink.add_(p.sum(0));
        pooled[h].narrow(0, q0 / block, (rows + block - 1) / block).copy_(poolRows(p, block, nb));
      }
    };
  });

  auto sink = sinkParts.sum(0).div_(double(N));
  out.pooled = toVector(pooled);
  out.sink = toVector(order.toNatural(sink, 1));
  out.entropy = toVector(order.toNatural(entropy, 1));
  return order.toNatural(result.view({B, H, N, D}), 2);
}

torch::Tensor captureAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const TokenGrid& grid, const BlockLayout& layout, int64_t captureBatch,
                               AtlasEntry& out) {
  AttentionWorkspace workspace;
  return captureAttention(q, k, v, grid, layout, captureBatch, out, workspace);
}

}  // namespace attnscope
