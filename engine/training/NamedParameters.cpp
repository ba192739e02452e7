#include "engine/training/NamedParameters.h"

namespace attnscope {

NamedParameters namedParameters(const Model& model) {
  NamedParameters out;
  for (const auto& p : model.dit->named_parameters(true)) out.emplace_back(p.key(), p.value());
  for (const auto& p : model.textEncoder->named_parameters(true)) out.emplace_back("text_encoder." + p.key(), p.value());
  return out;
}

}  // namespace attnscope
