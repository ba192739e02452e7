#pragma once
// The trainable tensors of a Model under the names its weights file uses
// (DiT parameters by their Wan names, the text encoder's under
// "text_encoder."), in a fixed order. The optimiser, the EMA and the
// checkpoints all key their state by these names.
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "engine/model/Model.h"

namespace attnscope {

using NamedParameters = std::vector<std::pair<std::string, torch::Tensor>>;

NamedParameters namedParameters(const Model& model);

}  // namespace attnscope
