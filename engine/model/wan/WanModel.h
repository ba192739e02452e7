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
};

Model loadWanModel(const std::string& folder, const WanLoadOptions& options = {});

// The components one at a time (used by loadWanModel and the tests).
DitModel loadWanDit(const WanFiles& files, const ModelConfig& config);
Umt5Config umt5ConfigFor(const WanFiles& files);  // from config.json (diffusers) or tensor shapes (official)
Umt5Encoder loadUmt5(const WanFiles& files, const Umt5Config& config);
WanVaeConfig wanVaeConfigFor(const WanFiles& files);
WanVaeDecoder loadWanVae(const WanFiles& files, const WanVaeConfig& config);

class WanBackend : public ModelBackend {
 public:
  WanBackend(WanFiles files, int64_t textLen, const WanLoadOptions& options);
  torch::Tensor encodeText(const std::vector<std::string>& prompts, std::vector<std::string>* pieces) override;
  VideoFrames decode(const torch::Tensor& latent, double fps) override;
  std::string describe() const override;

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
