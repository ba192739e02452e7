#pragma once
// AttentionOp: the single place where attention is computed during a run.
// Per (step, layer) the run plan picks dense, capture or sparse for
// self-attention; cross-attention is dense (captured alongside self when the
// step is captured). It also accumulates the wall time spent in attention.
// Inputs that record gradients or live on a GPU take the differentiable path
// (DifferentiableAttention.h) in dense mode; capture and sparse run the CPU
// kernels on a CPU copy of GPU inputs and refuse inputs that need gradients.
#include <chrono>
#include <set>

#include <torch/torch.h>

#include "engine/atlas/AttentionAtlas.h"
#include "engine/attention/AttentionWorkspace.h"
#include "engine/mask/MaskPlan.h"

namespace attnscope {

enum class AttentionMode { Dense, Capture, Sparse };

struct AttentionPlan {
  TokenGrid grid;                  // video grid of the run (text = context tokens)
  std::set<int> captureSteps;      // steps whose attention goes into the atlas
  BlockLayout captureLayout = BlockLayout::linear(64);
  const MaskPlan* mask = nullptr;  // sparse where it applies; nullptr = dense
  int64_t captureBatch = 0;        // which batch element the atlas describes
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

 private:
  AtlasEntry& entryFor(int step, int layer);
  torch::Tensor selfOnCpu(AttentionMode mode, int layer, const torch::Tensor& q, const torch::Tensor& k,
                          const torch::Tensor& v);
  static void refuseGradients(const char* mode, const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v);

  AttentionPlan plan_;
  AttentionAtlas* atlas_;
  int step_ = 0;
  double seconds_ = 0;
  AttentionWorkspace workspace_;  // kernels' scratch memory, kept between calls
};

}  // namespace attnscope
