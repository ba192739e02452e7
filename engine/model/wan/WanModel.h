#pragma once
// Loading a Wan 2.1 T2V checkpoint (either layout) into the engine's Model:
// the DiT on the engine's DitModel (so capture and sparse attention apply
// unchanged) plus a ModelBackend holding the umT5 encoder, its tokenizer and
// the VAE decoder. Each component loads strictly (every missing, unexpected
// or mis-shaped tensor listed). The text encoder loads on first use and can
// be unloaded after encoding (it is reloaded when needed again).
#include <memory>
#include <string>

#include "engine/model/Model.h"
#include "engine/model/wan/Umt5Encoder.h"
#include "engine/model/wan/Umt5Tokenizer.h"
#include "engine/model/wan/WanLayout.h"
#include "engine/model/wan/WanVae.h"

namespace attnscope {

struct WanLoadOptions {
  bool unloadTextEncoderAfterUse = false;
  // Where the DiT and the text encoder run and their weights' dtype; bf16
  // follows the reference's precision policy (DitModel.h keepsFloat32,
  // Umt5Encoder.h). Each loads straight there, tensor by tensor.
  torch::Device device = torch::kCPU;
  torch::ScalarType dtype = torch::kFloat32;
  // The VAE decoder runs on `device` in this dtype: float32, as the reference
  // decodes under autocast(float32) even in a bf16 run.
  torch::ScalarType vaeDtype = torch::kFloat32;
};

Model loadWanModel(const std::string& folder, const WanLoadOptions& options = {});

// The components one at a time (used by loadWanModel and the tests).
DitModel loadWanDit(const WanFiles& files, const ModelConfig& config, torch::Device device = torch::kCPU,
                    torch::ScalarType dtype = torch::kFloat32);
Umt5Config umt5ConfigFor(const WanFiles& files);  // from config.json (diffusers) or tensor shapes (official)
Umt5Encoder loadUmt5(const WanFiles& files, const Umt5Config& config, torch::Device device = torch::kCPU,
                     torch::ScalarType dtype = torch::kFloat32);
WanVaeConfig wanVaeConfigFor(const WanFiles& files);
WanVaeDecoder loadWanVae(const WanFiles& files, const WanVaeConfig& config, torch::Device device = torch::kCPU,
                         torch::ScalarType dtype = torch::kFloat32);

class WanBackend : public ModelBackend {
 public:
  WanBackend(WanFiles files, int64_t textLen, const WanLoadOptions& options);
  torch::Tensor encodeText(const std::vector<std::string>& prompts, std::vector<std::string>* pieces) override;
  VideoFrames decode(const torch::Tensor& latent, double fps) override;
  std::string describe() const override;
  // The text encoder (now, or when it loads) goes to device/dtype; the VAE
  // decoder to device in options.vaeDtype (float32: the reference's policy).
  void to(const torch::Device& device, torch::ScalarType dtype) override;

  // Drops the encoder's weights (on a GPU their memory returns to LibTorch's
  // caching allocator, for the DiT and the decoder to reuse).
  void unloadTextEncoder() { encoder_ = nullptr; }
  void setUnloadTextEncoderAfterUse(bool unload) { options_.unloadTextEncoderAfterUse = unload; }
  bool textEncoderLoaded() const { return !encoder_.is_empty(); }
  WanVaeDecoder& vae() { return vae_; }

 private:
  WanFiles files_;
  int64_t textLen_;
  WanLoadOptions options_;
  Umt5Config t5Config_;
  std::shared_ptr<Umt5Tokenizer> tokenizer_;
  Umt5Encoder encoder_{nullptr};
  WanVaeDecoder vae_{nullptr};
};

}  // namespace attnscope
