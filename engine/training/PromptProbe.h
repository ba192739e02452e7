#pragma once
// A quick prompt-following check the trainer runs on its EMA weights (on the
// training device): generate the captions of held-out scenes (seeds from
// kHeldOutSeedBase up), and compare what estimateMainShape sees with the
// scene's main shape — its colour, and for straight-line motions its
// direction. A progress signal for training; the project's evaluation job
// reports the official figures.
#include "engine/model/Model.h"

namespace attnscope {

struct PromptProbeResult {
  int scenes = 0, colourHits = 0;
  int directionScenes = 0, directionHits = 0;  // scenes whose main shape translates
  double colourAccuracy() const { return scenes ? double(colourHits) / scenes : 0; }
  double directionAccuracy() const { return directionScenes ? double(directionHits) / directionScenes : 0; }
};

PromptProbeResult probePromptFollowing(const Model& model, int scenes, int steps = 20);

}  // namespace attnscope
