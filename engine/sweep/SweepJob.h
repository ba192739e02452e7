#pragma once
// Quality-vs-density sweep: one engine job, used by `attnscope-cli sweep` and
// the GUI alike. It generates the dense video once while capturing attention
// (capture output is bit-identical to dense), runs dense once more for the
// attention-time baseline, then for every (strategy, density) derives a plan
// at that target density from the atlas (mean over captured steps),
// re-renders with it and compares against dense: PSNR / SSIM on the rendered
// frames (before video encoding), attention time over the dense run's. Points
// on the Pareto front are marked twice: density vs PSNR and attention time vs
// PSNR. Everything lands in `outDir`:
//   dense.mp4, atlas.safetensors, <strategy>-d<density>.json / .mp4,
//   sweep.csv, sweep.json, and a record per generation in the run history.
// Header free of LibTorch, so that the GUI can include it.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/BlockLayout.h"
#include "engine/strategies/Strategy.h"

namespace attnscope {

struct SweepRequest {
  std::string modelPath;
  std::string device = "cpu", dtype;  // where the model runs: as parseComputePlacement takes them
  std::string prompt, negativePrompt;
  uint64_t seed = 0;
  int steps = 0;                              // 0 = the model's default
  int64_t frames = 0, height = 0, width = 0;  // 0 = the model's default
  double guidance = -1, shift = -1;           // < 0 = the model's default
  bool allowUnknownWords = false;

  std::vector<std::string> strategies;
  std::vector<double> densities;                 // targets in (0, 1]
  std::map<std::string, StrategyParams> params;  // per strategy, besides the knob
  std::set<int> captureSteps;                    // empty = every step
  BlockLayout layout = BlockLayout::linear(64);
  int64_t tiledBlock = 0;  // > 0: instead of `layout`, the most cube-like tile of this many tokens for the grid
  int denseWarmupSteps = 0;

  std::string outDir;
  bool recordHistory = true;
  std::string historyPath;  // empty = outDir/attnscope-runs.sqlite
};

struct SweepProgress {
  std::string stage;  // "capture", "dense", "threshold @ 0.2", ...
  int run = 0, runs = 0;    // generation runs: this one (1-based), all
  int step = 0, steps = 0;  // denoising steps done in this run
};

struct SweepPoint {
  std::string strategy;
  double targetDensity = 0, density = 0, keptMass = 0;
  StrategyParams params;  // as derived (knob after the search)
  double psnr = 0, ssim = 0;
  double attentionSeconds = 0, totalSeconds = 0;
  double attentionRatio = 0;  // attention time / dense attention time
  bool paretoDensity = false, paretoLatency = false;
  std::string plan, video;  // files in outDir
};

struct SweepResult {
  std::string modelId;
  bool modelTrained = false;
  std::string device, dtype;  // where the generations ran: "cpu", "cuda:0"; "float32", "bfloat16"
  std::string prompt;
  uint64_t seed = 0;
  int steps = 0;
  std::string grid, layout;
  std::vector<int> captureSteps;
  int denseWarmupSteps = 0;
  std::string denseVideo, atlas;
  double denseAttentionSeconds = 0, denseTotalSeconds = 0, captureTotalSeconds = 0;
  std::vector<SweepPoint> points;  // strategy-major, densities in request order
  std::string csv, json;           // files written
  double wallSeconds = 0;
};

// "0.05,0.1,0.2" -> values; throws Error naming the item for anything that is
// not a number in (0, 1], and for an empty or duplicated list.
std::vector<double> parseDensities(const std::string& text);

// Checks what can be checked before any generation: strategies known,
// parameters accepted, densities in (0, 1], warm-up >= 0, an output folder,
// a device and dtype this build and machine have.
void validateSweep(const SweepRequest& request);

// Runs the sweep; throws Error on bad input (before the first run where
// possible) and Cancelled between denoising steps when *cancel turns true.
SweepResult runSweep(const SweepRequest& request, const std::function<void(const SweepProgress&)>& progress = {},
                     const std::atomic<bool>* cancel = nullptr);

nlohmann::json toJson(const SweepResult& result);
// sweep.csv: strategy,target_density,density,kept_mass,psnr,ssim,attention_s,
// attention_ratio,total_s,pareto_density,pareto_latency,params,plan,video
void writeSweepCsv(const SweepResult& result, const std::string& path);

}  // namespace attnscope
