#include "engine/model/wan/WanModel.h"

#include <set>

#include "engine/core/Error.h"
#include "engine/model/LatentCodec.h"
#include "engine/model/ModulePlacement.h"
#include "engine/model/wan/TensorSource.h"
#include "engine/model/wan/WanConfig.h"
#include "engine/model/wan/WanKeyNames.h"

namespace attnscope {

namespace {

TensorSource openComponent(const std::vector<std::string>& files) {
  if (files.size() == 1 && files[0].size() > 4 && files[0].substr(files[0].size() - 4) == ".pth")
    return openPth(files[0]);
  return openSafetensors(files);
}

std::vector<int64_t> shapeOf(const TensorSource& s, const std::string& name) { return s.at(name).shape; }

int64_t dimOf(const TensorSource& s, const std::string& name, size_t rank, size_t axis) {
  auto shape = shapeOf(s, name);
  if (shape.size() != rank)
    throw Error(s.description + ": tensor '" + name + "' has rank " + std::to_string(shape.size()) + ", expected " +
                std::to_string(rank));
  return shape[axis];
}

}  // namespace

DitModel loadWanDit(const WanFiles& files, const ModelConfig& config, torch::Device device, torch::ScalarType dtype) {
  checkPlacement(device, dtype);
  DitModel dit(config, device, dtype);
  TensorSource source = openSafetensors(files.ditWeights);
  NameMap rename = [](const std::string& n) -> std::optional<std::string> { return n; };
  if (files.kind == WanLayoutKind::Diffusers) rename = ditNameFromDiffusers;
  loadStrict(*dit, source, rename, "the Wan DiT");
  dit->eval();
  return dit;
}

Umt5Config umt5ConfigFor(const WanFiles& files) {
  if (files.kind == WanLayoutKind::Diffusers) return readUmt5Config(files.textEncoderConfig);
  TensorSource s = openPth(files.textEncoderWeights[0]);
  Umt5Config c;
  c.vocab = dimOf(s, "token_embedding.weight", 2, 0);
  c.dim = dimOf(s, "token_embedding.weight", 2, 1);
  c.dimAttn = dimOf(s, "blocks.0.attn.q.weight", 2, 0);
  c.ffnDim = dimOf(s, "blocks.0.ffn.fc1.weight", 2, 0);
  c.buckets = dimOf(s, "blocks.0.pos_embedding.embedding.weight", 2, 0);
  c.heads = dimOf(s, "blocks.0.pos_embedding.embedding.weight", 2, 1);
  std::set<int64_t> blocks;
  for (const auto& [name, t] : s.tensors)
    if (name.compare(0, 7, "blocks.") == 0) blocks.insert(std::stoll(name.substr(7)));
  c.layers = int64_t(blocks.size());
  if (c.heads <= 0 || c.dimAttn % c.heads != 0)
    throw Error(s.description + ": attention width " + std::to_string(c.dimAttn) + " is not a multiple of " +
                std::to_string(c.heads) + " heads");
  return c;
}

Umt5Encoder loadUmt5(const WanFiles& files, const Umt5Config& config, torch::Device device, torch::ScalarType dtype) {
  checkPlacement(device, dtype);
  Umt5Encoder encoder(config, device, dtype);
  TensorSource source = openComponent(files.textEncoderWeights);
  NameMap rename = [](const std::string& n) -> std::optional<std::string> { return n; };
  if (files.kind == WanLayoutKind::Diffusers) {
    const bool hasShared = source.has("shared.weight");
    rename = [hasShared](const std::string& n) { return umt5NameFromTransformers(n, hasShared); };
  }
  loadStrict(*encoder, source, rename, "the umT5 text encoder");
  encoder->eval();
  return encoder;
}

WanVaeConfig wanVaeConfigFor(const WanFiles& files) {
  if (files.kind == WanLayoutKind::Diffusers) return readWanVaeConfig(files.vaeConfig);
  TensorSource s = openPth(files.vaeWeights[0]);
  // Wan2.1_VAE.pth has no config: the head convolution gives the base width, conv2 the latent channels.
  return officialWanVaeConfig(dimOf(s, "decoder.head.2.weight", 5, 1), dimOf(s, "conv2.weight", 5, 0));
}

WanVaeDecoder loadWanVae(const WanFiles& files, const WanVaeConfig& config, torch::Device device,
                         torch::ScalarType dtype) {
  checkPlacement(device, dtype);
  WanVaeDecoder vae(config);
  placeModule(*vae, "", device, dtype);  // small: built on the CPU, moved before loading
  TensorSource source = openComponent(files.vaeWeights);
  NameMap rename = vaeNameFromOfficial;
  if (files.kind == WanLayoutKind::Diffusers) {
    const int64_t blocks = config.numResBlocks;
    rename = [blocks](const std::string& n) { return vaeNameFromDiffusers(n, blocks); };
  }
  loadStrict(*vae, source, rename, "the Wan VAE decoder");
  vae->eval();
  return vae;
}

WanBackend::WanBackend(WanFiles files, int64_t textLen, const WanLoadOptions& options)
    : files_(std::move(files)), textLen_(textLen), options_(options) {
  t5Config_ = umt5ConfigFor(files_);
  tokenizer_ = std::make_shared<Umt5Tokenizer>(files_.tokenizerModel);
  if (tokenizer_->vocabSize() > t5Config_.vocab)
    throw Error("the tokenizer " + files_.tokenizerModel + " has " + std::to_string(tokenizer_->vocabSize()) +
                " pieces, more than the text encoder's " + std::to_string(t5Config_.vocab) + " embeddings");
  vae_ = loadWanVae(files_, wanVaeConfigFor(files_), options_.device, options_.vaeDtype);
}

void WanBackend::to(const torch::Device& device, torch::ScalarType dtype) {
  checkPlacement(device, dtype);
  options_.device = device;
  options_.dtype = dtype;
  if (!encoder_.is_empty()) placeModule(*encoder_, "", device, dtype);
  placeModule(*vae_, "", device, options_.vaeDtype);
}

torch::Tensor WanBackend::encodeText(const std::vector<std::string>& prompts, std::vector<std::string>* pieces) {
  torch::NoGradGuard noGrad;
  if (encoder_.is_empty()) encoder_ = loadUmt5(files_, t5Config_, options_.device, options_.dtype);
  std::vector<int64_t> ids, mask;
  for (const auto& p : prompts) {
    Umt5Tokens t = tokenizer_->encode(p, textLen_);
    ids.insert(ids.end(), t.ids.begin(), t.ids.end());
    mask.insert(mask.end(), t.mask.begin(), t.mask.end());
    if (pieces) *pieces = t.pieces;
  }
  const int64_t B = int64_t(prompts.size());
  auto idT = torch::tensor(ids, torch::kInt64).view({B, textLen_});
  auto maskT = torch::tensor(mask, torch::kInt64).view({B, textLen_});
  // Wan keeps the features of the prompt's tokens and zero-pads the rest to text_len.
  auto features = encoder_->forward(idT, maskT);
  auto context = features * maskT.unsqueeze(-1).to(features.device(), features.scalar_type());
  if (options_.unloadTextEncoderAfterUse) unloadTextEncoder();
  return context;
}

VideoFrames WanBackend::decode(const torch::Tensor& latent, double fps) {
  torch::NoGradGuard noGrad;
  return framesFromPixels(vae_->decode(latent.unsqueeze(0), 1)[0].cpu(), fps);  // [3, F, H, W]
}

std::string WanBackend::describe() const {
  return std::string("Wan 2.1 (") + wanLayoutName(files_.kind) + " layout) in " + files_.folder;
}

Model loadWanModel(const std::string& folder, const WanLoadOptions& options) {
  checkPlacement(options.device, options.dtype);
  checkPlacement(options.device, options.vaeDtype);
  WanFiles files = findWanFiles(folder);
  Model m;
  m.folder = files.folder;
  m.config = readWanDitConfig(files);
  m.dit = loadWanDit(files, m.config, options.device, options.dtype);
  m.backend = std::make_shared<WanBackend>(files, m.config.contextTokens(), options);
  return m;
}

}  // namespace attnscope
