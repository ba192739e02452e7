// `evaluate`: prompt following of a model on held-out procedural scenes
// (colour and direction accuracy of the main shape, temporal coherence), with
// the same analysis of the ground-truth renders as a control.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "app/cli/CliSupport.h"
#include "app/cli/Commands.h"
#include "engine/core/Error.h"
#include "engine/evaluation/PromptFollowing.h"
#include "engine/evaluation/VideoStrip.h"
#include "engine/io/ImageFile.h"
#include "engine/model/ComputePlacement.h"

namespace attnscope::cli {

namespace {

std::atomic<bool> gInterrupted{false};
extern "C" void onEvaluateInterrupt(int) { gInterrupted = true; }

struct EvaluateOptions {
  std::string model, strip, csv, sampler;
  PlacementOptions placement;
  int samples = 50, steps = 0, stripRows = 4, threads = 0;
  uint64_t seedOffset = 0;
  double guidance = -1, guidanceMaxSigma = -1, shift = -1;
  bool json = false, stripTruth = false;
};

// NaN is not JSON: report it as null.
nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

// {"still": 7, "down": 1, "none": 2}: the directions found, zero counts left out.
nlohmann::json foundDirectionsJson(const AccuracySummary& s) {
  nlohmann::json found = nlohmann::json::object();
  for (int m = 0; m < kMotionCount; ++m)
    if (s.directionsFound[m] > 0) found[motionName(static_cast<Motion>(m))] = s.directionsFound[m];
  if (s.directionNoShape > 0) found["none"] = s.directionNoShape;
  return found;
}

std::string foundDirectionsText(const AccuracySummary& s) {
  std::string text;
  const nlohmann::json found = foundDirectionsJson(s);  // items() does not keep a temporary alive
  for (const auto& [name, count] : found.items())
    text += (text.empty() ? "" : ", ") + name + " " + std::to_string(count.get<int>());
  return text.empty() ? "-" : text;
}

nlohmann::json summaryJson(const AccuracySummary& s) {
  return {{"samples", s.samples},
          {"found_directions", foundDirectionsJson(s)},
          {"colour_right", s.colourRight},
          {"colour_accuracy", number(s.colourAccuracy)},
          {"direction_samples", s.directionSamples},
          {"direction_right", s.directionRight},
          {"direction_accuracy", number(s.directionAccuracy)},
          {"tracked_samples", s.trackedSamples},
          {"mean_jump_px", number(s.meanJump)}};
}

std::string colourName(int colour) { return colour < 0 ? "none" : shapePalette().at(colour).name; }

void writeCsv(const std::string& path, const PromptFollowingReport& r) {
  std::ofstream csv(path);
  if (!csv) throw Error("cannot write " + path);
  csv << "sample,scene_seed,caption,colour,found_colour,colour_ok,motion,found_direction,direction_scored,"
         "direction_ok,truth_found_colour,truth_found_direction,jump_px,truth_jump_px,true_jump_px,track_error_px,"
         "seconds\n";
  auto num = [](double v) { return std::isfinite(v) ? std::to_string(v) : std::string(); };
  for (size_t i = 0; i < r.rows.size(); ++i) {
    const auto& s = r.rows[i];
    csv << i << "," << s.sceneSeed << ",\"" << s.caption << "\"," << colourName(s.colour) << ","
        << colourName(s.generated.colour) << "," << s.colourRight() << "," << motionName(s.motion) << ","
        << motionName(s.generated.direction) << "," << s.directionScored << "," << s.directionRight() << ","
        << colourName(s.groundTruth.colour) << "," << motionName(s.groundTruth.direction) << ","
        << num(s.generatedJump) << "," << num(s.groundTruthJump) << "," << num(s.trueJump) << ","
        << num(s.trackError) << "," << s.seconds << "\n";
  }
  if (!csv.flush()) throw Error("cannot write " + path);
}

int run(const EvaluateOptions& o, const char* argv0) {
  if (o.samples < 1) throw Error("--samples must be at least 1, got " + std::to_string(o.samples));
  if (o.stripRows < 1) throw Error("--strip-rows must be at least 1, got " + std::to_string(o.stripRows));
  setThreads(o.threads);
  const ComputePlacement placement = parseComputePlacement(o.placement.device, o.placement.dtype);
  prepareOutput(o.strip);
  prepareOutput(o.csv);
  Model model = Model::load(resolveModelPath(o.model, argv0), placement);
  const std::string device = placement.device.str(), dtype = dtypeName(placement.dtype);

  PromptFollowingOptions options;
  options.samples = o.samples;
  options.seedOffset = o.seedOffset;
  options.steps = o.steps;
  options.guidance = o.guidance;
  options.shift = o.shift;
  options.sampler = o.sampler;
  options.guidanceMaxSigma = o.guidanceMaxSigma;
  options.keepVideos = o.strip.empty() ? 0 : std::min(o.stripRows, o.samples);
  ProgressBar bar("evaluate", !o.json);
  options.progress = [&](int done, int total) { bar.update(done, total); };
  gInterrupted = false;
  std::signal(SIGINT, onEvaluateInterrupt);
  options.cancel = &gInterrupted;
  PromptFollowingReport r = evaluatePromptFollowing(model, options);
  bar.finish();
  std::signal(SIGINT, SIG_DFL);

  if (!o.strip.empty()) {
    std::vector<const VideoFrames*> rows;
    for (size_t i = 0; i < r.videos.size(); ++i) {
      rows.push_back(&r.videos[i]);
      if (o.stripTruth) rows.push_back(&r.truthVideos[i]);
    }
    writePng(o.strip, videoStrip(rows));
  }
  if (!o.csv.empty()) writeCsv(o.csv, r);

  nlohmann::json samples = nlohmann::json::array();
  for (const auto& s : r.rows)
    samples.push_back({{"scene_seed", s.sceneSeed},
                       {"caption", s.caption},
                       {"colour", colourName(s.colour)},
                       {"found_colour", colourName(s.generated.colour)},
                       {"colour_ok", s.colourRight()},
                       {"motion", motionName(s.motion)},
                       {"found_direction", motionName(s.generated.direction)},
                       {"direction_scored", s.directionScored},
                       {"direction_ok", s.directionRight()},
                       {"truth_found_colour", colourName(s.groundTruth.colour)},
                       {"truth_found_direction", motionName(s.groundTruth.direction)},
                       {"jump_px", number(s.generatedJump)},
                       {"truth_jump_px", number(s.groundTruthJump)},
                       {"true_jump_px", number(s.trueJump)},
                       {"track_error_px", number(s.trackError)},
                       {"seconds", s.seconds}});
  nlohmann::json report = {
      {"command", "evaluate"},
      {"model", r.modelId},
      {"model_trained", r.modelTrained},
      {"samples", r.rows.size()},
      {"seed_base", kHeldOutSeedBase + o.seedOffset},
      {"frames", r.size.frames},
      {"height", r.size.height},
      {"width", r.size.width},
      {"steps", r.steps},
      {"guidance", r.guidance},
      {"shift", r.shift},
      {"sampler", r.sampler},
      {"guidance_max_sigma", r.guidanceMaxSigma},
      {"device", device},
      {"dtype", dtype},
      {"generated", summaryJson(r.generated)},
      {"ground_truth", summaryJson(r.groundTruth)},
      {"true_mean_jump_px", number(r.trueMeanJump)},
      {"mean_track_error_px", number(r.meanTrackError)},
      {"rows", samples},
      {"strip", o.strip.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.strip)},
      {"csv", o.csv.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.csv)},
      {"seconds", r.seconds}};

  if (o.json) {
    printJson(report);
    return 0;
  }
  if (!r.modelTrained) std::cerr << "note: " << r.modelId << " is an untrained model (random weights)\n";
  auto pct = [](double v) { return std::isfinite(v) ? std::to_string(int(std::lround(v * 100))) + "%" : "n/a"; };
  auto px = [](double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.2f px", v);
    return std::isfinite(v) ? std::string(b) : std::string("n/a");
  };
  int captionWidth = 7;
  for (const auto& s : r.rows) captionWidth = std::max(captionWidth, static_cast<int>(s.caption.size()));
  std::printf("%-4s %-*s %-7s %-7s %-10s %-10s %8s\n", "#", captionWidth, "caption", "colour", "found", "motion",
              "found", "jump");
  for (size_t i = 0; i < r.rows.size(); ++i) {
    const auto& s = r.rows[i];
    std::printf("%-4zu %-*s %-7s %-7s %-10s %-10s %8s\n", i, captionWidth, s.caption.c_str(), colourName(s.colour).c_str(),
                colourName(s.generated.colour).c_str(), motionName(s.motion).c_str(),
                s.directionScored ? motionName(s.generated.direction).c_str() : "-", px(s.generatedJump).c_str());
  }
  std::printf("\nmodel %s on %s in %s, %zu held-out scenes, %lldx%lldx%lld, %d %s steps, guidance %.1f (sigma <= %.2f), "
              "shift %.1f, %.1f s\n",
              r.modelId.c_str(), device.c_str(), dtype.c_str(), r.rows.size(), (long long)r.size.frames,
              (long long)r.size.height, (long long)r.size.width, r.steps, r.sampler.c_str(), r.guidance,
              r.guidanceMaxSigma, r.shift, r.seconds);
  std::printf("%-14s %18s %30s %16s\n", "", "colour accuracy", "direction accuracy (scored)", "mean jump");
  std::printf("%-14s %11s %2d/%-3d %21s %3d/%-3d %16s\n", "generated", pct(r.generated.colourAccuracy).c_str(),
              r.generated.colourRight, r.generated.samples, pct(r.generated.directionAccuracy).c_str(),
              r.generated.directionRight, r.generated.directionSamples, px(r.generated.meanJump).c_str());
  std::printf("%-14s %11s %2d/%-3d %21s %3d/%-3d %16s\n", "ground truth", pct(r.groundTruth.colourAccuracy).c_str(),
              r.groundTruth.colourRight, r.groundTruth.samples, pct(r.groundTruth.directionAccuracy).c_str(),
              r.groundTruth.directionRight, r.groundTruth.directionSamples, px(r.groundTruth.meanJump).c_str());
  std::printf("directions found in the %d scored scenes: generated %s; ground truth %s\n",
              r.generated.directionSamples, foundDirectionsText(r.generated).c_str(),
              foundDirectionsText(r.groundTruth).c_str());
  std::printf("true centres: mean jump %s; generated track vs true centres: %s\n", px(r.trueMeanJump).c_str(),
              px(r.meanTrackError).c_str());
  if (!o.strip.empty()) std::printf("wrote %s\n", o.strip.c_str());
  if (!o.csv.empty()) std::printf("wrote %s\n", o.csv.c_str());
  return 0;
}

}  // namespace

Runner addEvaluateCommand(CLI::App& app, const char* argv0) {
  auto o = std::make_shared<EvaluateOptions>();
  CLI::App* sub = app.add_subcommand(
      "evaluate", "Prompt following on held-out procedural scenes: colour / direction accuracy, temporal coherence");
  sub->add_option("--model", o->model,
                  "Model folder, its config.json or weights file (default: $ATTNSCOPE_MODEL or the built-in model)");
  sub->add_option("--samples", o->samples, "Held-out scenes to generate (default 50)");
  sub->add_option("--steps", o->steps, "Denoising steps (default: the model's)");
  sub->add_option("--seed-offset", o->seedOffset, "First held-out scene: seed base + this (default 0)");
  sub->add_option("--guidance", o->guidance, "Classifier-free guidance scale (default: the model's)");
  sub->add_option("--shift", o->shift, "Flow-matching timestep shift (default: the model's)");
  sub->add_option("--sampler", o->sampler, "euler or unipc (default: the model's)");
  sub->add_option("--guidance-max-sigma", o->guidanceMaxSigma,
                  "Guidance only at steps with sigma <= this; 1 = every step (default: the model's)");
  sub->add_option("--strip", o->strip, "Write a PNG of the first generated clips (rows = samples, columns = frames)");
  sub->add_option("--strip-rows", o->stripRows, "Clips in the --strip picture (default 4)");
  sub->add_flag("--strip-truth", o->stripTruth, "Show each clip's ground-truth render under it in the --strip");
  sub->add_option("--csv", o->csv, "Also write the per-sample rows as CSV");
  addPlacementOptions(sub, o->placement);
  sub->add_option("--threads", o->threads, "CPU threads (default: all cores)");
  sub->add_flag("--json", o->json, "Print the report as one JSON object");
  return [o, argv0] { return run(*o, argv0); };
}

}  // namespace attnscope::cli
