#include "engine/evaluation/PromptFollowing.h"

#include <chrono>
#include <cmath>
#include <limits>

#include "engine/core/Error.h"
#include "engine/evaluation/TrackMetrics.h"
#include "engine/pipeline/Pipeline.h"

namespace attnscope {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

AccuracySummary summarise(const std::vector<PromptFollowingSample>& rows, bool generated) {
  AccuracySummary s;
  double jumps = 0;
  for (const auto& r : rows) {
    const MainShapeEstimate& e = generated ? r.generated : r.groundTruth;
    ++s.samples;
    s.colourRight += e.colour == r.colour;
    if (r.directionScored) {
      ++s.directionSamples;
      s.directionRight += e.colour >= 0 && e.direction == r.motion;
      if (e.colour < 0)
        ++s.directionNoShape;
      else
        ++s.directionsFound.at(static_cast<size_t>(e.direction));
    }
    const double jump = generated ? r.generatedJump : r.groundTruthJump;
    if (std::isfinite(jump)) jumps += jump, ++s.trackedSamples;
  }
  s.colourAccuracy = s.samples ? double(s.colourRight) / s.samples : kNaN;
  s.directionAccuracy = s.directionSamples ? double(s.directionRight) / s.directionSamples : kNaN;
  s.meanJump = s.trackedSamples ? jumps / s.trackedSamples : kNaN;
  return s;
}

Track mainTrack(const std::vector<std::vector<std::array<double, 2>>>& centres) {
  Track t;
  for (const auto& frame : centres) t.push_back(frame[0]);
  return t;
}

}  // namespace

PromptFollowingReport evaluatePromptFollowing(const Model& model, const PromptFollowingOptions& options) {
  if (options.samples < 1) throw Error("evaluation needs at least 1 sample, got " + std::to_string(options.samples));
  if (options.keepVideos < 0)
    throw Error("evaluation keepVideos must not be negative, got " + std::to_string(options.keepVideos));
  const auto start = std::chrono::steady_clock::now();

  GenerationRequest base;
  base.prompt = "a red circle";  // only to resolve defaults; every sample sets its caption
  base.steps = options.steps;
  base.guidance = options.guidance;
  base.shift = options.shift;
  base.sampler = options.sampler;
  base.guidanceMaxSigma = options.guidanceMaxSigma;
  const GenerationRequest resolved = resolveRequest(model, base);

  PromptFollowingReport report;
  report.modelId = model.config.modelId;
  report.modelTrained = model.config.trained;
  report.size = {resolved.frames, resolved.height, resolved.width};
  report.steps = resolved.steps;
  report.guidance = resolved.guidance;
  report.shift = resolved.shift;
  report.sampler = resolved.sampler;
  report.guidanceMaxSigma = resolved.guidanceMaxSigma;

  const int total = options.samples * resolved.steps;
  double trueJumps = 0, trackErrors = 0;
  int trackErrorSamples = 0;
  for (int i = 0; i < options.samples; ++i) {
    if (options.cancel && options.cancel->load()) throw Cancelled();
    PromptFollowingSample row;
    row.sceneSeed = kHeldOutSeedBase + options.seedOffset + uint64_t(i);
    const SceneSpec scene = sampleScene(row.sceneSeed, report.size);
    row.caption = scene.caption;
    row.colour = scene.shapes[0].colour;
    row.motion = scene.shapes[0].motion;
    row.directionScored = isTranslation(row.motion) || row.motion == Motion::Still;

    GenerationRequest request = resolved;
    request.prompt = scene.caption;
    request.seed = row.sceneSeed;  // the noise, too, is fixed by the scene
    RunOptions run;
    run.cancel = options.cancel;
    if (options.progress)
      run.progress = [&, i](int done, int) { options.progress(i * resolved.steps + done, total); };
    const auto generationStart = std::chrono::steady_clock::now();
    GenerationResult result = generate(model, request, run);
    row.seconds = secondsSince(generationStart);

    const VideoFrames truth = renderScene(scene, report.size);
    const Track trueTrack = mainTrack(shapeCentres(scene, report.size));
    row.generated = estimateMainShape(result.video);
    row.groundTruth = estimateMainShape(truth);
    row.generatedJump = meanFrameJump(row.generated.track);
    row.groundTruthJump = meanFrameJump(row.groundTruth.track);
    row.trueJump = meanFrameJump(trueTrack);
    row.trackError = meanTrackError(row.generated.track, trueTrack);
    trueJumps += row.trueJump;
    if (std::isfinite(row.trackError)) trackErrors += row.trackError, ++trackErrorSamples;

    if (i < options.keepVideos) {
      report.videos.push_back(std::move(result.video));
      report.truthVideos.push_back(truth);
    }
    report.rows.push_back(std::move(row));
  }
  report.generated = summarise(report.rows, true);
  report.groundTruth = summarise(report.rows, false);
  report.trueMeanJump = trueJumps / options.samples;
  report.meanTrackError = trackErrorSamples ? trackErrors / trackErrorSamples : kNaN;
  report.seconds = secondsSince(start);
  return report;
}

}  // namespace attnscope
