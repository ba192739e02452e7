// `sweep`: quality vs density for one or more strategies. Parses options,
// runs the engine's sweep job with a progress line per generation and Ctrl-C
// to cancel, prints the table, and draws sweep.png where Qt Charts is built.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

#include "app/cli/CliSupport.h"
#include "app/cli/Commands.h"
#include "app/cli/StepList.h"
#include "app/cli/SweepPlot.h"
#include "engine/core/Error.h"
#include "engine/model/ModelConfig.h"
#include "engine/sweep/SweepJob.h"

namespace attnscope::cli {

namespace {

std::atomic<bool> gInterrupted{false};
extern "C" void onSweepInterrupt(int) { gInterrupted = true; }

struct SweepOptions {
  std::string model, prompt, negative, strategies, densities, out, steps = "all", layout = "linear", tile, history;
  std::vector<std::string> params;
  PlacementOptions placement;
  int64_t frames = 0, height = 0, width = 0, block = 64;
  int stepCount = 0, threads = 0, warmup = 0;
  double guidance = -1, shift = -1;
  uint64_t seed = 0;
  bool json = false, allowUnknown = false, noHistory = false;
};

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

// "strategy:name=value" -> params[strategy][name] = value.
void parseParam(const std::string& text, std::map<std::string, StrategyParams>& params) {
  const size_t colon = text.find(':'), equals = text.find('=');
  if (colon == std::string::npos || equals == std::string::npos || equals < colon)
    throw Error("--param '" + text + "' is not STRATEGY:NAME=VALUE");
  const std::string value = text.substr(equals + 1);
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != value.size()) throw Error("--param '" + text + "': '" + value + "' is not a number");
  params[text.substr(0, colon)][text.substr(colon + 1, equals - colon - 1)] = v;
}

// config.json of a model given as its folder, its config or its weights.
std::string modelConfigPath(const std::string& model) {
  namespace fs = std::filesystem;
  if (fs::is_directory(model)) return (fs::path(model) / "config.json").string();
  if (fs::path(model).extension() == ".safetensors") return (fs::path(model).parent_path() / "config.json").string();
  return model;
}

int run(const SweepOptions& o, const char* argv0) {
  setThreads(o.threads);
  SweepRequest r;
  r.modelPath = resolveModelPath(o.model, argv0);
  r.device = o.placement.device;
  r.dtype = o.placement.dtype;
  r.prompt = o.prompt;
  r.negativePrompt = o.negative;
  r.seed = o.seed;
  r.steps = o.stepCount;
  r.frames = o.frames;
  r.height = o.height;
  r.width = o.width;
  r.guidance = o.guidance;
  r.shift = o.shift;
  r.allowUnknownWords = o.allowUnknown;
  r.strategies = splitList(o.strategies);
  r.densities = parseDensities(o.densities);
  for (const std::string& p : o.params) parseParam(p, r.params);
  if (o.layout == "tiled") {
    if (o.tile.empty()) {
      r.tiledBlock = o.block;
    } else {
      TokenGrid t = TokenGrid::parse(o.tile);
      r.layout = BlockLayout::tiled(t.frames, t.height, t.width);
    }
  } else if (o.layout == "linear") {
    r.layout = BlockLayout::linear(o.block);
  } else {
    throw Error("--layout must be 'linear' or 'tiled', got '" + o.layout + "'");
  }
  r.denseWarmupSteps = o.warmup;
  r.outDir = o.out;
  r.recordHistory = !o.noHistory;
  r.historyPath = o.history;
  validateSweep(r);  // before loading anything; refuses a device this build or machine lacks
  if (o.steps != "all") {  // step lists count from the run's steps: the model's default unless --steps
    const int totalSteps = o.stepCount > 0 ? o.stepCount : ModelConfig::load(modelConfigPath(r.modelPath)).defaults.steps;
    r.captureSteps = parseStepList(o.steps, totalSteps);
  }

  std::unique_ptr<ProgressBar> bar;
  int shownRun = 0;
  auto progress = [&](const SweepProgress& p) {
    if (o.json) return;
    if (p.run != shownRun) {
      if (bar) bar->finish();
      char label[128];
      std::snprintf(label, sizeof label, "run %d/%d %-22s", p.run, p.runs, p.stage.c_str());
      bar = std::make_unique<ProgressBar>(label);
      shownRun = p.run;
    }
    bar->update(p.step, p.steps);
  };
  gInterrupted = false;
  std::signal(SIGINT, onSweepInterrupt);
  SweepResult result = runSweep(r, progress, &gInterrupted);
  if (bar) bar->finish();
  std::signal(SIGINT, SIG_DFL);

  const std::string png = (std::filesystem::path(o.out) / "sweep.png").string();
  const std::string plotProblem = writeSweepPlot(result, png);
  nlohmann::json report = toJson(result);
  report["plot"] = plotProblem.empty() ? nlohmann::json(png) : nlohmann::json(nullptr);
  if (!plotProblem.empty()) report["plot_note"] = plotProblem;
  report["history"] = o.noHistory ? nlohmann::json(nullptr)
                                   : nlohmann::json(o.history.empty()
                                                        ? (std::filesystem::path(o.out) / "attnscope-runs.sqlite").string()
                                                        : o.history);
  if (o.json) {
    printJson(report);
    return 0;
  }
  if (!result.modelTrained) std::cerr << "note: " << result.modelId << " is an untrained model (random weights)\n";
  std::printf("%-18s %7s %7s %6s %8s %7s %8s %s\n", "strategy", "target", "density", "kept", "PSNR dB", "SSIM",
              "attn/den", "pareto");
  for (const SweepPoint& p : result.points)
    std::printf("%-18s %7.3f %7.3f %6.3f %8.2f %7.4f %8.3f %s%s\n", p.strategy.c_str(), p.targetDensity, p.density,
                p.keptMass, p.psnr, p.ssim, p.attentionRatio, p.paretoDensity ? "density " : "",
                p.paretoLatency ? "latency" : "");
  std::cout << "dense attention " << formatSeconds(result.denseAttentionSeconds) << " of "
            << formatSeconds(result.denseTotalSeconds) << "; sweep took " << formatSeconds(result.wallSeconds) << " on "
            << result.device << " in " << result.dtype << "\n";
  std::cout << "wrote " << result.csv << ", " << result.json;
  if (plotProblem.empty()) std::cout << ", " << png;
  std::cout << " (videos and plans in " << o.out << ")\n";
  if (!plotProblem.empty()) std::cout << "note: no sweep.png: " << plotProblem << "\n";
  return 0;
}

}  // namespace

Runner addSweepCommand(CLI::App& app, const char* argv0) {
  auto o = std::make_shared<SweepOptions>();
  std::string help =
      "Quality vs density: capture once, then for each strategy and density derive a plan, re-render and compare "
      "with dense (PSNR/SSIM, attention time). Writes DIR/sweep.csv, sweep.json, sweep.png (GUI builds), the "
      "videos and the plans.\nStrategies:";
  for (const auto& s : allStrategies()) help += "\n  " + s.name + " (knob: " + s.densityKnob + ")";
  CLI::App* sub = app.add_subcommand("sweep", help);
  sub->add_option("--model", o->model, "Model folder (default: $ATTNSCOPE_MODEL or the built-in model)");
  sub->add_option("--prompt", o->prompt, "Text prompt")->required();
  sub->add_option("--negative", o->negative, "Negative prompt (default: empty)");
  sub->add_option("--seed", o->seed, "Random seed (default 0)");
  sub->add_option("--steps", o->stepCount, "Denoising steps (default: the model's)");
  sub->add_option("--frames", o->frames, "Frames (default: the model's)");
  sub->add_option("--height", o->height, "Height in pixels (default: the model's)");
  sub->add_option("--width", o->width, "Width in pixels (default: the model's)");
  sub->add_option("--guidance", o->guidance, "Classifier-free guidance scale (default: the model's)");
  sub->add_option("--shift", o->shift, "Flow-matching timestep shift (default: the model's)");
  sub->add_option("--strategy", o->strategies, "Strategies, comma-separated (see `strategies`)")->required();
  sub->add_option("--densities", o->densities, "Target densities in (0, 1], comma-separated, e.g. 0.05,0.1,0.2,0.3")
      ->required();
  sub->add_option("--param", o->params, "A strategy parameter besides the knob: STRATEGY:NAME=VALUE (repeatable)");
  sub->add_option("--capture-steps", o->steps, "Steps whose attention the plans are derived from: all (default), "
                                               "last, mid, or e.g. 0,10,15-19");
  sub->add_option("--block", o->block, "Block size in tokens (default 64)");
  sub->add_option("--layout", o->layout, "Block layout: linear (default) or tiled");
  sub->add_option("--tile", o->tile, "Tile FxHxW for --layout tiled (default: most cube-like tile of --block)");
  sub->add_option("--warmup", o->warmup, "Dense warm-up steps before the masks apply (default 0)");
  sub->add_option("--out", o->out, "Output folder")->required();
  addPlacementOptions(sub, o->placement);
  sub->add_option("--threads", o->threads, "CPU threads (default: all cores)");
  sub->add_flag("--allow-unknown-words", o->allowUnknown, "Drop words the model does not know instead of failing");
  sub->add_option("--history", o->history, "Run history database (default: DIR/attnscope-runs.sqlite)");
  sub->add_flag("--no-history", o->noHistory, "Do not record the runs in the history database");
  sub->add_flag("--json", o->json, "Print the final report as one JSON object");
  return [o, argv0] { return run(*o, argv0); };
}

}  // namespace attnscope::cli
