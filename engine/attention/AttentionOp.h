#pragma once
// AttentionOp: the single place where attention is computed during a run.
// Per (step, layer) the run plan picks dense, capture or sparse for
// self-attention; cross-attention is dense (captured alongside self when the
// step is captured). It also accumulates the wall time spent in attention.
// Where each mode runs:
//   CPU float32 inputs          the CPU kernels (AttentionKernels.h);
//   CUDA inputs, no gradients   DeviceAttention.h (fused dense, the engine's
//                               block-sparse and capture kernels); what those
//                               kernels cannot take runs on a CPU copy, with
//                               a one-time warning on stderr;
//   inputs recording gradients  the differentiable path in dense mode
//                               (training); capture and sparse refuse them.
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/atlas/AttentionAtlas.h"
#include "engine/attention/AttentionWorkspace.h"
#include "engine/attention/DeviceAttention.h"
#include "engine/mask/MaskPlan.h"

namespace attnscope {

enum class AttentionMode { Dense, Capture, Sparse };

struct AttentionPlan {
  TokenGrid grid;                  // video grid of the run (text = context tokens)
  std::set<int> captureSteps;      // steps whose attention goes into the atlas
  BlockLayout captureLayout = BlockLayout::linear(64);
  const MaskPlan* mask = nullptr;  // sparse where it applies; nullptr = dense
  int64_t captureBatch = 0;        // which batch element the atlas describes
  // Wait for the GPU before and after each call, so that attentionSeconds()
  // is the attention's own time, not the time to queue it (reports; off for
  // training, where it would only slow the step).
  bool timeStages = false;
};

class AttentionOp {
 public:
  // `atlas` receives captured entries; may be nullptr when nothing is captured.
  AttentionOp(AttentionPlan plan, AttentionAtlas* atlas);

  void beginStep(int step) { step_ = step; }
  AttentionMode modeFor(int step, int layer) const;

  // q, k, v: [B, H, N, D]; returns [B, H, N, D].
  torch::Tensor self(int layer, const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v);
  // q: [B, H, N, D]; k, v: [B, H, T, D].
  torch::Tensor cross(int layer, const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v);

  double attentionSeconds() const { return seconds_; }
  void resetTimer() { seconds_ = 0; }
  // The GPU's dense kernel (DeviceAttention::denseKernelName); "" on the CPU.
  const std::string& denseKernelName() const { return device_.denseKernelName(); }
  // Why a GPU capture's dense pass fell back from cuDNN to the engine's kernel; "" if it did not.
  const std::string& captureDenseFallbackReason() const { return device_.captureDenseFallback(); }

 private:
  AtlasEntry& entryFor(int step, int layer);
  std::vector<const BlockMask*> layerMasks(int layer, int64_t heads) const;
  torch::Tensor selfOnCpu(AttentionMode mode, int layer, const torch::Tensor& q, const torch::Tensor& k,
                          const torch::Tensor& v);
  torch::Tensor selfOnDevice(AttentionMode mode, int layer, const torch::Tensor& q, const torch::Tensor& k,
                             const torch::Tensor& v);
  // The CPU kernels on a float32 CPU copy; the result back on v's device and dtype.
  torch::Tensor selfOnCpuCopy(AttentionMode mode, int layer, const torch::Tensor& q, const torch::Tensor& k,
                              const torch::Tensor& v);
  void warnOnce(const std::string& what, const std::string& why);
  std::chrono::steady_clock::time_point startTimer(const torch::Tensor& q) const;
  void stopTimer(std::chrono::steady_clock::time_point start, const torch::Tensor& q);
  static bool recordsGradients(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v);
  static void refuseGradients(const char* mode, const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v);

  AttentionPlan plan_;
  AttentionAtlas* atlas_;
  int step_ = 0;
  double seconds_ = 0;
  AttentionWorkspace workspace_;  // kernels' scratch memory, kept between calls
  DeviceAttention device_;        // GPU paths, with their per-run caches
  std::set<std::string> warned_;  // fallbacks already reported
};

}  // namespace attnscope
