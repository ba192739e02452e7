#pragma once
// Private helpers shared by the CPU attention kernels: input checks, the
// softmax scale, workspace slots, tokens versus layout blocks, and the work
// split over threads. Not part of the engine's contract.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "engine/attention/AttentionWorkspace.h"
#include "engine/core/BlockLayout.h"
#include "engine/core/TokenGrid.h"

namespace attnscope {
namespace attention_detail {

// Throws Error naming `op` and the tensor at fault unless q is [B, H, N, D]
// and k, v are [B, H, M, D], all float32 unless `anyFloat` (M == N when
// `self` is true).
void checkInputs(const char* op, const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                 bool self, bool anyFloat = false);
// Throws Error unless the grid has exactly n video tokens and the layout fits it.
void checkGrid(const char* op, const TokenGrid& grid, const BlockLayout& layout, int64_t n);

// A tensor's values as float32 on the host, for the atlas (any device, any dtype).
std::vector<float> toFloatVector(const torch::Tensor& t);

inline double softmaxScale(int64_t headDim) { return 1.0 / std::sqrt(static_cast<double>(headDim)); }

// Rows of queries one dense or capture task handles (its [rows, N] score
// buffer per thread). Dense and capture use the same, so that a captured
// step's output has the same bits as a dense one.
constexpr int64_t kRowsPerTask = 256;

// Workspace buffers. Shared ones first; then kWorkerSlots per worker thread.
enum Slot : size_t { kSlotItems, kSharedSlots };
constexpr size_t kWorkerSlots = 4;
inline size_t workerSlot(int64_t worker, size_t i) { return kSharedSlots + size_t(worker) * kWorkerSlots + i; }

// Threads that forEachTask will use for `count` tasks.
inline int64_t taskWorkers(int64_t count) { return std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), count)); }

// Calls body(w) for every worker w in [0, workers), side by side on LibTorch's
// intra-op thread pool, as inside at::parallel_for: ATen calls in body stay
// on their thread. (at::parallel_for itself is header code that only runs in
// parallel in translation units compiled with OpenMP; this goes through one
// compiled into LibTorch.)
void runWorkers(int64_t workers, const std::function<void(int64_t)>& body);

// Runs tasks [0, count). Worker w in [0, taskWorkers(count)) calls
// makeWorker(w) once, then runs the task indices it claims from a shared
// counter, so a thread the OS delays does not hold back a fixed share.
template <class MakeWorker>
void forEachTask(int64_t count, MakeWorker&& makeWorker) {
  if (count <= 0) return;
  std::atomic<int64_t> next{0};
  runWorkers(taskWorkers(count), [&](int64_t worker) {
    auto work = makeWorker(worker);
    for (int64_t t = next++; t < count; t = next++) work(t);
  });
}

// A layout's blocks seen from natural token order: where each token sits in
// layout order, and sums of a token axis per block, without reordering the
// tokens themselves.
class TokenBlocks {
 public:
  TokenBlocks(const TokenGrid& grid, const BlockLayout& layout);
  // position[i] = layout position of natural token i; its block is position / blockSize.
  std::vector<int64_t> layoutPositions() const;
  // Sums t's last axis (N tokens, natural order) per layout block: [..., nb].
  torch::Tensor blockSums(const torch::Tensor& t) const;

 private:
  TokenGrid grid_;
  BlockLayout layout_;
};

}  // namespace attention_detail
}  // namespace attnscope
