// runSweep: capture + dense + one sparse re-render per (strategy, density).
#include "engine/sweep/SweepJob.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "engine/analytics/ParetoFront.h"
#include "engine/core/Error.h"
#include "engine/io/Video.h"
#include "engine/metrics/VideoMetrics.h"
#include "engine/pipeline/Pipeline.h"
#include "engine/pipeline/RunHistory.h"

namespace attnscope {

namespace fs = std::filesystem;

namespace {

std::string densityTag(double d) {
  char text[32];
  std::snprintf(text, sizeof text, "d%g", d);
  return text;
}

struct Runner {
  const Model& model;
  const GenerationRequest& request;
  const std::function<void(const SweepProgress&)>& progress;
  const std::atomic<bool>* cancel;
  int runs = 0, run = 0;

  GenerationResult operator()(const std::string& stage, RunOptions options) {
    ++run;
    options.cancel = cancel;
    const int current = run;
    options.progress = [&, current, stage](int done, int total) {
      if (progress) progress({stage, current, runs, done, total});
    };
    if (progress) progress({stage, current, runs, 0, request.steps});
    return generate(model, request, options);
  }
};

}  // namespace

SweepResult runSweep(const SweepRequest& req, const std::function<void(const SweepProgress&)>& progress,
                     const std::atomic<bool>* cancel) {
  const auto start = std::chrono::steady_clock::now();
  validateSweep(req);
  const ComputePlacement placement = parseComputePlacement(req.device, req.dtype);
  std::error_code ec;
  fs::create_directories(req.outDir, ec);
  if (!fs::is_directory(req.outDir)) throw Error("sweep: cannot create the output folder " + req.outDir);
  auto file = [&](const std::string& name) { return (fs::path(req.outDir) / name).string(); };

  Model model = Model::load(req.modelPath, placement);
  GenerationRequest g;
  g.prompt = req.prompt;
  g.negativePrompt = req.negativePrompt;
  g.seed = req.seed;
  g.steps = req.steps;
  g.frames = req.frames;
  g.height = req.height;
  g.width = req.width;
  g.guidance = req.guidance;
  g.shift = req.shift;
  g.allowUnknownWords = req.allowUnknownWords;
  g = resolveRequest(model, g);
  const TokenGrid grid = tokenGridFor(model, g);
  const BlockLayout layout = req.tiledBlock > 0 ? BlockLayout::tiledFor(grid, req.tiledBlock) : req.layout;
  layout.validate(grid);
  std::set<int> captureSteps = req.captureSteps;
  if (captureSteps.empty())
    for (int s = 0; s < g.steps; ++s) captureSteps.insert(s);
  if (req.denseWarmupSteps >= g.steps)
    throw Error("sweep: " + std::to_string(req.denseWarmupSteps) + " dense warm-up steps leave none of the " +
                std::to_string(g.steps) + " steps sparse");

  SweepResult result;
  result.modelId = model.config.modelId;
  result.modelTrained = model.config.trained;
  result.device = placement.device.str();
  result.dtype = dtypeName(placement.dtype);
  result.prompt = g.prompt;
  result.seed = g.seed;
  result.steps = g.steps;
  result.grid = grid.str();
  result.layout = layout.str();
  result.captureSteps.assign(captureSteps.begin(), captureSteps.end());
  result.denseWarmupSteps = req.denseWarmupSteps;
  result.denseVideo = file("dense.mp4");
  result.atlas = file("atlas.safetensors");

  std::unique_ptr<RunHistory> history;
  if (req.recordHistory) history = std::make_unique<RunHistory>(req.historyPath.empty() ? file("attnscope-runs.sqlite") : req.historyPath);
  auto record = [&](const std::string& command, const GenerationResult& run, const std::string& video,
                    const std::string& atlas, const std::string& plan, double density, const nlohmann::json& settings) {
    if (!history) return;
    RunRecord r;
    r.command = command;
    r.modelId = model.config.modelId;
    r.prompt = g.prompt;
    r.seed = g.seed;
    r.steps = g.steps;
    r.grid = grid.str();
    r.maskPath = plan;
    r.maskDensity = density;
    r.videoPath = video;
    r.atlasPath = atlas;
    r.totalSeconds = run.timings.total;
    r.attentionSeconds = run.timings.attention;
    r.settingsJson = settings.dump();
    history->add(r);
  };

  Runner generateRun{model, g, progress, cancel};
  generateRun.runs = 2 + int(req.strategies.size() * req.densities.size());

  // 1. Capture (its frames are the dense frames, bit for bit).
  RunOptions captureOptions;
  captureOptions.captureSteps = captureSteps;
  captureOptions.captureLayout = layout;
  GenerationResult captured = generateRun("capture", captureOptions);
  captured.atlas.save(result.atlas);
  result.captureTotalSeconds = captured.timings.total;
  record("sweep-capture", captured, "", result.atlas, "", 1.0, {{"sweep", req.outDir}});
  AttentionAtlas atlas = std::move(captured.atlas);

  // 2. Dense: the reference video and the attention-time baseline.
  GenerationResult dense = generateRun("dense", RunOptions{});
  writeMp4(result.denseVideo, dense.video);
  result.denseAttentionSeconds = dense.timings.attention;
  result.denseTotalSeconds = dense.timings.total;
  record("sweep-dense", dense, result.denseVideo, "", "", 1.0, {{"sweep", req.outDir}});

  // 3. One sparse run per (strategy, density).
  for (const std::string& strategy : req.strategies)
    for (double target : req.densities) {
      DeriveRequest derive;
      derive.strategy = strategy;
      auto given = req.params.find(strategy);
      if (given != req.params.end()) derive.params = given->second;
      derive.targetDensity = target;
      derive.denseWarmupSteps = req.denseWarmupSteps;
      derive.source = result.atlas;
      DeriveResult derived = derivePlan(atlas, derive);
      SweepPoint p;
      p.strategy = strategy;
      p.targetDensity = target;
      p.density = derived.density;
      p.keptMass = derived.keptMass;
      p.params = derived.params;
      const std::string stem = strategy + "-" + densityTag(target);
      p.plan = file(stem + ".json");
      p.video = file(stem + ".mp4");
      derived.plan.save(p.plan);

      char stage[96];
      std::snprintf(stage, sizeof stage, "%s @ %g", strategy.c_str(), target);
      RunOptions options;
      options.mask = &derived.plan;
      GenerationResult sparse = generateRun(stage, options);
      writeMp4(p.video, sparse.video);
      VideoQuality q = compareVideos(dense.video, sparse.video);
      p.psnr = q.meanPsnr;
      p.ssim = q.meanSsim;
      p.attentionSeconds = sparse.timings.attention;
      p.totalSeconds = sparse.timings.total;
      p.attentionRatio = result.denseAttentionSeconds > 0 ? p.attentionSeconds / result.denseAttentionSeconds : 0.0;
      record("sweep-sparse", sparse, p.video, "", p.plan, p.density,
             {{"sweep", req.outDir}, {"strategy", strategy}, {"target_density", target}, {"psnr", p.psnr}, {"ssim", p.ssim}});
      result.points.push_back(std::move(p));
    }

  std::vector<double> density, latency, psnr;
  for (const SweepPoint& p : result.points) {
    density.push_back(p.density);
    latency.push_back(p.attentionRatio);
    psnr.push_back(p.psnr);
  }
  std::vector<bool> byDensity = paretoFront(density, psnr), byLatency = paretoFront(latency, psnr);
  for (size_t i = 0; i < result.points.size(); ++i) {
    result.points[i].paretoDensity = byDensity[i];
    result.points[i].paretoLatency = byLatency[i];
  }

  result.csv = file("sweep.csv");
  result.json = file("sweep.json");
  result.wallSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  writeSweepCsv(result, result.csv);
  std::ofstream json(result.json);
  if (!json) throw Error("cannot write " + result.json);
  json << toJson(result).dump(1) << "\n";
  if (!json.flush()) throw Error("writing " + result.json + " failed");
  return result;
}

}  // namespace attnscope
