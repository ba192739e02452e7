#pragma once
// ModelConfig: the JSON file (config.json) next to a model's weights. It
// describes the DiT (Wan 2.1 style), its latent codec, its text encoder and
// the generation defaults. Parsing names the file and field at fault.
#include <array>
#include <cstdint>
#include <string>

namespace attnscope {

struct TextEncoderConfig {
  std::string vocabFile = "vocab.txt";  // relative to the model folder
  int64_t layers = 2;
  int64_t heads = 4;
  int64_t ffnDim = 512;
  int64_t maxTokens = 16;
};

// The latent space: frames in [-1, 1] are folded into channels by a
// factor x factor pixel-unshuffle per frame (the default model is pixel-space;
// learned video autoencoders come with real models).
struct LatentConfig {
  int64_t factor = 4;
  int64_t imageChannels = 3;
};

struct GenerationDefaults {
  int64_t frames = 16, height = 64, width = 64;
  int steps = 20;
  double guidance = 4.0;
  double shift = 3.0;
  double fps = 8.0;
};

struct ModelConfig {
  std::string modelId;
  bool trained = false;
  std::string weightsFile = "model.safetensors";
  int64_t dim = 192;
  int64_t heads = 4;
  int64_t layers = 6;
  int64_t ffnDim = 768;
  int64_t freqDim = 256;
  int64_t textDim = 128;
  std::array<int64_t, 3> patch{1, 2, 2};
  double eps = 1e-6;
  LatentConfig latent;
  TextEncoderConfig text;
  GenerationDefaults defaults;

  int64_t headDim() const { return dim / heads; }
  int64_t latentChannels() const { return latent.imageChannels * latent.factor * latent.factor; }

  static ModelConfig load(const std::string& path);
  void save(const std::string& path) const;
  // Throws Error naming the first inconsistent field.
  void validate() const;
};

}  // namespace attnscope
