#pragma once
// The training job behind attnscope-train: flow matching on the procedural
// clip stream, AdamW with warm-up and decay, an EMA of the weights, periodic
// atomic checkpoints, a loss log, and at the end recipe.json plus the EMA
// model folder (what ships). Deterministic for a seed: the clips, noise,
// timesteps and prompt dropout of step s depend only on (seed, s), so a
// resumed run continues exactly where the checkpoint left off.
//
// Output folder:
//   checkpoint/    resumable state (Checkpoint.h)
//   model/         the EMA weights as a model folder + recipe.json
//   loss.csv       LossLog.h
//   recipe.json    config, options, steps, wall time, final loss, device, commit
#include <atomic>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/model/ModelConfig.h"
#include "engine/training/LossLog.h"
#include "engine/training/TrainingOptions.h"

namespace attnscope {

struct TrainerSettings {
  std::string outDir;
  std::string resumeFrom;        // run or checkpoint folder; empty = a fresh run
  // A fresh run (new schedule, new optimiser state) whose weights, and EMA,
  // start from this model folder (e.g. assets/default) instead of random;
  // its architecture is the folder's config. Exclusive with resumeFrom.
  std::string initFrom;
  ModelConfig config;            // fresh runs (and checked against the checkpoint when configGiven)
  bool configGiven = false;
  // The id the trained model gets (--model-id). Empty: a fresh or --init-from
  // run takes its config's (config.modelId / the started-from folder's) unless
  // that is empty or a shipped model's (isShippedModelId), then
  // trainedModelId(seed); a resumed run keeps its checkpoint's (and refuses
  // another).
  std::string modelId;
  std::string vocabPath;         // fresh runs
  // Give the model the pooled-caption path (ModelConfig::pooledText): a fresh
  // run is built with it; an --init-from run adds it, zero-initialised, to
  // the started-from weights. A resumed run keeps its checkpoint's model.
  bool pooledText = false;
  // The same for the absolute position path (ModelConfig::absolutePosition).
  bool absolutePosition = false;
  // The same for the layout prior (ModelConfig::layoutPrior): its hidden
  // width, 0 = do not add one.
  int64_t layoutPrior = 0;
  nlohmann::json optionOverrides = nlohmann::json::object();  // TrainingOptions fields given by the user
  double minutes = 0;            // stop (with a checkpoint) after this much wall time; 0 = no limit
  std::string device = "cuda";   // "cuda" or "cpu"
  // "auto": bfloat16 autocast of the forward pass on CUDA with LibTorch 2+
  // (float32 weights, optimiser and loss), float32 otherwise; or "bf16" / "fp32".
  std::string precision = "auto";
  std::string deviceLabel;       // recorded in the recipe (e.g. the GPU's name)
  std::string gitCommit = "unknown";
  int workers = 0;               // clip rendering threads; 0 = all cores but two
  bool measureInference = true;  // time one denoising step before training
  int probeScenes = 0;           // prompt-following probe on the EMA weights at the end (0 = none)
};

struct TrainingReport {
  int64_t step = 0, totalSteps = 0;
  double loss = 0;               // mean loss of the last logged interval
  double samplesPerSecond = 0;   // over this session's steps
  double sessionSeconds = 0, wallSeconds = 0;
  double denoiseStepSeconds = -1;  // measured inference step (-1 = not measured)
  double probeColour = -1, probeDirection = -1;  // PromptProbe.h accuracies (-1 = not run)
  bool finished = false;         // reached totalSteps
  std::string modelDir, checkpointDir;
};

// True for the ids of the models this project makes ("attnscope-default-v2",
// "attnscope-default-untrained", ...): plans and atlases made for the shipped
// model would accept a model with its id, so a run gets one only when asked.
bool isShippedModelId(const std::string& id);
// The id of a run that names none: "attnscope-train-seed<seed>".
std::string trainedModelId(uint64_t seed);

// `onLog` is called for each logged row; `cancel` stops after the current
// step (a checkpoint is still written). Throws Error on bad settings,
// checkpoints or data.
TrainingReport train(const TrainerSettings& settings, const std::function<void(const LossRow&, int64_t total)>& onLog,
                     const std::atomic<bool>* cancel);

}  // namespace attnscope
