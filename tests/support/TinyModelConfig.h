#pragma once
// A default-architecture model config small enough for unit tests to build,
// run and train in well under a second. Tests adjust the fields they study.
#include <string>

#include "engine/model/ModelConfig.h"

namespace attnscope::testing {

inline ModelConfig tinyModelConfig(const std::string& modelId) {
  ModelConfig c;
  c.modelId = modelId;
  c.dim = 48;
  c.heads = 2;
  c.layers = 2;
  c.ffnDim = 96;
  c.freqDim = 32;
  c.textDim = 32;
  c.text.layers = 1;
  c.text.heads = 2;
  c.text.ffnDim = 64;
  c.text.maxTokens = 8;
  c.defaults = {4, 32, 32, 3, 4.0, 3.0, 8.0};
  return c;
}

inline std::string defaultVocabPath() { return std::string(ATTNSCOPE_SOURCE_DIR) + "/assets/default/vocab.txt"; }

}  // namespace attnscope::testing
