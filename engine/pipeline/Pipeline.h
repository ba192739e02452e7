#pragma once
// Pipeline: prompt -> tokenizer -> text encoder -> flow-matching Euler or
// UniPC loop with classifier-free guidance (batch of [uncond, cond]) -> DiT ->
// latent decode -> frames (real models bring their own text encoder and VAE
// through Model::backend). One job, used by the CLI and the GUI alike: it reports
// progress per step, stops between steps when cancelled, and is deterministic
// for a seed on a given build.
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "engine/atlas/AttentionAtlas.h"
#include "engine/io/Video.h"
#include "engine/mask/MaskPlan.h"
#include "engine/model/Model.h"

namespace attnscope {

struct GenerationRequest {
  std::string prompt;
  std::string negativePrompt;  // "" = the unconditional branch sees no text
  // 0 / <0 = take the model's default.
  int64_t frames = 0, height = 0, width = 0;
  int steps = 0;
  double guidance = -1;
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

// Fills defaults from the model and checks sizes; throws Error on anything
// the model cannot generate (e.g. a height not divisible by 8).
GenerationRequest resolveRequest(const Model& model, GenerationRequest request);
TokenGrid tokenGridFor(const Model& model, const GenerationRequest& resolved);

GenerationResult generate(const Model& model, const GenerationRequest& request, const RunOptions& options = {});

}  // namespace attnscope
