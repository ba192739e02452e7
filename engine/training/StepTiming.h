#pragma once
// Times one inference denoising step of a model at its default size, as the
// sampler runs it (batch [uncond, cond], no gradients, dense attention), on
// the model's device. Median over `repeats` after `warmup` untimed steps.
#include "engine/model/Model.h"

namespace attnscope {

double medianDenoiseStepSeconds(const Model& model, int warmup = 3, int repeats = 20);

}  // namespace attnscope
