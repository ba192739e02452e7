#include "engine/model/Model.h"

#include <filesystem>
#include <fstream>

#include "engine/core/Error.h"
#include "engine/model/wan/WanModel.h"
#include "engine/tensorio/TensorIO.h"

namespace attnscope {

namespace fs = std::filesystem;

namespace {

const char* kTextPrefix = "text_encoder.";

fs::path modelFolder(const std::string& path) {
  fs::path p(path);
  if (!fs::exists(p)) throw Error("model path " + path + " does not exist");
  if (fs::is_directory(p)) return p;
  return p.parent_path().empty() ? fs::path(".") : p.parent_path();
}

}  // namespace

Model Model::load(const std::string& path) {
  fs::path dir = modelFolder(path);
  if (looksLikeWanFolder(dir.string())) return loadWanModel(dir.string());
  fs::path configPath = dir / "config.json";
  if (!fs::exists(configPath)) throw Error("model folder " + dir.string() + " has no config.json");
  Model m;
  m.folder = dir.string();
  m.config = ModelConfig::load(configPath.string());
  m.tokenizer = std::make_shared<WordTokenizer>(WordTokenizer::load((dir / m.config.text.vocabFile).string()));
  fs::path weights = dir / m.config.weightsFile;
  if (!fs::is_directory(path) && fs::path(path).extension() == ".safetensors") weights = path;
  SafetensorsFile file(weights.string());
  m.textEncoder = TextEncoder(m.config, m.tokenizer->size());
  m.dit = DitModel(m.config);
  // Split the one file by prefix; each part must match its module exactly.
  torch::nn::Module both;
  both.register_module("text_encoder", m.textEncoder.ptr());
  for (const auto& child : m.dit->named_children()) both.register_module(child.key(), child.value());
  for (const auto& param : m.dit->named_parameters(false)) both.register_parameter(param.key(), param.value());
  loadStateDict(both, file);
  m.textEncoder->eval();
  m.dit->eval();
  return m;
}

Model Model::create(const ModelConfig& config, const std::string& vocabPath, uint64_t seed) {
  config.validate();
  torch::manual_seed(seed);
  Model m;
  m.config = config;
  m.tokenizer = std::make_shared<WordTokenizer>(WordTokenizer::load(vocabPath));
  m.textEncoder = TextEncoder(config, m.tokenizer->size());
  m.dit = DitModel(config);
  return m;
}

Model Model::load(const std::string& path, const ComputePlacement& placement) {
  Model m = load(path);
  if (placement.device.is_cuda() || placement.dtype != torch::kFloat32) m.to(placement);
  return m;
}

void Model::to(const ComputePlacement& placement) {
  dit->to(placement.device, placement.dtype);
  if (!textEncoder.is_empty()) textEncoder->to(placement.device);
  if (backend) backend->to(placement.device, placement.dtype);
}

void Model::save(const std::string& dir) const {
  fs::create_directories(dir);
  config.save((fs::path(dir) / "config.json").string());
  {
    std::ofstream vocab(fs::path(dir) / config.text.vocabFile);
    if (!vocab) throw Error("cannot write the vocabulary into " + dir);
    for (int64_t i = 0; i < tokenizer->size(); ++i) vocab << tokenizer->word(i) << "\n";
  }
  std::map<std::string, torch::Tensor> tensors;
  collectStateDict(*dit, "", tensors);
  collectStateDict(*textEncoder, kTextPrefix, tensors);
  saveTensors((fs::path(dir) / config.weightsFile).string(), tensors,
              {{"model_id", config.modelId}, {"format", "attnscope.dit"}, {"trained", config.trained ? "true" : "false"}});
}

}  // namespace attnscope
