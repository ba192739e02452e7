#include "engine/model/ModelConfig.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/core/Error.h"

namespace attnscope {

namespace {

using nlohmann::json;

template <typename T>
void read(const json& j, const char* key, T& out, const std::string& where) {
  if (!j.contains(key)) return;  // optional: keep the default
  try {
    out = j.at(key).get<T>();
  } catch (const json::exception&) {
    throw Error(where + ": field '" + key + "' has the wrong type (" + j.at(key).dump() + ")");
  }
}

}  // namespace

ModelConfig ModelConfig::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open model config " + path);
  json j;
  try {
    j = json::parse(in);
  } catch (const json::parse_error& e) {
    throw Error(path + " is not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw Error(path + " must hold a JSON object");
  ModelConfig c;
  if (!j.contains("model_id")) throw Error(path + ": field 'model_id' is missing");
  read(j, "model_id", c.modelId, path);
  read(j, "trained", c.trained, path);
  read(j, "weights", c.weightsFile, path);
  read(j, "dim", c.dim, path);
  read(j, "heads", c.heads, path);
  read(j, "layers", c.layers, path);
  read(j, "ffn_dim", c.ffnDim, path);
  read(j, "freq_dim", c.freqDim, path);
  read(j, "text_dim", c.textDim, path);
  read(j, "patch", c.patch, path);
  read(j, "eps", c.eps, path);
  read(j, "pooled_text", c.pooledText, path);
  read(j, "absolute_position", c.absolutePosition, path);
  read(j, "layout_prior", c.layoutPrior, path);
  if (j.contains("latent")) {
    const json& l = j["latent"];
    read(l, "factor", c.latent.factor, path);
    read(l, "image_channels", c.latent.imageChannels, path);
  }
  if (j.contains("text_encoder")) {
    const json& t = j["text_encoder"];
    read(t, "vocab", c.text.vocabFile, path);
    read(t, "layers", c.text.layers, path);
    read(t, "heads", c.text.heads, path);
    read(t, "ffn_dim", c.text.ffnDim, path);
    read(t, "max_tokens", c.text.maxTokens, path);
  }
  if (j.contains("defaults")) {
    const json& d = j["defaults"];
    read(d, "frames", c.defaults.frames, path);
    read(d, "height", c.defaults.height, path);
    read(d, "width", c.defaults.width, path);
    read(d, "steps", c.defaults.steps, path);
    read(d, "guidance", c.defaults.guidance, path);
    read(d, "guidance_max_sigma", c.defaults.guidanceMaxSigma, path);
    read(d, "shift", c.defaults.shift, path);
    read(d, "fps", c.defaults.fps, path);
  }
  try {
    c.validate();
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  return c;
}

void ModelConfig::save(const std::string& path) const {
  json j = {{"model_id", modelId},
            {"type", "attnscope-dit"},
            {"trained", trained},
            {"weights", weightsFile},
            {"dim", dim},
            {"heads", heads},
            {"layers", layers},
            {"ffn_dim", ffnDim},
            {"freq_dim", freqDim},
            {"text_dim", textDim},
            {"patch", patch},
            {"eps", eps},
            {"pooled_text", pooledText},
            {"absolute_position", absolutePosition},
            {"layout_prior", layoutPrior},
            {"latent", {{"type", "pixel_unshuffle"}, {"factor", latent.factor}, {"image_channels", latent.imageChannels}}},
            {"text_encoder",
             {{"vocab", text.vocabFile},
              {"layers", text.layers},
              {"heads", text.heads},
              {"ffn_dim", text.ffnDim},
              {"max_tokens", text.maxTokens}}},
            {"defaults",
             {{"frames", defaults.frames},
              {"height", defaults.height},
              {"width", defaults.width},
              {"steps", defaults.steps},
              {"guidance", defaults.guidance},
              {"guidance_max_sigma", defaults.guidanceMaxSigma},
              {"shift", defaults.shift},
              {"fps", defaults.fps}}}};
  std::ofstream out(path);
  if (!out) throw Error("cannot write model config " + path);
  out << j.dump(2) << "\n";
}

void ModelConfig::validate() const {
  auto positive = [](int64_t v, const char* name) {
    if (v <= 0) throw Error(std::string("field '") + name + "' must be positive, got " + std::to_string(v));
  };
  positive(dim, "dim");
  positive(heads, "heads");
  positive(layers, "layers");
  positive(ffnDim, "ffn_dim");
  positive(freqDim, "freq_dim");
  positive(textDim, "text_dim");
  for (int64_t p : patch) positive(p, "patch");
  positive(latent.factor, "latent.factor");
  positive(latent.imageChannels, "latent.image_channels");
  positive(text.layers, "text_encoder.layers");
  positive(text.heads, "text_encoder.heads");
  positive(text.maxTokens, "text_encoder.max_tokens");
  if (dim % heads != 0) throw Error("'dim' (" + std::to_string(dim) + ") must be a multiple of 'heads' (" + std::to_string(heads) + ")");
  if (headDim() % 2 != 0) throw Error("head dim dim/heads must be even for rotary embeddings");
  if (freqDim % 2 != 0) throw Error("'freq_dim' must be even");
  if (layoutPrior < 0)
    throw Error("field 'layout_prior' (the layout prior's hidden width, 0 = none) must not be negative, got " +
                std::to_string(layoutPrior));
  if (textDim % text.heads != 0) throw Error("'text_dim' must be a multiple of 'text_encoder.heads'");
}

}  // namespace attnscope
