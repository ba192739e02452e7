#pragma once
// Private helpers shared by the CPU attention kernels: input checks, the
// softmax scale, workspace slots, moving tokens between natural and layout
// order, and the work split over threads. Not part of the engine's contract.
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
// and k, v are [B, H, M, D], all float32 (M == N when `self` is true).
void checkInputs(const char* op, const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                 bool self);
// Throws Error unless the grid has exactly n video tokens and the layout fits it.
void checkGrid(const char* op, const TokenGrid& grid, const BlockLayout& layout, int64_t n);

inline double softmaxScale(int64_t headDim) { return 1.0 / std::sqrt(static_cast<double>(headDim)); }

// Rows of queries one dense or capture task handles: its [rows, N] score
// buffer stays within a core's cache at the default sizes.
constexpr int64_t kRowsPerTask = 256;

// Workspace buffers. Shared ones first; then kWorkerSlots per worker thread.
enum Slot : size_t { kSlotQ, kSlotK, kSlotV, kSlotResult, kSlotItems, kSharedSlots };
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

// Token order of a layout: identity for linear, tile-major for tiled (the
// order of BlockLayout::permutation). Tiled reordering is a reshape plus one
// strided copy, much cheaper than gathering token rows by index.
class TokenOrder {
 public:
  TokenOrder(const TokenGrid& grid, const BlockLayout& layout);
  bool identity() const { return !tiled_; }
  // Natural -> layout order along `dim` of t, written into `out` (same shape).
  void toLayout(const torch::Tensor& t, int64_t dim, torch::Tensor& out) const;
  // Layout -> natural order along `dim` (a new contiguous tensor).
  torch::Tensor toNatural(const torch::Tensor& t, int64_t dim) const;
  // position[i] = layout position of natural token i (empty for identity).
  std::vector<int64_t> layoutPositions() const;

 private:
  // Views t's token axis as the 6 grid/tile axes, between outer and inner.
  torch::Tensor split(const torch::Tensor& t, int64_t dim, bool layoutOrder) const;

  TokenGrid grid_;
  BlockLayout layout_;
  bool tiled_ = false;
  int64_t tilesF_ = 0, tilesY_ = 0, tilesX_ = 0, tf_ = 0, ty_ = 0, tx_ = 0;
};

}  // namespace attention_detail
}  // namespace attnscope
