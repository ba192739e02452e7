#pragma once
// Prompt following of a text-to-video model, measured with the procedural
// generator's own ground truth (issue 3). For N held-out scenes (seeds
// kHeldOutSeedBase + seedOffset + i, never drawn for training) the model
// generates a video from the scene's caption; estimateMainShape() then reads
// the dominant colour and the direction of the main shape. The same analysis
// on the ground-truth renders is reported as a control (it bounds what the
// analysis itself gets wrong).
//
// Direction is scored only where the main shape translates or is still
// (bounce, rotate, grow and shrink have no single direction), and is wrong
// where the analysis finds no shape. Temporal
// coherence is the mean centroid jump between frames of the generated video,
// next to the same figure on the ground-truth render, and the mean distance
// of the generated track from the true centres.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/io/Video.h"
#include "engine/model/Model.h"
#include "engine/procedural/ProceduralVideo.h"

namespace attnscope {

struct PromptFollowingOptions {
  int samples = 50;
  uint64_t seedOffset = 0;  // scene i uses seed kHeldOutSeedBase + seedOffset + i
  int steps = 0;            // 0 = the model's default
  double guidance = -1;     // < 0 = the model's default
  double guidanceMaxSigma = -1;  // < 0 = the model's default (GuidanceInterval.h)
  double shift = -1;        // < 0 = the model's default
  std::string sampler;      // "" = the model's default; "euler" or "unipc"
  int keepVideos = 0;       // how many generated videos (the first ones) the report keeps
  // Called after every denoising step with (steps done, total over all samples).
  std::function<void(int, int)> progress;
  const std::atomic<bool>* cancel = nullptr;  // checked between steps; throws Cancelled
};

struct PromptFollowingSample {
  uint64_t sceneSeed = 0;
  std::string caption;
  int colour = -1;                  // the main shape's palette index
  Motion motion = Motion::Still;    // the main shape's motion
  bool directionScored = false;     // translation or still
  MainShapeEstimate generated;      // analysis of the generated video
  MainShapeEstimate groundTruth;    // analysis of the ground-truth render
  double generatedJump = 0;         // mean centroid jump (px), NaN when not tracked
  double groundTruthJump = 0;
  double trueJump = 0;              // from the true centres
  double trackError = 0;            // generated track vs true centres (px), NaN when not tracked
  double seconds = 0;               // generation time
  bool colourRight() const { return generated.colour == colour; }
  // "Still" only counts when a shape was found at all.
  bool directionRight() const { return directionScored && generated.colour >= 0 && generated.direction == motion; }
};

struct AccuracySummary {
  int samples = 0, colourRight = 0;
  int directionSamples = 0, directionRight = 0;
  // Over the direction-scored samples: what the analysis found (index:
  // Motion), or that it found no shape. Tells a model whose shapes stay
  // still from one whose shapes move the wrong way.
  std::array<int, kMotionCount> directionsFound{};
  int directionNoShape = 0;
  double colourAccuracy = 0, directionAccuracy = 0;  // 0..1; direction NaN when nothing was scored
  double meanJump = 0;                               // mean over tracked samples, px; NaN when none
  int trackedSamples = 0;
};

struct PromptFollowingReport {
  std::string modelId;
  bool modelTrained = false;
  SceneSize size;
  int steps = 0;
  double guidance = 0, guidanceMaxSigma = 0, shift = 0;
  std::string sampler;
  AccuracySummary generated, groundTruth;
  double trueMeanJump = 0;     // mean jump of the true centres
  double meanTrackError = 0;   // over samples whose generated track exists; NaN when none
  std::vector<PromptFollowingSample> rows;
  std::vector<VideoFrames> videos;        // the first keepVideos generated videos
  std::vector<VideoFrames> truthVideos;   // their ground-truth renders
  double seconds = 0;
};

// Throws Error on bad options (samples < 1, keepVideos < 0) or anything the
// model cannot generate; Cancelled when options.cancel is set.
PromptFollowingReport evaluatePromptFollowing(const Model& model, const PromptFollowingOptions& options);

}  // namespace attnscope
