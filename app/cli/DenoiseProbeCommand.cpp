// `probe-denoise`: the one-step denoising probe (engine/evaluation/
// DenoisingProbe.h). Tells "the model did not learn the caption" (the
// caption branch's estimate has the wrong colour) from "the sampler is
// wrong" (one-step estimates are right, sampled videos are not).
#include <cstdio>
#include <memory>

#include "app/cli/CliSupport.h"
#include "app/cli/Commands.h"
#include "engine/core/Error.h"
#include "engine/evaluation/DenoisingProbe.h"
#include "engine/model/ComputePlacement.h"

namespace attnscope::cli {

namespace {

struct DenoiseProbeOptions {
  std::string model;
  PlacementOptions placement;
  int samples = 16, threads = 0;
  uint64_t seedOffset = 0;
  std::vector<double> sigmas = {0.3, 0.5, 0.7, 0.9};
  double guidance = 4.0;
  bool json = false;
};

nlohmann::json branchJson(const DenoisingBranch& b, int samples, int directionSamples) {
  return {{"velocity_loss", b.velocityLoss},
          {"estimate_mse", b.estimateError},
          {"detector_colour_right", b.detectorColourRight},
          {"mask_colour_right", b.maskColourRight},
          {"direction_right", b.directionRight},
          {"drift_px", b.drift},
          {"samples", samples},
          {"direction_samples", directionSamples}};
}

int run(const DenoiseProbeOptions& o, const char* argv0) {
  setThreads(o.threads);
  const ComputePlacement placement = parseComputePlacement(o.placement.device, o.placement.dtype);
  Model model = Model::load(resolveModelPath(o.model, argv0), placement);
  const std::string device = placement.device.str(), dtype = dtypeName(placement.dtype);
  DenoisingProbeOptions options;
  options.samples = o.samples;
  options.seedOffset = o.seedOffset;
  options.sigmas = o.sigmas;
  options.guidance = o.guidance;
  DenoisingProbeReport r = probeDenoising(model, options);

  if (o.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& row : r.rows)
      rows.push_back({{"sigma", row.sigma},
                      {"empty_prompt", branchJson(row.uncond, row.samples, row.directionSamples)},
                      {"caption", branchJson(row.cond, row.samples, row.directionSamples)},
                      {"guided", branchJson(row.guided, row.samples, row.directionSamples)}});
    printJson({{"command", "probe-denoise"},
               {"model", r.modelId},
               {"guidance", r.guidance},
               {"device", device},
               {"dtype", dtype},
               {"truth_detector_colour_right", r.truthColourRight},
               {"samples", r.truthSamples},
               {"truth_drift_px", r.truthDrift},
               {"translations", r.truthTranslations},
               {"rows", rows}});
    return 0;
  }
  std::printf("model %s on %s in %s, %d held-out scenes; the detector finds the right colour on %d of the true clips\n",
              r.modelId.c_str(), device.c_str(), dtype.c_str(), r.truthSamples, r.truthColourRight);
  std::printf("the main colour drifts %.1f px along the true direction in the %d translating true clips\n",
              r.truthDrift, r.truthTranslations);
  std::printf("%-6s %-14s %9s %9s %10s %10s %10s %9s\n", "sigma", "branch", "v loss", "x0 mse", "colour(det)",
              "colour(mask)", "direction", "drift px");
  for (const auto& row : r.rows) {
    char guided[32];
    std::snprintf(guided, sizeof guided, "guided %.1f", r.guidance);
    const std::pair<const char*, const DenoisingBranch*> branches[] = {
        {"empty prompt", &row.uncond}, {"caption", &row.cond}, {guided, &row.guided}};
    for (const auto& [name, b] : branches)
      std::printf("%-6.2f %-14s %9.4f %9.4f %8d/%-2d %9d/%-2d %7d/%-2d %9.1f\n", row.sigma, name,
                  b->velocityLoss, b->estimateError, b->detectorColourRight, row.samples, b->maskColourRight,
                  row.samples, b->directionRight, row.directionSamples, b->drift);
  }
  return 0;
}

}  // namespace

Runner addDenoiseProbeCommand(CLI::App& app, const char* argv0) {
  auto o = std::make_shared<DenoiseProbeOptions>();
  CLI::App* sub = app.add_subcommand(
      "probe-denoise",
      "One-step denoising of noised held-out clips: does the model use the caption (colour, direction)?");
  sub->add_option("--model", o->model, "Model folder (default: $ATTNSCOPE_MODEL or the built-in model)");
  sub->add_option("--samples", o->samples, "Held-out scenes (default 16)");
  sub->add_option("--seed-offset", o->seedOffset, "First held-out scene: seed base + this (default 0)");
  sub->add_option("--sigmas", o->sigmas, "Noise levels in (0, 1] (default 0.3 0.5 0.7 0.9)")->delimiter(',');
  sub->add_option("--guidance", o->guidance, "Guidance scale of the guided branch (default 4)");
  addPlacementOptions(sub, o->placement);
  sub->add_option("--threads", o->threads, "CPU threads (default: all cores)");
  sub->add_flag("--json", o->json, "Print the report as one JSON object");
  return [o, argv0] { return run(*o, argv0); };
}

}  // namespace attnscope::cli
