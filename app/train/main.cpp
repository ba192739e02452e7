// attnscope-train: trains a model (by default the shipped default model's
// architecture) with flow matching on the procedural video stream, on a CUDA
// GPU or the CPU. Resumable (--resume), time-boxed (--minutes), Ctrl-C stops
// after the current step and still writes a checkpoint. See Trainer.h for
// what lands in --out.
#include <csignal>
#include <iomanip>
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "engine/core/Error.h"
#include "engine/training/Trainer.h"

#ifndef ATTNSCOPE_GIT_COMMIT
#define ATTNSCOPE_GIT_COMMIT "unknown"
#endif

namespace {

std::atomic<bool> gCancel{false};

void onInterrupt(int) { gCancel.store(true); }

}  // namespace

int main(int argc, char** argv) {
  using namespace attnscope;
  CLI::App app{"Train an AttnScope text-to-video DiT with flow matching on procedural videos"};
  TrainerSettings s;
  s.gitCommit = ATTNSCOPE_GIT_COMMIT;
  s.vocabPath = std::string(ATTNSCOPE_SOURCE_DIR) + "/assets/default/vocab.txt";
  std::string configPath;
  bool asJson = false, noMeasure = false;
  TrainingOptions defaults;
  nlohmann::json& o = s.optionOverrides;

  app.add_option("--out", s.outDir, "Run folder: checkpoint/, model/, loss.csv, recipe.json")->required();
  app.add_option("--config", configPath, "Model config.json for a fresh run (default: the default architecture)")
      ->check(CLI::ExistingFile);
  app.add_option("--vocab", s.vocabPath, "Vocabulary for a fresh run")->check(CLI::ExistingFile);
  auto* resume = app.add_option("--resume", s.resumeFrom, "Continue from this run folder or checkpoint folder");
  app.add_option("--init-from", s.initFrom,
                 "Fresh schedule and optimiser, weights (and EMA) from this model folder, e.g. assets/default")
      ->check(CLI::ExistingPath)
      ->excludes(resume);
  app.add_option("--minutes", s.minutes, "Stop after this many minutes (a checkpoint is written); 0 = no limit");
  app.add_option("--device", s.device, "cuda or cpu")->check(CLI::IsMember({"cuda", "cpu"}));
  app.add_option("--precision", s.precision, "auto (bf16 autocast on CUDA), bf16 or fp32")
      ->check(CLI::IsMember({"auto", "bf16", "fp32"}));
  app.add_option("--device-label", s.deviceLabel, "Device name recorded in recipe.json");
  app.add_option("--workers", s.workers, "Clip rendering threads (0 = all cores but two)");
  app.add_flag("--no-measure", noMeasure, "Skip timing one inference denoising step before training");
  app.add_option("--probe", s.probeScenes, "At the end, check prompt following on this many held-out scenes");
  app.add_flag("--json", asJson, "Print the final report as one JSON object on stdout");
  app.add_option("--model-id", s.modelId,
                 "Model id of a fresh or --init-from run. Default: attnscope-train-seed<seed>, or the --config / "
                 "--init-from model's id unless it is a shipped one (attnscope-default-*). A resumed run keeps "
                 "its checkpoint's");
  app.add_option("--dim", s.config.dim, "Model width (fresh run)");
  app.add_option("--heads", s.config.heads, "Attention heads (fresh run)");
  app.add_option("--layers", s.config.layers, "Blocks (fresh run)");
  app.add_option("--ffn", s.config.ffnDim, "FFN hidden size (fresh run)");
  app.add_option("--max-tokens", s.config.text.maxTokens, "Prompt tokens (fresh run)");
  app.add_flag("--pooled-text", s.pooledText,
               "Condition every block's modulation on the caption's mean as well (fresh run, or added "
               "zero-initialised to an --init-from model)");
  app.add_flag("--absolute-position", s.absolutePosition,
               "Add each token's normalised (frame, row, column) position to its patch embedding (fresh run, or "
               "added zero-initialised to an --init-from model)");
  app.add_option("--layout-prior", s.layoutPrior,
                 "Hidden width of a layout prior: an MLP of each token's position, the noise level + pooled "
                 "caption and the caption's mean embedding, added to the output (fresh run, or added with a zero last layer to an --init-from model)")
      ->check(CLI::PositiveNumber);
  // Training options: only those given override the defaults (or the checkpoint's).
  auto option = [&](const char* flag, const char* key, auto example, const char* help) {
    using T = decltype(example);
    app.add_option_function<T>(flag, [&o, key](const T& v) { o[key] = v; }, help);
  };
  option("--steps", "steps", int64_t(), "Optimiser steps of the whole run");
  option("--batch", "batch", int64_t(), "Samples per step");
  option("--repeat", "repeat", int64_t(), "Times each rendered clip appears in a batch (fresh noise and t)");
  option("--lr", "lr", double(), "Peak learning rate");
  option("--warmup", "warmup_steps", int64_t(), "Linear warm-up steps");
  option("--decay", "decay", std::string(), "cosine or constant");
  option("--weight-decay", "weight_decay", double(), "AdamW weight decay");
  option("--ema-decay", "ema_decay", double(), "EMA decay");
  option("--cond-dropout", "cond_dropout", double(), "Share of samples trained with the empty prompt");
  option("--text-pool-lr-scale", "text_pool_lr_scale", double(),
         "Learning-rate factor for the pooled caption path (text_pool), e.g. 10 to let a path added to a "
         "trained model grow faster");
  option("--position-lr-scale", "position_lr_scale", double(),
         "Learning-rate factor for the absolute position path (pos_embedding)");
  option("--layout-prior-lr-scale", "layout_prior_lr_scale", double(),
         "Learning-rate factor for the layout prior (layout_prior)");
  option("--train-only", "train_only", std::string(),
         "Train only the parameters whose names start with this, e.g. layout_prior. (the rest stay as loaded)");
  option("--shift", "shift", double(),
         "Timestep shift of the training sigmas, sigma = k u / (1 + (k - 1) u): larger puts more samples at high "
         "noise, where a clip's layout is decided (the sampler keeps the model's own shift)");
  option("--seed", "seed", uint64_t(), "Seed of the clips, noise, timesteps and dropout");
  option("--checkpoint-every", "checkpoint_every", int64_t(), "Steps between checkpoints");
  option("--log-every", "log_every", int64_t(), "Steps between loss-log rows");
  app.footer("Defaults: " + defaults.toJson().dump());
  CLI11_PARSE(app, argc, argv);

  std::signal(SIGINT, onInterrupt);
  std::signal(SIGTERM, onInterrupt);
  try {
    if (!configPath.empty()) {
      s.config = ModelConfig::load(configPath);
      s.configGiven = true;
    }
    s.measureInference = !noMeasure;
    auto report = train(
        s,
        [](const LossRow& r, int64_t total) {
          std::cerr << "step " << r.step << "/" << total << "  loss " << std::fixed << std::setprecision(4) << r.loss
                    << "  lr " << std::scientific << std::setprecision(2) << r.lr << std::fixed << "  "
                    << std::setprecision(0) << r.samplesPerSecond << " samples/s  wall " << r.wallSeconds << " s"
                    << std::endl;
        },
        &gCancel);
    nlohmann::json j = {{"step", report.step},
                        {"total_steps", report.totalSteps},
                        {"finished", report.finished},
                        {"loss", report.loss},
                        {"samples_per_second", report.samplesPerSecond},
                        {"session_seconds", report.sessionSeconds},
                        {"wall_seconds", report.wallSeconds},
                        {"denoise_step_seconds", report.denoiseStepSeconds},
                        {"probe_colour_accuracy", report.probeColour},
                        {"probe_direction_accuracy", report.probeDirection},
                        {"cancelled", gCancel.load()},
                        {"model", report.modelDir},
                        {"checkpoint", report.checkpointDir}};
    if (asJson) {
      std::cout << j.dump() << std::endl;
    } else {
      std::cout << (report.finished ? "finished" : "stopped") << " at step " << report.step << "/" << report.totalSteps
                << ", loss " << report.loss << ", " << report.samplesPerSecond << " samples/s";
      if (report.denoiseStepSeconds >= 0) std::cout << ", one denoising step " << report.denoiseStepSeconds * 1e3 << " ms";
      if (report.probeColour >= 0)
        std::cout << ", probe colour " << report.probeColour * 100 << "% direction " << report.probeDirection * 100 << "%";
      std::cout << "\nmodel: " << report.modelDir << "\ncheckpoint: " << report.checkpointDir << std::endl;
    }
    return gCancel.load() ? 130 : 0;
  } catch (const std::exception& e) {
    std::cerr << "attnscope-train: error: " << e.what() << std::endl;
    return 1;
  }
}
