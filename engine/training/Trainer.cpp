#include "engine/training/Trainer.h"

#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>
#include <tuple>

#include <torch/cuda.h>
#include <torch/version.h>

#include "engine/attention/AttentionOp.h"
#include "engine/core/Error.h"
#include "engine/model/LatentCodec.h"
#include "engine/training/AdamW.h"
#include "engine/training/Bf16Autocast.h"
#include "engine/training/Checkpoint.h"
#include "engine/training/ClipStream.h"
#include "engine/training/Ema.h"
#include "engine/training/FlowMatching.h"
#include "engine/training/LearningRate.h"
#include "engine/training/NamedParameters.h"
#include "engine/training/PromptProbe.h"
#include "engine/training/StepTiming.h"

namespace attnscope {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

torch::Device chooseDevice(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name != "cuda") throw Error("device must be cuda or cpu, got " + name);
  if (!torch::cuda::is_available()) throw Error("device cuda asked for, but this LibTorch sees no CUDA GPU");
  // TF32 matrix products (float32 storage, 10-bit mantissa products): the
  // model is small and its matmuls are the bulk of the work.
  at::globalContext().setAllowTF32CuBLAS(true);
  at::globalContext().setAllowTF32CuDNN(true);
  return torch::kCUDA;
}

bool useBf16(const std::string& precision, torch::Device device) {
  if (precision == "bf16") {
    if (!device.is_cuda()) throw Error("precision bf16 needs the cuda device");
    return true;
  }
  if (precision == "fp32") return false;
  if (precision != "auto") throw Error("precision must be auto, bf16 or fp32, got " + precision);
  return device.is_cuda() && TORCH_VERSION_MAJOR >= 2;
}

void moveTo(Model& model, torch::Device device) {
  model.dit->to(device);
  model.textEncoder->to(device);
}

json readJsonFile(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open " + path.string());
  return json::parse(in);
}

std::string utcNow() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// The loss log a resumed checkpoint belongs to (its run folder's loss.csv).
std::string lossLogOf(const std::string& checkpointFolder) {
  fs::path dir(checkpointFolder);
  fs::path run = dir.filename() == "checkpoint" || dir.filename() == "checkpoint.old" ? dir.parent_path() : dir;
  return (run / "loss.csv").string();
}

// What a run that started from a trained model started from: its folder,
// and the steps, clips and loss its recipe records (when it has one).
json initialModelRecord(const std::string& folder) {
  fs::path dir(folder);
  if (fs::is_regular_file(dir)) dir = dir.parent_path();
  json record = {{"folder", folder}};
  if (!fs::exists(dir / "recipe.json")) return record;
  json recipe = readJsonFile(dir / "recipe.json");
  for (const char* key : {"model_id", "steps_done", "samples_seen", "final_loss", "git_commit"})
    if (recipe.contains(key)) record[key] = recipe[key];
  return record;
}

// The id a fresh or --init-from run gives its model (TrainerSettings::modelId).
std::string runModelId(const TrainerSettings& settings, const std::string& configured, uint64_t seed) {
  if (!settings.modelId.empty()) return settings.modelId;
  if (configured.empty() || isShippedModelId(configured)) return trainedModelId(seed);
  return configured;
}

// The (model, EMA) parameter pairs whose names start with `prefix`; every
// other model parameter stops requiring a gradient, so it stays as loaded.
std::pair<NamedParameters, NamedParameters> onlyTrained(const NamedParameters& params, const NamedParameters& emaParams,
                                                        const std::string& prefix) {
  NamedParameters kept, keptEma;
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].first.rfind(prefix, 0) == 0) {
      kept.push_back(params[i]);
      keptEma.push_back(emaParams[i]);
    } else {
      params[i].second.set_requires_grad(false);
    }
  }
  if (kept.empty()) throw Error("train_only '" + prefix + "' matches no parameter of the model");
  return {kept, keptEma};
}

}  // namespace

bool isShippedModelId(const std::string& id) { return id.rfind("attnscope-default-", 0) == 0; }

std::string trainedModelId(uint64_t seed) { return "attnscope-train-seed" + std::to_string(seed); }

TrainingReport train(const TrainerSettings& settings, const std::function<void(const LossRow&, int64_t)>& onLog,
                     const std::atomic<bool>* cancel) {
  const auto sessionStart = Clock::now();
  if (settings.outDir.empty()) throw Error("training needs an output folder");
  const torch::Device device = chooseDevice(settings.device);
  const bool bf16 = useBf16(settings.precision, device);
  fs::create_directories(settings.outDir);

  // Model, EMA, options and progress: from a checkpoint or fresh.
  Model model, ema;
  TrainingState state;
  Checkpoint checkpoint;
  const bool resumed = !settings.resumeFrom.empty();
  if (resumed && !settings.initFrom.empty())
    throw Error("give either a checkpoint to resume from or a model to start from, not both");
  if (resumed) {
    checkpoint = loadCheckpoint(settings.resumeFrom);
    if (settings.configGiven)
      requireSameArchitecture(checkpoint.model.config, settings.config, checkpoint.folder + " vs --config");
    json merged = checkpoint.state.options.toJson();
    merged.update(settings.optionOverrides);
    state = checkpoint.state;
    state.options = TrainingOptions::fromJson(merged, "training options");
    model = checkpoint.model;
    ema = checkpoint.ema;
    if (!settings.modelId.empty() && settings.modelId != ema.config.modelId)
      throw Error("a resumed run keeps its model id '" + ema.config.modelId + "' (" + checkpoint.folder +
                  "); --model-id '" + settings.modelId + "' names a fresh or --init-from run");
  } else if (!settings.initFrom.empty()) {
    state.options = TrainingOptions::fromJson(settings.optionOverrides, "training options");
    model = Model::load(settings.initFrom);
    ema = Model::load(settings.initFrom);
    if (model.backend) throw Error("--init-from needs a model of the built-in architecture, got " + settings.initFrom);
    if (settings.configGiven) requireSameArchitecture(model.config, settings.config, settings.initFrom + " vs --config");
    model.config.modelId = ema.config.modelId = runModelId(settings, ema.config.modelId, state.options.seed);
    if (settings.pooledText) {
      model.dit->enablePooledText();
      ema.dit->enablePooledText();
      model.config.pooledText = ema.config.pooledText = true;
    }
    if (settings.absolutePosition) {
      model.dit->enableAbsolutePosition();
      ema.dit->enableAbsolutePosition();
      model.config.absolutePosition = ema.config.absolutePosition = true;
    }
    if (settings.layoutPrior > 0) {
      model.dit->enableLayoutPrior(settings.layoutPrior);
      ema.dit->enableLayoutPrior(settings.layoutPrior);
      model.config.layoutPrior = ema.config.layoutPrior = model.dit->config.layoutPrior;
    }
  } else {
    state.options = TrainingOptions::fromJson(settings.optionOverrides, "training options");
    ModelConfig config = settings.config;
    config.modelId = runModelId(settings, config.modelId, state.options.seed);
    config.pooledText = config.pooledText || settings.pooledText;
    config.absolutePosition = config.absolutePosition || settings.absolutePosition;
    if (settings.layoutPrior > 0) config.layoutPrior = settings.layoutPrior;
    config.validate();
    model = Model::create(config, settings.vocabPath, state.options.seed);
    ema = Model::create(config, settings.vocabPath, state.options.seed);
  }
  const TrainingOptions& opts = state.options;
  ema.config.trained = true;
  moveTo(model, device);
  moveTo(ema, device);
  model.dit->train();
  model.textEncoder->train();
  NamedParameters params = namedParameters(model), emaParams = namedParameters(ema);
  {
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < emaParams.size(); ++i) {
      if (!resumed) emaParams[i].second.copy_(params[i].second);
      emaParams[i].second.set_requires_grad(false);
    }
  }
  if (!opts.trainOnly.empty()) std::tie(params, emaParams) = onlyTrained(params, emaParams, opts.trainOnly);
  AdamW optimizer(params, {opts.beta1, opts.beta2, opts.adamEps, opts.weightDecay,
                           {{"text_pool.", opts.textPoolLrScale},
                            {"pos_embedding.", opts.positionLrScale},
                            {"layout_prior.", opts.layoutPriorLrScale}}});
  if (resumed)
    optimizer.restore(checkpoint.firstMoments, checkpoint.secondMoments, state.step, checkpoint.folder);
  const std::string resumedFolder = checkpoint.folder;
  checkpoint = Checkpoint{};  // the CPU copies are no longer needed

  TrainingReport report;
  report.totalSteps = opts.steps;
  report.checkpointDir = (fs::path(settings.outDir) / "checkpoint").string();
  report.modelDir = (fs::path(settings.outDir) / "model").string();
  if (settings.measureInference) report.denoiseStepSeconds = medianDenoiseStepSeconds(ema);

  LossLog log((fs::path(settings.outDir) / "loss.csv").string(), resumed ? lossLogOf(resumedFolder) : "", state.step);

  // The clip stream, rendered ahead on CPU threads.
  const auto& d = model.config.defaults;
  const SceneSize size{d.frames, d.height, d.width};
  const int64_t T = model.config.text.maxTokens;
  const int64_t distinct = opts.batch / opts.repeat;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int workers = settings.workers > 0 ? settings.workers : std::max(1, cores - 2);
  ClipStream stream(model.tokenizer, T, size, opts.seed, state.clips, workers,
                    static_cast<int>(std::max<int64_t>(4 * distinct, 256)));

  AttentionOp op(AttentionPlan{}, nullptr);  // dense everywhere: the differentiable path
  const double wallBefore = state.wallSeconds;
  const int64_t startStep = state.step;
  torch::Tensor lossSum = torch::zeros({}, torch::TensorOptions().device(device));
  int64_t inInterval = 0;
  auto intervalStart = Clock::now();

  auto flushInterval = [&] {
    if (inInterval == 0) return;
    LossRow row;
    row.step = state.step;
    row.loss = lossSum.item<double>() / double(inInterval);
    row.lr = learningRateAt(opts, state.step - 1);
    row.samplesPerSecond = double(inInterval * opts.batch) / std::max(1e-9, secondsSince(intervalStart));
    row.wallSeconds = wallBefore + secondsSince(sessionStart);
    state.lastLoss = row.loss;
    log.append(row);
    if (onLog) onLog(row, opts.steps);
    lossSum.zero_();
    inInterval = 0;
    intervalStart = Clock::now();
  };
  auto checkpointNow = [&] {
    state.wallSeconds = wallBefore + secondsSince(sessionStart);
    saveCheckpoint(settings.outDir, model, ema, optimizer, state);
  };

  const auto trainingStart = Clock::now();
  while (state.step < opts.steps) {
    if (cancel && cancel->load()) break;
    if (settings.minutes > 0 && secondsSince(sessionStart) >= settings.minutes * 60.0) break;

    // Clips -> bytes [distinct, F, H, W, 3] and token ids [distinct, T].
    auto bytes = torch::empty({distinct, size.frames, size.height, size.width, 3}, torch::kUInt8);
    auto ids = torch::empty({distinct, T}, torch::kInt64);
    const size_t clipBytes = size_t(size.frames * size.height * size.width * 3);
    for (int64_t i = 0; i < distinct; ++i) {
      TrainingClip clip = stream.next();
      std::memcpy(bytes.data_ptr<uint8_t>() + i * clipBytes, clip.rgb.data(), clipBytes);
      std::memcpy(ids.data_ptr<int64_t>() + i * T, clip.ids.data(), size_t(T) * sizeof(int64_t));
    }
    state.clips += uint64_t(distinct);

    // Noise, timesteps and prompt dropout of this step depend on (seed, step) alone.
    torch::manual_seed(clipSeed(opts.seed ^ 0x5eedull, uint64_t(state.step)));
    auto onDevice = torch::TensorOptions().device(device);
    auto frames = bytes.to(device).repeat_interleave(opts.repeat, 0);
    auto tokens = ids.to(device).repeat_interleave(opts.repeat, 0);
    auto x0 = encodeFrameBatch(frames, model.config.latent);  // [B, C, F, h, w]
    auto noise = torch::randn_like(x0);
    auto sigmas = shiftedSigmas(torch::rand({opts.batch}, onDevice), opts.shift);
    auto keep = torch::rand({opts.batch}, onDevice).ge(opts.condDropout).to(torch::kInt64);
    tokens = tokens * keep.unsqueeze(1);  // dropped prompts become all padding, the sampler's empty prompt

    torch::Tensor loss;
    {
      Bf16Autocast autocast(bf16);
      loss = flowMatchingLoss(model, flowMatchingSample(x0, noise, sigmas), tokens, op);
    }
    for (auto& [name, p] : params) p.mutable_grad() = torch::Tensor();
    loss.backward();
    clipGradientNorm(params, opts.gradClip);
    optimizer.step(learningRateAt(opts, state.step));
    emaUpdate(emaParams, params, emaDecayAt(opts.emaDecay, state.step));
    ++state.step;
    lossSum += loss.detach();
    ++inInterval;

    if (state.step % opts.logEvery == 0 || state.step == opts.steps) flushInterval();
    if (state.step % opts.checkpointEvery == 0 && state.step < opts.steps) checkpointNow();
  }
  flushInterval();
  const double trainingSeconds = secondsSince(trainingStart);
  checkpointNow();

  // The shippable model: the EMA weights and the recipe next to them.
  report.step = state.step;
  report.finished = state.step >= opts.steps;
  report.loss = state.lastLoss;
  report.sessionSeconds = secondsSince(sessionStart);
  report.wallSeconds = state.wallSeconds;
  report.samplesPerSecond = double((state.step - startStep) * opts.batch) / std::max(1e-9, trainingSeconds);
  ema.save(report.modelDir);
  if (settings.probeScenes > 0) {
    ema.dit->eval();
    ema.textEncoder->eval();
    PromptProbeResult probe = probePromptFollowing(ema, settings.probeScenes);
    report.probeColour = probe.colourAccuracy();
    report.probeDirection = probe.directionAccuracy();
  }
  json recipe = {
      {"model_id", ema.config.modelId},
      {"created", utcNow()},
      {"config", readJsonFile(fs::path(report.modelDir) / "config.json")},
      {"options", opts.toJson()},
      {"steps_done", state.step},
      {"finished", report.finished},
      {"samples_seen", state.step * opts.batch},
      {"distinct_clips", state.clips},
      {"wall_seconds", state.wallSeconds},
      {"final_loss", state.lastLoss},
      {"samples_per_second_last_session", report.samplesPerSecond},
      {"denoise_step_seconds", report.denoiseStepSeconds},
      {"device", settings.deviceLabel.empty() ? settings.device : settings.deviceLabel},
      {"precision", bf16 ? "bfloat16 autocast forward (float32 weights, gradients, optimiser, loss)"
                    : device.is_cuda() ? "float32 weights and optimiser, TF32 matrix products" : "float32"},
      {"objective", "flow matching: x_t = (1 - sigma) x0 + sigma noise, t = 1000 sigma, target v = noise - x0, MSE"},
      {"timesteps", "sigma = shift(u), u ~ U(0, 1), shift(u) = k u / (1 + (k - 1) u)"},
      {"data", "procedural clips sampleScene(seed) with seeds below kHeldOutSeedBase (2^40), rendered at the model's default size"},
      {"weights", "EMA of the trained weights"},
      {"git_commit", settings.gitCommit}};
  if (!settings.initFrom.empty()) recipe["init_from"] = initialModelRecord(settings.initFrom);
  if (settings.probeScenes > 0)
    recipe["probe"] = {{"held_out_scenes", settings.probeScenes},
                       {"colour_accuracy", report.probeColour},
                       {"direction_accuracy", report.probeDirection},
                       {"note", "trainer's quick check (PromptProbe.h) at the end of the last session"}};
  for (const fs::path& where : {fs::path(settings.outDir) / "recipe.json", fs::path(report.modelDir) / "recipe.json"}) {
    std::ofstream out(where);
    out << recipe.dump(2) << "\n";
    if (!out) throw Error("cannot write " + where.string());
  }
  return report;
}

}  // namespace attnscope
