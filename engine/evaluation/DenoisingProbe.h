#pragma once
// One-step denoising probe: separates "the model did not learn" from "the
// sampler is wrong". For held-out scenes it renders the true clip, noises its
// latent to a given sigma exactly as the trainer does (x_t = (1 - sigma) x0 +
// sigma noise, t = 1000 sigma), asks the model for its velocity with the
// caption and with the empty prompt, and reads the one-step estimate
// x0 = x_t - sigma v. Reported per sigma and branch (empty prompt,
// caption, guided): the velocity loss the trainer minimises, and whether the
// main shape has the caption's colour in the estimate, judged two ways:
//  - detector: estimateMainShape() on the decoded estimate (what the
//    prompt-following evaluation uses);
//  - mask: the palette colour nearest to the estimate's mean colour over the
//    pixels where the true main shape is (independent of the detector's
//    thresholds, so a faint but right-coloured blob counts).
// Direction is read from the detector's track on the estimate, and, for
// scenes whose main shape translates, as the drift of the main colour's
// mass along the true direction (ColourDrift.h): continuous, so it still
// reads a faint smear at high noise, where a posterior mean of "moves
// right" starts left and ends right.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/model/Model.h"

namespace attnscope {

struct DenoisingProbeOptions {
  int samples = 16;
  uint64_t seedOffset = 0;                       // scene i: kHeldOutSeedBase + seedOffset + i
  std::vector<double> sigmas = {0.3, 0.5, 0.7, 0.9};
  double guidance = 4.0;                         // for the guided branch
};

struct DenoisingBranch {
  double velocityLoss = 0;   // mean squared error of v against noise - x0
  double estimateError = 0;  // mean squared error of the x0 estimate against x0
  int detectorColourRight = 0;
  int maskColourRight = 0;
  int directionRight = 0;    // detector's direction on the estimate
  double drift = 0;          // mean pixels the main colour moves along the true direction (translations)
};

struct DenoisingProbeRow {
  double sigma = 0;
  int samples = 0;
  int directionSamples = 0;  // scenes whose main shape translates or is still
  int translationSamples = 0;  // scenes whose main shape translates (drift)
  DenoisingBranch uncond, cond, guided;
};

struct DenoisingProbeReport {
  std::string modelId;
  double guidance = 0;
  std::vector<DenoisingProbeRow> rows;
  int truthColourRight = 0;  // the detector on the true clips (its own ceiling)
  int truthSamples = 0;
  double truthDrift = 0;     // the same drift on the true clips (translations)
  int truthTranslations = 0;
};

// Runs on the model's device and dtype (Model::to). Throws Error for a model
// without the built-in codec (real models), an empty sample or a sigma
// outside (0, 1].
DenoisingProbeReport probeDenoising(const Model& model, const DenoisingProbeOptions& options);

}  // namespace attnscope
