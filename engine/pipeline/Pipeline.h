#pragma once
// Pipeline: prompt -> tokenizer -> text encoder -> flow-matching Euler loop
// with classifier-free guidance (batch of [uncond, cond]) -> DiT -> latent
// decode -> frames. One job, used by the CLI and the GUI alike: it reports
// progress per step, stops between steps when cancelled, and is deterministic
// for a seed on a given build.

#include "engine/model/Model.h"
#include "engine/pipeline/GenerationTypes.h"

namespace attnscope {

// Fills defaults from the model and checks sizes; throws Error on anything
// the model cannot generate (e.g. a height not divisible by 8).
GenerationRequest resolveRequest(const Model& model, GenerationRequest request);
TokenGrid tokenGridFor(const Model& model, const GenerationRequest& resolved);

GenerationResult generate(const Model& model, const GenerationRequest& request, const RunOptions& options = {});

}  // namespace attnscope
