#pragma once
// Model: everything needed to generate from one model folder — config,
// tokenizer, text encoder, DiT — loaded strictly from
//   DIR/config.json, DIR/<vocab>, DIR/<weights>.safetensors
// (DiT weights under Wan 2.1 names, text encoder under "text_encoder.").
#include <memory>
#include <string>

#include "engine/io/Video.h"
#include "engine/model/ComputePlacement.h"
#include "engine/model/DitModel.h"
#include "engine/model/ModelConfig.h"
#include "engine/model/TextEncoder.h"
#include "engine/model/WordTokenizer.h"

namespace attnscope {

// What a real model (Wan 2.1, engine/model/wan/) brings in place of the
// default model's word tokenizer, small text encoder and pixel codec.
class ModelBackend {
 public:
  virtual ~ModelBackend() = default;
  // prompts -> context [B, contextTokens, textDim]; `pieces` (may be null)
  // receives the last prompt's tokens, padded with "<pad>".
  virtual torch::Tensor encodeText(const std::vector<std::string>& prompts, std::vector<std::string>* pieces) = 0;
  // latent [C, f, h, w] -> frames
  virtual VideoFrames decode(const torch::Tensor& latent, double fps) = 0;
  virtual std::string describe() const = 0;  // layout and files, for reports
  // Where the backend's own modules (text encoder, decoder) run: the device
  // and the floating dtype of their weights. encodeText returns its context
  // on that device; decode accepts a latent on any device. Default: stays.
  virtual void to(const torch::Device& device, torch::ScalarType dtype) {}
};

struct Model {
  std::string folder;
  // Set for real models; then tokenizer and textEncoder are unused (null).
  std::shared_ptr<ModelBackend> backend;
  ModelConfig config;
  std::shared_ptr<WordTokenizer> tokenizer;
  TextEncoder textEncoder{nullptr};
  DitModel dit{nullptr};

  // `path` is the model folder, its config.json, or its weights file; a Wan
  // 2.1 folder (official or diffusers layout) loads through engine/model/wan.
  // Throws Error naming the missing file, bad field or bad tensor; a model
  // that fails to load is never returned half-initialised.
  static Model load(const std::string& path);
  // load(path), then placed on `placement` (to() below; the CPU in float32,
  // where load() leaves a model, needs no move).
  static Model load(const std::string& path, const ComputePlacement& placement);
  // Fresh, randomly initialised modules for `config` (seeded).
  static Model create(const ModelConfig& config, const std::string& vocabPath, uint64_t seed);
  // Writes config.json, the vocabulary and the weights into `dir`.
  void save(const std::string& dir) const;
  // Moves the DiT to the placement's device and dtype; the default model's
  // small text encoder moves to the device in float32 (the pipeline casts
  // its context in); a real model's backend follows ModelBackend::to.
  void to(const ComputePlacement& placement);
};

}  // namespace attnscope
