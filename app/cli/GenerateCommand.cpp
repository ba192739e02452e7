// `generate` and `capture`: one generation job, optionally with a mask plan
// (sparse re-render) and with attention capture into an atlas.
#include <atomic>
#include <csignal>
#include <iostream>
#include <memory>

#include "app/cli/CliSupport.h"
#include "app/cli/Commands.h"
#include "app/cli/StageReport.h"
#include "app/cli/StepList.h"
#include "engine/core/Error.h"
#include "engine/model/wan/WanModel.h"
#include "engine/pipeline/Pipeline.h"
#ifdef ATTNSCOPE_HAVE_VIDEO
#include "engine/io/Video.h"
#endif
#ifdef ATTNSCOPE_HAVE_HISTORY
#include "engine/pipeline/RunHistory.h"
#endif

namespace attnscope::cli {

namespace {

std::atomic<bool> gInterrupted{false};
extern "C" void onInterrupt(int) { gInterrupted = true; }

struct GenerateOptions {
  std::string model, prompt, negative, out, mask, atlas, steps = "mid", layout = "linear", tile, history, sampler;
  PlacementOptions placement;
  int64_t frames = 0, height = 0, width = 0, block = 64;
  int stepCount = 0, threads = 0;
  double guidance = -1, shift = -1;
  uint64_t seed = 0;
  bool json = false, allowUnknown = false, noHistory = false, unloadTextEncoder = false;
};

BlockLayout captureLayout(const GenerateOptions& o, const TokenGrid& grid) {
  if (o.layout == "linear") return BlockLayout::linear(o.block);
  if (o.layout != "tiled") throw Error("--layout must be 'linear' or 'tiled', got '" + o.layout + "'");
  if (!o.tile.empty()) {
    TokenGrid t = TokenGrid::parse(o.tile);
    return BlockLayout::tiled(t.frames, t.height, t.width);
  }
  return BlockLayout::tiledFor(grid, o.block);
}

// Refuses, before any work, outputs this build cannot write.
void checkOutputsBuildable(const GenerateOptions& o) {
#ifndef ATTNSCOPE_HAVE_VIDEO
  if (!o.out.empty())
    throw Error("this attnscope-cli was built without FFmpeg: it cannot write the video " + o.out +
                " (leave out --out to generate without a video file)");
#endif
#ifndef ATTNSCOPE_HAVE_HISTORY
  if (!o.history.empty())
    throw Error("this attnscope-cli was built without SQLite: it cannot record the run in " + o.history);
#endif
}

#ifdef ATTNSCOPE_HAVE_HISTORY
// The run history: the database given, else the one next to the video;
// none when there is neither.
std::string historyPath(const GenerateOptions& o) {
  if (o.noHistory) return "";
  if (!o.history.empty()) return o.history;
  return o.out.empty() ? "" : defaultHistoryPath(o.out);
}
#endif

int run(const GenerateOptions& o, const char* argv0, bool capture) {
  setThreads(o.threads);
  checkOutputsBuildable(o);
  const ComputePlacement placement = parseComputePlacement(o.placement.device, o.placement.dtype);
  prepareOutput(o.out);
  if (capture) prepareOutput(o.atlas);
  std::string modelPath = resolveModelPath(o.model, argv0);
  Model model = Model::load(modelPath, placement);
  if (auto* wan = dynamic_cast<WanBackend*>(model.backend.get())) wan->setUnloadTextEncoderAfterUse(o.unloadTextEncoder);

  GenerationRequest request;
  request.prompt = o.prompt;
  request.negativePrompt = o.negative;
  request.frames = o.frames;
  request.height = o.height;
  request.width = o.width;
  request.steps = o.stepCount;
  request.guidance = o.guidance;
  request.shift = o.shift;
  request.seed = o.seed;
  request.allowUnknownWords = o.allowUnknown;
  request.sampler = o.sampler;
  GenerationRequest resolved = resolveRequest(model, request);
  TokenGrid grid = tokenGridFor(model, resolved);

  RunOptions options;
  std::unique_ptr<MaskPlan> plan;
  if (!o.mask.empty()) {
    plan = std::make_unique<MaskPlan>(MaskPlan::load(o.mask));
    options.mask = plan.get();  // generate() refuses a plan for another model or grid
  }
  if (capture) {
    options.captureSteps = parseStepList(o.steps, resolved.steps);
    options.captureLayout = captureLayout(o, grid);  // generate() validates it against the grid
  }
  ProgressBar bar(capture ? "capture " : "generate", !o.json);
  options.progress = [&](int done, int total) { bar.update(done, total); };
  gInterrupted = false;
  std::signal(SIGINT, onInterrupt);
  options.cancel = &gInterrupted;

  GenerationResult result = generate(model, resolved, options);
  bar.finish();
  std::signal(SIGINT, SIG_DFL);
#ifdef ATTNSCOPE_HAVE_VIDEO
  if (!o.out.empty()) writeMp4(o.out, result.video);
#endif
  if (capture) result.atlas.save(o.atlas);

  nlohmann::json report = {
      {"command", capture ? "capture" : "generate"},
      {"model", model.config.modelId},
      {"model_trained", model.config.trained},
      {"prompt", resolved.prompt},
      {"seed", resolved.seed},
      {"frames", resolved.frames},
      {"height", resolved.height},
      {"width", resolved.width},
      {"steps", resolved.steps},
      {"guidance", resolved.guidance},
      {"shift", resolved.shift},
      {"sampler", resolved.sampler},
      {"grid", grid.str()},
      {"tokens", grid.videoTokens()},
      {"video", o.out.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.out)},
      {"device", result.device},
      {"dtype", result.dtype},
      {"dense_kernel", result.denseKernel.empty() ? nlohmann::json(nullptr) : nlohmann::json(result.denseKernel)},
      {"mask", o.mask.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.mask)},
      {"mask_density", plan ? nlohmann::json(plan->density()) : nlohmann::json(nullptr)},
      {"timings", stageTimingsJson(result.timings)}};
  if (capture) {
    report["atlas"] = o.atlas;
    report["layout"] = options.captureLayout.str();
    report["capture_steps"] = std::vector<int>(options.captureSteps.begin(), options.captureSteps.end());
  }

#ifdef ATTNSCOPE_HAVE_HISTORY
  if (const std::string db = historyPath(o); !db.empty()) {
    RunRecord record;
    record.command = capture ? "capture" : "generate";
    record.modelId = model.config.modelId;
    record.prompt = resolved.prompt;
    record.seed = resolved.seed;
    record.steps = resolved.steps;
    record.grid = grid.str();
    record.maskPath = o.mask;
    record.maskDensity = plan ? plan->density() : 1.0;
    record.videoPath = o.out;
    record.atlasPath = capture ? o.atlas : "";
    record.totalSeconds = result.timings.total;
    record.attentionSeconds = result.timings.attention;
    record.settingsJson = report.dump();
    report["run_id"] = RunHistory(db).add(record);
    report["history"] = db;
  }
#endif

  if (o.json) {
    printJson(report);
  } else {
    if (model.config.trained == false)
      std::cerr << "note: " << model.config.modelId << " is an untrained model (random weights)\n";
    if (!o.out.empty()) std::cout << "wrote " << o.out << (capture ? " and " : "");
    if (capture)
      std::cout << (o.out.empty() ? "wrote " : "") << o.atlas << " (" << result.atlas.entries.size()
                << " step/layer maps)";
    if (!o.out.empty() || capture) std::cout << "\n";
    std::cout << "timings: total " << formatSeconds(result.timings.total) << ", attention "
              << formatSeconds(result.timings.attention) << ", everything else "
              << formatSeconds(result.timings.rest()) << std::endl;
    std::cout << "on " << result.device << " in " << result.dtype
              << (result.denseKernel.empty() ? "" : ", dense attention kernel " + result.denseKernel) << "\n";
    printStageTable(std::cout, result.timings);
  }
  return 0;
}

}  // namespace

Runner addGenerateCommand(CLI::App& app, const char* argv0, bool capture) {
  auto o = std::make_shared<GenerateOptions>();
  CLI::App* sub = capture
                      ? app.add_subcommand("capture", "Generate a video and capture its attention into an atlas")
                      : app.add_subcommand("generate", "Generate a video (dense, or sparse with --mask)");
  sub->add_option("--model", o->model,
                  "Model folder, its config.json or weights file (default: $ATTNSCOPE_MODEL or the built-in model)");
  sub->add_option("--prompt", o->prompt, "Text prompt")->required();
  sub->add_option("--negative", o->negative, "Negative prompt for classifier-free guidance (default: the model's; empty for the built-in model)");
  sub->add_option("--frames", o->frames, "Frames (default: the model's)");
  sub->add_option("--height", o->height, "Height in pixels (default: the model's)");
  sub->add_option("--width", o->width, "Width in pixels (default: the model's)");
  sub->add_option("--steps", o->stepCount, "Denoising steps (default: the model's)");
  sub->add_option("--seed", o->seed, "Random seed (default 0)");
  sub->add_option("--guidance", o->guidance, "Classifier-free guidance scale (default: the model's)");
  sub->add_option("--shift", o->shift, "Flow-matching timestep shift (default: the model's)");
  sub->add_option("--sampler", o->sampler, "Sampler: euler or unipc (default: the model's; Wan 2.1 uses unipc)");
  sub->add_flag("--unload-text-encoder", o->unloadTextEncoder,
                "Real models: free the text encoder's memory once the prompts are encoded");
  sub->add_option("--mask", o->mask, "MaskPlan JSON to apply (sparse attention after its warm-up steps)");
#ifdef ATTNSCOPE_HAVE_VIDEO
  sub->add_option("--out", o->out, "Output MP4 (default: no video file)");
#else
  sub->add_option("--out", o->out, "Output MP4 (this build has no FFmpeg: leave it out)");
#endif
  addPlacementOptions(sub, o->placement);
  sub->add_option("--threads", o->threads, "CPU threads (default: all cores)");
  sub->add_flag("--allow-unknown-words", o->allowUnknown, "Drop words the model does not know instead of failing");
  sub->add_option("--history", o->history, "Run history database (default: attnscope-runs.sqlite next to --out)");
  sub->add_flag("--no-history", o->noHistory, "Do not record the run in the history database");
  sub->add_flag("--json", o->json, "Print the final report as one JSON object");
  if (capture) {
    sub->add_option("--capture-steps", o->steps, "Steps to capture: all, last, mid (default), or e.g. 0,10,15-19");
    sub->add_option("--block", o->block, "Block size in tokens (default 64)");
    sub->add_option("--layout", o->layout, "Block layout: linear (default) or tiled");
    sub->add_option("--tile", o->tile, "Tile FxHxW for --layout tiled (default: most cube-like tile of --block)");
    sub->add_option("--export-atlas", o->atlas, "Output atlas (.safetensors)")->required();
  }
  return [o, argv0, capture] { return run(*o, argv0, capture); };
}

}  // namespace attnscope::cli
