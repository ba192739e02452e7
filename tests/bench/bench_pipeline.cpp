// End-to-end benchmark on the default model (2 CPU cores is the target
// machine): one dense generation at the default size, then in the same run a
// generation capturing every step, and sparse generations with threshold
// masks derived at 25% and 10% density. Attention time is what AttentionOp
// measured; ratios are against the dense run of this same process.
#include <cstdio>
#include <string>
#include <thread>

#include <ATen/Parallel.h>

#include "engine/metrics/VideoMetrics.h"
#include "engine/pipeline/Pipeline.h"
#include "engine/strategies/Strategy.h"

using namespace attnscope;

int main(int argc, char** argv) {
  std::string modelPath = argc > 1 ? argv[1] : std::string(ATTNSCOPE_BINARY_DIR) + "/assets/default";
  at::set_num_threads(static_cast<int>(std::thread::hardware_concurrency()));
  Model model = Model::load(modelPath);
  GenerationRequest req;
  req.prompt = "a red circle moves left on a dark background";
  req.seed = 1;

  generate(model, [&] { auto r = req; r.steps = 2; return r; }());  // warm-up: allocator, thread pool
  GenerationResult dense = generate(model, req);
  const int steps = dense.request.steps;

  RunOptions captureAll;
  for (int s = 0; s < steps; ++s) captureAll.captureSteps.insert(s);
  captureAll.captureLayout = BlockLayout::tiledFor(dense.grid, 64);
  GenerationResult captured = generate(model, req, captureAll);

  struct Row {
    std::string name;
    double total, attention, psnr;
  };
  std::vector<Row> rows;
  rows.push_back({"dense", dense.timings.total, dense.timings.attention, kPsnrCap});
  rows.push_back({"capture (every step)", captured.timings.total, captured.timings.attention,
                  compareVideos(dense.video, captured.video).meanPsnr});
  for (double target : {0.25, 0.10}) {
    DeriveRequest d;
    d.strategy = "threshold";
    d.targetDensity = target;
    DeriveResult plan = derivePlan(captured.atlas, d);
    RunOptions sparse;
    sparse.mask = &plan.plan;
    GenerationResult r = generate(model, req, sparse);
    char name[64];
    std::snprintf(name, sizeof name, "sparse threshold %.0f%% (got %.1f%%)", target * 100, plan.density * 100);
    rows.push_back({name, r.timings.total, r.timings.attention, compareVideos(dense.video, r.video).meanPsnr});
  }

  std::printf("default model %s, grid %s (%lld tokens), %d steps, %d threads\n", model.config.modelId.c_str(),
              dense.grid.str().c_str(), static_cast<long long>(dense.grid.videoTokens()), steps, at::get_num_threads());
  std::printf("%-34s %9s %12s %14s %10s\n", "run", "total s", "attention s", "attn / dense", "PSNR dB");
  for (const auto& r : rows)
    std::printf("%-34s %9.2f %12.3f %14.3f %10.2f\n", r.name.c_str(), r.total, r.attention,
                r.attention / rows[0].attention, r.psnr);
  std::printf("headline: generation %.1f s (bar 30 s); sparse25/dense attention %.2f (bar 0.5); sparse10/dense %.2f "
              "(bar 0.25); capture/dense per step %.2f (bar 3)\n",
              rows[0].total, rows[2].attention / rows[0].attention, rows[3].attention / rows[0].attention,
              rows[1].attention / rows[0].attention);
  return 0;
}
