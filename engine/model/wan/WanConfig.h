#pragma once
// Configs of the three Wan 2.1 components, read from the checkpoint's JSON:
//   DiT   official config.json (dim, num_heads, in_dim, ...) or diffusers
//         transformer/config.json (num_attention_heads, attention_head_dim, ...)
//         -> ModelConfig (latent "wan_vae", text_len 512, Wan's sampling defaults)
//   umT5  diffusers text_encoder/config.json (UMT5Config); the official layout
//         has none, so the loader infers it from tensor shapes
//   VAE   diffusers vae/config.json, or the official constants
// Errors name the file and field at fault. No LibTorch here.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/model/ModelConfig.h"
#include "engine/model/wan/WanLayout.h"

namespace attnscope {

struct Umt5Config {
  int64_t vocab = 256384;
  int64_t dim = 4096;
  int64_t dimAttn = 4096;
  int64_t ffnDim = 10240;
  int64_t heads = 64;
  int64_t layers = 24;
  int64_t buckets = 32;
  int64_t maxDistance = 128;
  double eps = 1e-6;
  int64_t textLen = 512;
};

struct WanVaeConfig {
  int64_t baseDim = 96;
  int64_t zDim = 16;
  std::vector<int64_t> dimMult{1, 2, 4, 4};
  int64_t numResBlocks = 2;
  std::vector<bool> temporalUpsample{true, true, false};  // decoder order (reverse of the encoder's downsample)
  std::vector<double> mean, std;                           // zDim values each

  // Decoder channel widths: dims[0] after conv1 ... dims.back() before the head.
  std::vector<int64_t> decoderDims() const;
  int64_t spatialStride() const { return int64_t(1) << (dimMult.size() - 1); }
  int64_t temporalStride() const;
};

// Wan 2.1's latent statistics (wan/modules/vae.py), 16 channels.
const std::vector<double>& wanLatentMean();
const std::vector<double>& wanLatentStd();

// The DiT config of either layout, with the latent, text and sampling fields
// a Wan 2.1 T2V run needs (81 frames at 480x832, 50 UniPC steps, shift 5,
// guidance 5, 16 fps, Wan's default negative prompt).
ModelConfig readWanDitConfig(const WanFiles& files);
Umt5Config readUmt5Config(const std::string& path);
WanVaeConfig readWanVaeConfig(const std::string& path);
WanVaeConfig officialWanVaeConfig(int64_t baseDim, int64_t zDim);

// Wan's sample_neg_prompt (wan/configs/shared_config.py).
const std::string& wanDefaultNegativePrompt();

}  // namespace attnscope
