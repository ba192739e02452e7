#include "engine/model/wan/WanConfig.h"

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/core/Error.h"

namespace attnscope {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json readJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open " + path);
  try {
    json j = json::parse(in);
    if (!j.is_object()) throw Error(path + " must hold a JSON object");
    return j;
  } catch (const json::parse_error& e) {
    throw Error(path + " is not valid JSON: " + e.what());
  }
}

template <typename T>
T field(const json& j, const char* key, const std::string& path) {
  if (!j.contains(key)) throw Error(path + ": field '" + key + "' is missing");
  try {
    return j.at(key).get<T>();
  } catch (const json::exception&) {
    throw Error(path + ": field '" + key + "' has the wrong type (" + j.at(key).dump() + ")");
  }
}

template <typename T>
T fieldOr(const json& j, const char* key, T fallback, const std::string& path) {
  if (!j.contains(key) || j.at(key).is_null()) return fallback;
  return field<T>(j, key, path);
}

void setWanDefaults(ModelConfig& c) {
  c.latent.type = "wan_vae";
  c.latent.factor = 8;
  c.latent.imageChannels = 3;
  c.latent.temporalStride = 4;
  c.defaults.frames = 81;
  c.defaults.height = 480;
  c.defaults.width = 832;
  c.defaults.steps = 50;
  c.defaults.guidance = 5.0;
  c.defaults.shift = 5.0;
  c.defaults.fps = 16.0;
  c.defaults.sampler = "unipc";
  c.defaults.negativePrompt = wanDefaultNegativePrompt();
  c.trained = true;
}

}  // namespace

std::vector<int64_t> WanVaeConfig::decoderDims() const {
  std::vector<int64_t> dims{baseDim * dimMult.back()};
  for (auto it = dimMult.rbegin(); it != dimMult.rend(); ++it) dims.push_back(baseDim * *it);
  return dims;
}

int64_t WanVaeConfig::temporalStride() const {
  int64_t s = 1;
  for (bool t : temporalUpsample) s *= t ? 2 : 1;
  return s;
}

const std::vector<double>& wanLatentMean() {
  static const std::vector<double> mean{-0.7571, -0.7089, -0.9113, 0.1075,  -0.1745, 0.9653,  -0.1517, 1.5508,
                                        0.4134,  -0.0715, 0.5517,  -0.3632, -0.1922, -0.9497, 0.2503,  -0.2921};
  return mean;
}

const std::vector<double>& wanLatentStd() {
  static const std::vector<double> std{2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
                                       3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160};
  return std;
}

const std::string& wanDefaultNegativePrompt() {
  static const std::string text =
      "色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，最差质量，低质量，JPEG压缩残留，"
      "丑陋的，残缺的，多余的手指，画得不好的手部，画得不好的脸部，畸形的，毁容的，形态畸形的肢体，手指融合，静止不动的画面，"
      "杂乱的背景，三条腿，背景人很多，倒着走";
  return text;
}

ModelConfig readWanDitConfig(const WanFiles& files) {
  const std::string& path = files.ditConfig;
  json j = readJson(path);
  ModelConfig c;
  setWanDefaults(c);
  int64_t in = 0, out = 0;
  if (files.kind == WanLayoutKind::Official) {
    std::string type = fieldOr<std::string>(j, "model_type", "t2v", path);
    if (type != "t2v")
      throw Error(path + ": model_type '" + type + "' is not supported (text-to-video 't2v' only)");
    c.dim = field<int64_t>(j, "dim", path);
    c.heads = field<int64_t>(j, "num_heads", path);
    c.layers = field<int64_t>(j, "num_layers", path);
    c.ffnDim = field<int64_t>(j, "ffn_dim", path);
    c.freqDim = fieldOr<int64_t>(j, "freq_dim", 256, path);
    c.textDim = fieldOr<int64_t>(j, "text_dim", 4096, path);
    c.textLen = fieldOr<int64_t>(j, "text_len", 512, path);
    c.eps = fieldOr<double>(j, "eps", 1e-6, path);
    c.crossAttnNorm = fieldOr<bool>(j, "cross_attn_norm", true, path);
    if (!fieldOr<bool>(j, "qk_norm", true, path)) throw Error(path + ": qk_norm false is not supported");
    in = fieldOr<int64_t>(j, "in_dim", 16, path);
    out = fieldOr<int64_t>(j, "out_dim", 16, path);
    if (j.contains("patch_size")) {
      auto p = field<std::vector<int64_t>>(j, "patch_size", path);
      if (p.size() != 3) throw Error(path + ": field 'patch_size' must have 3 entries");
      c.patch = {p[0], p[1], p[2]};
    }
    if (j.contains("window_size")) {
      auto w = field<std::vector<int64_t>>(j, "window_size", path);
      if (w.size() != 2 || w[0] != -1 || w[1] != -1)
        throw Error(path + ": window_size other than [-1, -1] (local attention) is not supported");
    }
  } else {
    if (j.contains("image_dim") && !j["image_dim"].is_null())
      throw Error(path + ": image_dim is set (an image-to-video model); only text-to-video is supported");
    c.heads = field<int64_t>(j, "num_attention_heads", path);
    c.dim = c.heads * field<int64_t>(j, "attention_head_dim", path);
    c.layers = field<int64_t>(j, "num_layers", path);
    c.ffnDim = field<int64_t>(j, "ffn_dim", path);
    c.freqDim = fieldOr<int64_t>(j, "freq_dim", 256, path);
    c.textDim = fieldOr<int64_t>(j, "text_dim", 4096, path);
    c.textLen = 512;  // diffusers' WanPipeline max_sequence_length
    c.eps = fieldOr<double>(j, "eps", 1e-6, path);
    c.crossAttnNorm = fieldOr<bool>(j, "cross_attn_norm", true, path);
    std::string qk = fieldOr<std::string>(j, "qk_norm", "rms_norm_across_heads", path);
    if (qk != "rms_norm_across_heads") throw Error(path + ": qk_norm '" + qk + "' is not supported");
    in = fieldOr<int64_t>(j, "in_channels", 16, path);
    out = fieldOr<int64_t>(j, "out_channels", 16, path);
    auto p = fieldOr<std::vector<int64_t>>(j, "patch_size", {1, 2, 2}, path);
    if (p.size() != 3) throw Error(path + ": field 'patch_size' must have 3 entries");
    c.patch = {p[0], p[1], p[2]};
  }
  if (in != out)
    throw Error(path + ": input channels (" + std::to_string(in) + ") differ from output channels (" +
                std::to_string(out) + "); only text-to-video models are supported");
  c.latent.channels = in;
  c.text.maxTokens = c.textLen;
  c.text.heads = 1;  // the default model's text-encoder fields do not apply
  c.modelId = "wan2.1-t2v:" + fs::path(files.folder).filename().string();
  try {
    c.validate();
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  return c;
}

Umt5Config readUmt5Config(const std::string& path) {
  json j = readJson(path);
  Umt5Config c;
  c.vocab = field<int64_t>(j, "vocab_size", path);
  c.dim = field<int64_t>(j, "d_model", path);
  c.heads = field<int64_t>(j, "num_heads", path);
  c.dimAttn = c.heads * field<int64_t>(j, "d_kv", path);
  c.ffnDim = field<int64_t>(j, "d_ff", path);
  c.layers = field<int64_t>(j, "num_layers", path);
  c.buckets = fieldOr<int64_t>(j, "relative_attention_num_buckets", 32, path);
  c.maxDistance = fieldOr<int64_t>(j, "relative_attention_max_distance", 128, path);
  c.eps = fieldOr<double>(j, "layer_norm_epsilon", 1e-6, path);
  std::string ff = fieldOr<std::string>(j, "feed_forward_proj", "gated-gelu", path);
  if (ff != "gated-gelu") throw Error(path + ": feed_forward_proj '" + ff + "' is not supported (gated-gelu only)");
  return c;
}

WanVaeConfig officialWanVaeConfig(int64_t baseDim, int64_t zDim) {
  WanVaeConfig c;
  c.baseDim = baseDim;
  c.zDim = zDim;
  c.mean = wanLatentMean();
  c.std = wanLatentStd();
  return c;
}

WanVaeConfig readWanVaeConfig(const std::string& path) {
  json j = readJson(path);
  WanVaeConfig c;
  c.baseDim = field<int64_t>(j, "base_dim", path);
  c.zDim = field<int64_t>(j, "z_dim", path);
  c.dimMult = fieldOr<std::vector<int64_t>>(j, "dim_mult", {1, 2, 4, 4}, path);
  c.numResBlocks = fieldOr<int64_t>(j, "num_res_blocks", 2, path);
  auto down = fieldOr<std::vector<bool>>(j, "temperal_downsample", {false, true, true}, path);
  c.temporalUpsample.assign(down.rbegin(), down.rend());
  if (j.contains("attn_scales") && !field<std::vector<double>>(j, "attn_scales", path).empty())
    throw Error(path + ": attn_scales other than [] are not supported");
  c.mean = field<std::vector<double>>(j, "latents_mean", path);
  c.std = field<std::vector<double>>(j, "latents_std", path);
  if (int64_t(c.mean.size()) != c.zDim || int64_t(c.std.size()) != c.zDim)
    throw Error(path + ": latents_mean and latents_std must have z_dim (" + std::to_string(c.zDim) + ") values");
  if (c.temporalUpsample.size() + 1 != c.dimMult.size())
    throw Error(path + ": temperal_downsample must have one entry fewer than dim_mult");
  return c;
}

}  // namespace attnscope
