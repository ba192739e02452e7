// Capture: dense attention, computed exactly as denseAttention computes it
// (same chunks, same calls, so the output is bit-identical), whose tasks for
// the captured batch element also reduce the chunk's probabilities to the
// block-pooled map, per-key received mass, per-query entropy and the mass by
// 3D relative offset (key - query). Work stays in natural token order; pooling
// sums tokens per layout block.
#include <ATen/ATen.h>

#include "engine/attention/AttentionKernels.h"
#include "engine/attention/AttentionSupport.h"
#include "engine/core/Error.h"

namespace attnscope {

using namespace attention_detail;

namespace {

// Segments the captured element's chunks of one head are split into: each
// sums its share in order, so results have the same bits whatever the
// thread count, with memory bounded by a constant number of partial sums.
constexpr int64_t kSegments = 4;

// Adds each probability row to the offset histogram of its query. With
// base(f, y, x) = (f * (2H-1) + y) * (2W-1) + x, the bin of key j seen from
// query i is base(j) - base(i) + base(F-1, H-1, W-1), so one row is the key
// grid embedded with strides (2H-1)(2W-1) and (2W-1), shifted by the query:
// runs of W contiguous adds, which the compiler vectorises.
class OffsetHistogram {
 public:
  explicit OffsetHistogram(const TokenGrid& grid)
      : frames_(grid.frames), height_(grid.height), width_(grid.width), rowStride_(2 * grid.width - 1),
        frameStride_((2 * grid.height - 1) * (2 * grid.width - 1)),
        center_((grid.frames - 1) * frameStride_ + (grid.height - 1) * rowStride_ + (grid.width - 1)) {}

  int64_t bins() const { return (2 * frames_ - 1) * frameStride_; }

  // probs: [rows, N] contiguous, rows of queries q0.. ; hist: bins() floats.
  void add(const float* probs, int64_t rows, int64_t q0, float* hist) const {
    const int64_t n = frames_ * height_ * width_;
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t q = q0 + r, qf = q / (height_ * width_), qy = (q / width_) % height_, qx = q % width_;
      float* origin = hist + center_ - (qf * frameStride_ + qy * rowStride_ + qx);
      const float* row = probs + r * n;
      for (int64_t f = 0; f < frames_; ++f)
        for (int64_t y = 0; y < height_; ++y) {
          float* __restrict dst = origin + f * frameStride_ + y * rowStride_;
          const float* __restrict src = row + (f * height_ + y) * width_;
          for (int64_t x = 0; x < width_; ++x) dst[x] += src[x];
        }
    }
  }

 private:
  int64_t frames_, height_, width_, rowStride_, frameStride_, center_;
};

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
  auto q3 = q.contiguous().view({B * H, N, D});
  auto k3 = k.contiguous().view({B * H, N, D});
  auto v3 = v.contiguous().view({B * H, N, D});
  auto result = torch::empty({B * H, N, D}, q.options());

  const TokenBlocks blocks(grid, layout);
  const int64_t nb = layout.numBlocks(grid);
  std::vector<int64_t> queryBlock = blocks.layoutPositions();  // natural token -> its layout block
  for (int64_t& p : queryBlock) p /= layout.blockSize();
  auto queryBlocks = torch::from_blob(queryBlock.data(), {N}, torch::kInt64);

  const int64_t chunk = std::min(kRowsPerTask, N), chunks = (N + chunk - 1) / chunk;
  // The captured element's chunks run as (head, segment) tasks, the larger
  // ones, first; the other elements' chunks follow as tasks of their own.
  const int64_t segments = std::min(kSegments, chunks);
  const int64_t captureTasks = H * segments, tasks = captureTasks + (B - 1) * H * chunks;
  auto pooledParts = torch::zeros({segments, H, nb, nb}, q.options());  // q-block sums of k-block mass
  auto sinkParts = torch::zeros({segments, H, N}, q.options());         // column sums
  auto entropy = torch::empty({H, N}, q.options());
  const OffsetHistogram offsetHistogram(grid);
  auto offsetParts = torch::zeros({segments, H, offsetHistogram.bins()}, q.options());  // summed rows

  std::vector<torch::Tensor> scoreBuffers, probBuffers;
  for (int64_t w = 0; w < taskWorkers(tasks); ++w) {
    scoreBuffers.push_back(workspace.get(workerSlot(w, 0), {chunk, N}));
    probBuffers.push_back(workspace.get(workerSlot(w, 1), {chunk, N}));
  }
  forEachTask(tasks, [&](int64_t worker) {
    auto scores = scoreBuffers[worker], probs = probBuffers[worker];
    // Scaled scores of chunk c of (batch*head) bh, as denseAttention makes them.
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
      auto pooled = pooledParts[segment][h];
      float* offsets = offsetParts[segment][h].data_ptr<float>();
      for (int64_t c = segment * chunks / segments; c < (segment + 1) * chunks / segments; ++c) {
        auto s = scoresOf(bh, c);
        const int64_t q0 = c * chunk, rows = s.size(0);
        auto p = probs.narrow(0, 0, rows);
        at::_softmax_out(p, s, 1, false);
        auto o = result[bh].narrow(0, q0, rows);
        at::mm_out(o, p, v3[bh]);
        // log p = s - max s - log Z, and the largest p is 1 / Z, so the
        // entropy -sum p log p = max s - log(max p) - sum p s needs no
        // second exponential.
        auto maxScore = at::amax(s, {1});
        auto maxP = at::amax(p, {1});
        auto weighted = s.mul_(p).sum(1);
        entropy[h].narrow(0, q0, rows).copy_(maxScore.sub_(maxP.log_()).sub_(weighted));
        sink.add_(p.sum(0));
        pooled.index_add_(0, queryBlocks.narrow(0, q0, rows), blocks.blockSums(p));
        offsetHistogram.add(p.data_ptr<float>(), rows, q0, offsets);
      }
    };
  });

  std::vector<double> tokensPerBlock;
  for (int64_t b = 0; b < nb; ++b) tokensPerBlock.push_back(double(layout.blockTokens(grid, b)));
  auto pooled = pooledParts.sum(0).div_(torch::tensor(tokensPerBlock, q.options()).view({1, nb, 1}));
  out.pooled = toFloatVector(pooled);
  out.sink = toFloatVector(sinkParts.sum(0).div_(double(N)));
  out.entropy = toFloatVector(entropy);
  out.offsets = toFloatVector(offsetParts.sum(0).div_(double(N)));
  return result.view({B, H, N, D});
}

torch::Tensor captureAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const TokenGrid& grid, const BlockLayout& layout, int64_t captureBatch,
                               AtlasEntry& out) {
  AttentionWorkspace workspace;
  return captureAttention(q, k, v, grid, layout, captureBatch, out, workspace);
}

}  // namespace attnscope
