#include "engine/model/wan/WanLayout.h"

#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/core/Error.h"

namespace attnscope {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json readJson(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open " + path.string());
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    throw Error(path.string() + " is not valid JSON: " + e.what());
  }
}

bool isWanDitConfig(const fs::path& path) {
  if (!fs::exists(path)) return false;
  try {
    std::ifstream in(path);
    json j = json::parse(in);
    return j.value("_class_name", "") == "WanModel" || (j.contains("num_heads") && j.contains("in_dim"));
  } catch (const std::exception&) {
    return false;
  }
}

// Weights that may be one file or an index plus shards. Adds what is missing
// to `missing` and returns what exists.
std::vector<std::string> weightFiles(const fs::path& dir, const std::string& single, const std::string& index,
                                     std::vector<std::string>& missing) {
  if (fs::exists(dir / single)) return {(dir / single).string()};
  if (!fs::exists(dir / index)) {
    missing.push_back((dir / single).string() + " (or " + index + " with its shards)");
    return {};
  }
  std::vector<std::string> shards = shardsFromIndex((dir / index).string());
  for (const auto& s : shards)
    if (!fs::exists(s)) missing.push_back(s + " (named by " + index + ")");
  return shards;
}

void need(const fs::path& path, std::vector<std::string>& missing) {
  if (!fs::exists(path)) missing.push_back(path.string());
}

}  // namespace

const char* wanLayoutName(WanLayoutKind kind) { return kind == WanLayoutKind::Official ? "official" : "diffusers"; }

bool looksLikeWanFolder(const std::string& folder) {
  fs::path dir(folder);
  if (!fs::is_directory(dir)) return false;
  return fs::exists(dir / "model_index.json") || isWanDitConfig(dir / "config.json") ||
         fs::exists(dir / "Wan2.1_VAE.pth") || fs::exists(dir / "models_t5_umt5-xxl-enc-bf16.pth");
}

std::vector<std::string> shardsFromIndex(const std::string& indexPath) {
  json j = readJson(indexPath);
  if (!j.contains("weight_map") || !j["weight_map"].is_object())
    throw Error(indexPath + ": field 'weight_map' is missing or not an object");
  std::vector<std::string> out;
  std::set<std::string> seen;
  fs::path dir = fs::path(indexPath).parent_path();
  for (const auto& item : j["weight_map"].items()) {
    if (!item.value().is_string()) throw Error(indexPath + ": weight_map entry '" + item.key() + "' is not a file name");
    std::string file = item.value().get<std::string>();
    if (seen.insert(file).second) out.push_back((dir / file).string());
  }
  if (out.empty()) throw Error(indexPath + ": weight_map is empty");
  return out;
}

WanFiles findWanFiles(const std::string& folder) {
  fs::path dir(folder);
  if (!fs::is_directory(dir)) throw Error("Wan model folder " + folder + " does not exist");
  WanFiles f;
  f.folder = dir.string();
  std::vector<std::string> missing;
  if (fs::exists(dir / "model_index.json")) {
    f.kind = WanLayoutKind::Diffusers;
    f.ditConfig = (dir / "transformer" / "config.json").string();
    need(f.ditConfig, missing);
    f.ditWeights = weightFiles(dir / "transformer", "diffusion_pytorch_model.safetensors",
                               "diffusion_pytorch_model.safetensors.index.json", missing);
    f.textEncoderConfig = (dir / "text_encoder" / "config.json").string();
    need(f.textEncoderConfig, missing);
    f.textEncoderWeights =
        weightFiles(dir / "text_encoder", "model.safetensors", "model.safetensors.index.json", missing);
    f.tokenizerModel = (dir / "tokenizer" / "spiece.model").string();
    need(f.tokenizerModel, missing);
    f.vaeConfig = (dir / "vae" / "config.json").string();
    need(f.vaeConfig, missing);
    f.vaeWeights = weightFiles(dir / "vae", "diffusion_pytorch_model.safetensors",
                               "diffusion_pytorch_model.safetensors.index.json", missing);
  } else {
    f.kind = WanLayoutKind::Official;
    f.ditConfig = (dir / "config.json").string();
    need(f.ditConfig, missing);
    f.ditWeights = weightFiles(dir, "diffusion_pytorch_model.safetensors",
                               "diffusion_pytorch_model.safetensors.index.json", missing);
    f.textEncoderWeights = {(dir / "models_t5_umt5-xxl-enc-bf16.pth").string()};
    need(f.textEncoderWeights[0], missing);
    f.tokenizerModel = (dir / "google" / "umt5-xxl" / "spiece.model").string();
    need(f.tokenizerModel, missing);
    f.vaeWeights = {(dir / "Wan2.1_VAE.pth").string()};
    need(f.vaeWeights[0], missing);
  }
  if (!missing.empty()) {
    std::string msg = std::string("the Wan 2.1 checkpoint in ") + folder + " (" + wanLayoutName(f.kind) +
                      " layout) is missing " + std::to_string(missing.size()) + " file(s):";
    for (const auto& m : missing) msg += "\n  " + m;
    throw Error(msg);
  }
  return f;
}

}  // namespace attnscope
