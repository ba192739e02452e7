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
  int64_t factor = 4;  // spatial stride: latent pixel = factor x factor image pixels
  int64_t imageChannels = 3;
  // Real models decode with a learned video VAE ("wan_vae", engine/model/wan):
  // `channels` latent channels, `temporalStride` frames per latent frame
  // (the first latent frame decodes to one frame).
  std::string type = "pixel_unshuffle";
  int64_t channels = 0;
  int64_t temporalStride = 1;
  bool learned() const { return type != "pixel_unshuffle"; }
};

struct GenerationDefaults {
  int64_t frames = 16, height = 64, width = 64;
  int steps = 20;
  double guidance = 4.0;
  double shift = 3.0;
  double fps = 8.0;
  std::string sampler = "euler";  // "euler" or "unipc" (flow-matching UniPC, Wan's default)
  std::string negativePrompt;     // used when a request leaves it empty
  // Guidance only at steps with sigma <= this (GuidanceInterval.h); 1 = every step.
  double guidanceMaxSigma = 1.0;
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
  bool crossAttnNorm = true;  // Wan's norm3 (affine LayerNorm) before cross-attention
  int64_t textLen = 0;        // context tokens the DiT attends to; 0 = text.maxTokens
  // The caption's masked mean, through a zero-initialised "text_pool" Linear,
  // added to the time embedding: the caption then conditions every block's
  // adaLN modulation globally (as class labels do in DiT), not only through
  // cross-attention.
  bool pooledText = false;
  // A zero-initialised "pos_embedding" Linear of each token's normalised
  // (frame, row, column) position (gridPositionFeatures), added to the
  // patch embeddings. RoPE alone gives attention relative offsets only, so
  // from pure noise the network cannot say "frame 0, left side": what the
  // layout of a caption's motion at high noise needs.
  bool absolutePosition = false;
  // The hidden width of the layout prior (LayoutPrior.h), an MLP of each
  // token's position, the noise level + pooled caption and the caption's
  // mean embedding, added to the output; 0 = none.
  int64_t layoutPrior = 0;
  LatentConfig latent;
  TextEncoderConfig text;
  GenerationDefaults defaults;

  int64_t headDim() const { return dim / heads; }
  int64_t latentChannels() const {
    return latent.learned() ? latent.channels : latent.imageChannels * latent.factor * latent.factor;
  }
  // Values per video token the model outputs (the head's and the layout
  // prior's width): a patch of latent channels.
  int64_t tokenOutFeatures() const { return latentChannels() * patch[0] * patch[1] * patch[2]; }
  // Latent frames for `frames` video frames (Wan's VAE: (frames - 1) / 4 + 1).
  int64_t latentFrames(int64_t frames) const {
    return latent.learned() ? (frames - 1) / latent.temporalStride + 1 : frames;
  }
  int64_t contextTokens() const { return textLen > 0 ? textLen : text.maxTokens; }

  static ModelConfig load(const std::string& path);
  void save(const std::string& path) const;
  // Throws Error naming the first inconsistent field.
  void validate() const;
};

}  // namespace attnscope
