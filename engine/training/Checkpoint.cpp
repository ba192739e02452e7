#include "engine/training/Checkpoint.h"

#include <ftw.h>
#include <stdio.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/core/Error.h"
#include "engine/io/Safetensors.h"
#include "engine/tensorio/TensorIO.h"

namespace attnscope {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kFormat = "attnscope.train-checkpoint";
const int kVersion = 1;

std::map<std::string, torch::Tensor> readAll(const fs::path& path) {
  if (!fs::exists(path)) throw Error("checkpoint file " + path.string() + " is missing");
  SafetensorsFile file(path.string());
  std::map<std::string, torch::Tensor> out;
  for (const auto& info : file.tensors()) out[info.name] = readTensor(file, info);
  return out;
}

// Recursive removal and renames through POSIX: std::filesystem::remove_all
// on a non-empty folder crashed (a call through a null pointer) in the GPU
// machine's toolchain.
void removeTree(const fs::path& path) {
  if (!fs::exists(path)) return;
  auto removeOne = [](const char* p, const struct stat*, int, struct FTW*) { return ::remove(p); };
  if (::nftw(path.c_str(), removeOne, 16, FTW_DEPTH | FTW_PHYS) != 0)
    throw Error("cannot remove " + path.string() + ": " + std::strerror(errno));
}

void renamePath(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    throw Error("cannot rename " + from.string() + " to " + to.string() + ": " + std::strerror(errno));
}

// The optimiser's moments are stored as bfloat16: a resumed run's Adam
// denominators are off by < 0.4%, and the checkpoint of the default model
// stays under the 64 MiB a device run can send back.
void saveBfloat16(const fs::path& path, const std::map<std::string, torch::Tensor>& tensors) {
  std::vector<torch::Tensor> keep;
  std::vector<TensorToWrite> list;
  for (const auto& [name, tensor] : tensors) {
    keep.push_back(tensor.detach().to(torch::kCPU, torch::kBFloat16).contiguous());
    list.push_back({name, DType::BF16, keep.back().sizes().vec(), keep.back().data_ptr()});
  }
  writeSafetensors(path.string(), list, {{"format", kFormat}});
}

TrainingState readState(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw Error("checkpoint file " + path.string() + " is missing");
  json j;
  try {
    j = json::parse(in);
  } catch (const json::parse_error& e) {
    throw Error(path.string() + " is not valid JSON: " + e.what());
  }
  const std::string where = path.string();
  if (!j.is_object() || j.value("format", "") != kFormat)
    throw Error(where + ": not an attnscope training checkpoint (format must be " + kFormat + ")");
  if (j.value("version", 0) != kVersion)
    throw Error(where + ": checkpoint version " + j.value("version", json()).dump() + " is not supported (expected " +
                std::to_string(kVersion) + ")");
  TrainingState s;
  try {
    s.step = j.at("step").get<int64_t>();
    s.clips = j.at("clips").get<uint64_t>();
    s.wallSeconds = j.at("wall_seconds").get<double>();
    s.lastLoss = j.value("last_loss", 0.0);
  } catch (const json::exception& e) {
    throw Error(where + ": field step, clips or wall_seconds is missing or has the wrong type");
  }
  if (s.step < 0) throw Error(where + ": step is negative (" + std::to_string(s.step) + ")");
  if (!j.contains("options")) throw Error(where + ": field options is missing");
  s.options = TrainingOptions::fromJson(j.at("options"), where + " (options)");
  return s;
}

}  // namespace

void requireSameArchitecture(const ModelConfig& a, const ModelConfig& b, const std::string& where) {
  auto check = [&](const char* field, auto x, auto y) {
    if (x != y)
      throw Error(where + ": " + field + " is " + std::to_string(x) + " in the checkpoint but " + std::to_string(y) +
                  " in the requested config");
  };
  check("dim", a.dim, b.dim);
  check("heads", a.heads, b.heads);
  check("layers", a.layers, b.layers);
  check("ffn_dim", a.ffnDim, b.ffnDim);
  check("freq_dim", a.freqDim, b.freqDim);
  check("text_dim", a.textDim, b.textDim);
  for (int i = 0; i < 3; ++i) check("patch", a.patch[i], b.patch[i]);
  check("latent.factor", a.latent.factor, b.latent.factor);
  check("latent.image_channels", a.latent.imageChannels, b.latent.imageChannels);
  check("text_encoder.layers", a.text.layers, b.text.layers);
  check("text_encoder.heads", a.text.heads, b.text.heads);
  check("text_encoder.ffn_dim", a.text.ffnDim, b.text.ffnDim);
  check("text_encoder.max_tokens", a.text.maxTokens, b.text.maxTokens);
}

void saveCheckpoint(const std::string& runDir, const Model& model, const Model& ema, const AdamW& optimizer,
                    const TrainingState& state) {
  const fs::path dir = fs::path(runDir) / "checkpoint";
  const fs::path tmp = fs::path(runDir) / "checkpoint.tmp";
  const fs::path old = fs::path(runDir) / "checkpoint.old";
  removeTree(tmp);
  fs::create_directories(tmp);
  model.save(tmp.string());
  ema.save((tmp / "ema").string());
  saveBfloat16(tmp / "adam_m.safetensors", optimizer.firstMoments());
  saveBfloat16(tmp / "adam_v.safetensors", optimizer.secondMoments());
  json j = {{"format", kFormat},
            {"version", kVersion},
            {"model_id", model.config.modelId},
            {"step", state.step},
            {"clips", state.clips},
            {"optimizer_steps", optimizer.steps()},
            {"wall_seconds", state.wallSeconds},
            {"last_loss", state.lastLoss},
            {"options", state.options.toJson()}};
  {
    std::ofstream out(tmp / "state.json");
    out << j.dump(2) << "\n";
    if (!out) throw Error("cannot write " + (tmp / "state.json").string());
  }
  removeTree(old);
  if (fs::exists(dir)) renamePath(dir, old);
  renamePath(tmp, dir);
  removeTree(old);
}

Checkpoint loadCheckpoint(const std::string& path) {
  fs::path dir(path);
  if (!fs::exists(dir)) throw Error("checkpoint " + path + " does not exist");
  if (!fs::exists(dir / "state.json")) {
    if (fs::exists(dir / "checkpoint" / "state.json")) dir /= "checkpoint";
    else if (fs::exists(dir / "checkpoint.old" / "state.json")) dir /= "checkpoint.old";  // crash mid-rename
    else throw Error(path + " holds no training checkpoint (no state.json, no checkpoint/state.json)");
  }
  Checkpoint c;
  c.folder = dir.string();
  c.state = readState(dir / "state.json");
  c.model = Model::load(dir.string());
  if (!fs::exists(dir / "ema" / "config.json")) throw Error("checkpoint " + dir.string() + " has no ema/ model");
  c.ema = Model::load((dir / "ema").string());
  requireSameArchitecture(c.model.config, c.ema.config, (dir / "ema" / "config.json").string());
  c.firstMoments = readAll(dir / "adam_m.safetensors");
  c.secondMoments = readAll(dir / "adam_v.safetensors");
  return c;
}

}  // namespace attnscope
