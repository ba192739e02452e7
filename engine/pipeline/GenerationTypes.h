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
};

struct StageTimings {
  double total = 0;      // seconds, whole job
  double text = 0;       // tokenizer + text encoder
  double denoise = 0;    // the sampler loop (includes attention)
  double attention = 0;  // inside AttentionOp (self + cross)
  double decode = 0;     // latent -> frames
  double rest() const { return total - attention; }
};

struct GenerationResult {
  GenerationRequest request;  // with defaults filled in
  VideoFrames video;
  AttentionAtlas atlas;       // empty entries unless capture was asked
  StageTimings timings;
  std::vector<std::string> unknownWords;
  TokenGrid grid;             // the run's token grid (text = context tokens)
};

}  // namespace attnscope
