#pragma once
// Model: everything needed to generate from one model folder — config,
// tokenizer, text encoder, DiT — loaded strictly from
//   DIR/config.json, DIR/<vocab>, DIR/<weights>.safetensors
// (DiT weights under Wan 2.1 names, text encoder under "text_encoder.").
#include <memory>
#include <string>

#include "engine/model/DitModel.h"
#include "engine/model/ModelConfig.h"
#include "engine/model/TextEncoder.h"
#include "engine/model/WordTokenizer.h"

namespace attnscope {

struct Model {
  std::string folder;
  ModelConfig config;
  std::shared_ptr<WordTokenizer> tokenizer;
  TextEncoder textEncoder{nullptr};
  DitModel dit{nullptr};

  // `path` is the model folder, its config.json, or its weights file.
  // Throws Error naming the missing file, bad field or bad tensor; a model
  // that fails to load is never returned half-initialised.
  static Model load(const std::string& path);
  // Fresh, randomly initialised modules for `config` (seeded).
  static Model create(const ModelConfig& config, const std::string& vocabPath, uint64_t seed);
  // Writes config.json, the vocabulary and the weights into `dir`.
  void save(const std::string& dir) const;
};

}  // namespace attnscope
