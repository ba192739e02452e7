#pragma once
// The plain data a generation job takes and returns (no LibTorch here, so
// the GUI can hold requests and results): the request, the run options
// (capture, mask, progress, cancel), the stage timings and the result.
#include <atomic>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "engine/atlas/AttentionAtlas.h"
#include "engine/io/Video.h"
#include "engine/mask/MaskPlan.h"

namespace attnscope {

struct GenerationRequest {
  std::string prompt;
  std::string negativePrompt;  // "" = the unconditional branch sees no text
  // 0 / <0 = take the model's default.
  int64_t frames = 0, height = 0, width = 0;
  int steps = 0;
  double guidance = -1;
  double guidanceMaxSigma = -1;  // guidance only where sigma <= this (GuidanceInterval.h)
  double shift = -1;
  uint64_t seed = 0;
  bool allowUnknownWords = false;
  std::string sampler;  // "" = the model's default; "euler" or "unipc"
};

struct RunOptions {
  std::set<int> captureSteps;  // empty = no capture
  BlockLayout captureLayout = BlockLayout::linear(64);
  const MaskPlan* mask = nullptr;
  // Called after each denoising step with (steps done, total).
  std::function<void(int, int)> progress;
  const std::atomic<bool>* cancel = nullptr;
  // Wait for the GPU around every attention call and at the end of every
  // step, so that attention vs the rest is real time rather than queueing
  // time (costs a little overlap; no effect on the CPU).
  bool timeStages = true;
};

// One denoising step: what attention ran in it ("dense", "sparse" when any
// layer ran a mask, "capture" when the step was captured) and its times.
struct StepTiming {
  int step = 0;
  std::string mode;
  double seconds = 0;    // the whole step (DiT forward + sampler update)
  double attention = 0;  // inside AttentionOp during the step
  double rest() const { return seconds - attention; }
};

// Mean over the steps of one mode; count 0 when there were none.
struct StepMean {
  int count = 0;
  double seconds = 0, attention = 0;
  double rest() const { return seconds - attention; }
};

struct StageTimings {
  double total = 0;      // seconds, whole job
  double text = 0;       // tokenizer + text encoder
  double denoise = 0;    // the sampler loop (includes attention)
  double attention = 0;  // inside AttentionOp (self + cross)
  double decode = 0;     // latent -> frames
  std::vector<StepTiming> steps;  // one per denoising step, in order
  int64_t peakGpuBytes = 0;       // CUDA caching allocator peak during the job; 0 on the CPU
  double rest() const { return total - attention; }
  StepMean meanOf(const std::string& mode) const {
    StepMean m;
    for (const StepTiming& s : steps)
      if (s.mode == mode) {
        ++m.count;
        m.seconds += s.seconds;
        m.attention += s.attention;
      }
    if (m.count) {
      m.seconds /= m.count;
      m.attention /= m.count;
    }
    return m;
  }
};

struct GenerationResult {
  GenerationRequest request;  // with defaults filled in
  VideoFrames video;
  AttentionAtlas atlas;       // empty entries unless capture was asked
  StageTimings timings;
  std::vector<std::string> unknownWords;
  TokenGrid grid;             // the run's token grid (text = context tokens)
  std::string device;         // where the DiT ran: "cpu", "cuda:0"
  std::string dtype;          // the DiT's weights: "float32", "bfloat16"
  std::string denseKernel;    // the GPU's dense attention kernel (e.g. "cudnn"); "" on the CPU
};

}  // namespace attnscope
