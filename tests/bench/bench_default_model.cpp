// The shipped default model (assets/default, or the folder given) on the
// CPU: prompt following on N held-out captions (default 50; issue 3's bar:
// colour >= 80%, direction >= 70%), temporal coherence (mean centroid jump
// between frames against the ground-truth render's, and the generated
// track's distance from the true centres), and the generation time against
// the 30 s budget of issue 3. The analysis run on the ground-truth renders
// in the same run is the baseline accuracy.
//   bench_default_model [MODEL_DIR] [SAMPLES]
#include <cstdio>
#include <cstdlib>
#include <string>

#include <ATen/Parallel.h>

#include "engine/evaluation/PromptFollowing.h"
#include "engine/model/Model.h"

using namespace attnscope;

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : std::string(ATTNSCOPE_SOURCE_DIR) + "/assets/default";
  PromptFollowingOptions options;
  options.samples = argc > 2 ? std::atoi(argv[2]) : 50;
  at::set_num_threads(2);
  Model model = Model::load(dir);
  PromptFollowingReport r = evaluatePromptFollowing(model, options);
  const double perVideo = r.seconds / r.generated.samples;
  std::printf("default model %s (%s), %d held-out captions, %dx%dx%d, %d steps, 2 threads\n", r.modelId.c_str(),
              r.modelTrained ? "trained" : "untrained", r.generated.samples, int(r.size.frames), int(r.size.height),
              int(r.size.width), r.steps);
  std::printf("%-28s %14s %14s %12s\n", "", "colour", "direction", "mean jump");
  for (auto [name, s] : {std::pair<const char*, const AccuracySummary*>{"generated", &r.generated},
                         {"ground truth (baseline)", &r.groundTruth}})
    std::printf("%-28s %6.1f%% %2d/%-3d %6.1f%% %2d/%-3d %9.2f px\n", name, 100 * s->colourAccuracy, s->colourRight,
                s->samples, 100 * s->directionAccuracy, s->directionRight, s->directionSamples, s->meanJump);
  std::printf("true centres: mean jump %.2f px; generated track vs true centres %.2f px\n", r.trueMeanJump,
              r.meanTrackError);
  std::printf("generation (analysis included): %.2f s per video = %.2f x the 30 s budget\n", perVideo, perVideo / 30.0);
  std::printf("colour accuracy vs baseline: %.2f x\n",
              r.groundTruth.colourAccuracy > 0 ? r.generated.colourAccuracy / r.groundTruth.colourAccuracy : 0.0);
  return 0;
}
