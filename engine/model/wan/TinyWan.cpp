#include "engine/model/wan/TinyWan.h"

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "engine/core/Error.h"
#include "engine/model/DitModel.h"
#include "engine/model/wan/TensorSource.h"
#include "engine/model/wan/Umt5Tokenizer.h"
#include "engine/model/wan/Umt5Encoder.h"
#include "engine/model/wan/WanConfig.h"
#include "engine/model/wan/WanKeyNames.h"
#include "engine/model/wan/WanVae.h"
#include "engine/tensorio/TensorIO.h"

namespace attnscope {

namespace fs = std::filesystem;
using nlohmann::json;
using Tensors = std::map<std::string, torch::Tensor>;

namespace {

void writeJson(const fs::path& path, const json& j) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path);
  if (!out) throw Error("cannot write " + path.string());
  out << j.dump(2) << "\n";
}

// Trains a small unigram model with umT5's special ids (pad 0, </s> 1, unk 2).
int64_t writeTokenizer(const fs::path& modelPath) {
  fs::create_directories(modelPath.parent_path());
  const fs::path corpus = modelPath.parent_path() / "corpus.txt";
  {
    std::ofstream out(corpus);
    const char* lines[] = {"a red circle moves left on a dark background", "a blue square rotates slowly",
                           "the camera pans over a green field at sunset", "two cats play with a ball of wool",
                           "waves crash on the rocks under a grey sky", "a small boat sails across the lake"};
    for (int r = 0; r < 20; ++r)
      for (const char* l : lines) out << l << "\n";
  }
  const fs::path prefix = modelPath.parent_path() / "spiece";
  trainSentencePiece("--input=" + corpus.string() + " --model_prefix=" + prefix.string() +
                     " --vocab_size=48 --model_type=unigram --pad_id=0 --eos_id=1 --unk_id=2 --bos_id=-1"
                     " --hard_vocab_limit=false --minloglevel=2");
  fs::remove(corpus);
  fs::remove(prefix.string() + ".vocab");
  if (prefix.string() + ".model" != modelPath.string()) fs::rename(prefix.string() + ".model", modelPath);
  std::ifstream in(modelPath);
  if (!in) throw Error("the tiny tokenizer was not written to " + modelPath.string());
  return 0;
}

Tensors renamed(const Tensors& in, const std::function<std::string(const std::string&)>& f) {
  Tensors out;
  for (const auto& [k, v] : in) out[f(k)] = v;
  return out;
}

// Two shards + index, as diffusers writes large components.
void writeSharded(const fs::path& dir, const std::string& stem, const Tensors& tensors) {
  fs::create_directories(dir);
  Tensors a, b;
  size_t i = 0;
  for (const auto& [k, v] : tensors) (i++ % 2 ? b : a)[k] = v;
  const std::string fa = stem + "-00001-of-00002.safetensors", fb = stem + "-00002-of-00002.safetensors";
  saveTensors((dir / fa).string(), a, {{"format", "pt"}});
  saveTensors((dir / fb).string(), b, {{"format", "pt"}});
  json map = json::object();
  for (const auto& [k, v] : a) map[k] = fa;
  for (const auto& [k, v] : b) map[k] = fb;
  writeJson(dir / (stem + ".safetensors.index.json"), {{"metadata", {{"total_size", 0}}}, {"weight_map", map}});
}

}  // namespace

void writeTinyWan(const std::string& folder, WanLayoutKind layout, uint64_t seed, const TinyWanSizes& z) {
  torch::manual_seed(seed);
  fs::path dir(folder);
  fs::create_directories(dir);
  const bool official = layout == WanLayoutKind::Official;

  // Tokenizer first: its size fixes the text encoder's vocabulary.
  fs::path spiece = official ? dir / "google" / "umt5-xxl" / "spiece.model" : dir / "tokenizer" / "spiece.model";
  writeTokenizer(spiece);
  Umt5Tokenizer tokenizer(spiece.string());

  ModelConfig dc;
  dc.dim = z.dim;
  dc.heads = z.heads;
  dc.layers = z.layers;
  dc.ffnDim = z.ffnDim;
  dc.freqDim = z.freqDim;
  dc.textDim = z.textDim;
  dc.textLen = 512;
  dc.latent.type = "wan_vae";
  dc.latent.channels = 16;
  DitModel dit(dc);
  Tensors ditTensors;
  collectStateDict(*dit, "", ditTensors);

  Umt5Config tc;
  tc.vocab = tokenizer.vocabSize();
  tc.dim = z.textDim;
  tc.dimAttn = z.textDim;
  tc.heads = z.textHeads;
  tc.ffnDim = z.textFfn;
  tc.layers = z.textLayers;
  tc.buckets = z.textBuckets;
  Umt5Encoder t5(tc);
  for (auto& p : t5->parameters()) p.data().normal_(0.0, 0.5);  // T5 weights are far from unit-scale init
  Tensors t5Tensors;
  collectStateDict(*t5, "", t5Tensors);

  WanVaeConfig vc = officialWanVaeConfig(z.vaeBaseDim, 16);
  WanVaeDecoder vae(vc);
  Tensors vaeTensors;
  collectStateDict(*vae, "", vaeTensors);

  if (official) {
    writeJson(dir / "config.json", {{"_class_name", "WanModel"}, {"_diffusers_version", "0.30.0"}, {"dim", z.dim},
                                    {"eps", 1e-6}, {"ffn_dim", z.ffnDim}, {"freq_dim", z.freqDim}, {"in_dim", 16},
                                    {"model_type", "t2v"}, {"num_heads", z.heads}, {"num_layers", z.layers},
                                    {"out_dim", 16}, {"text_len", 512}, {"text_dim", z.textDim}});
    saveTensors((dir / "diffusion_pytorch_model.safetensors").string(), ditTensors, {{"format", "pt"}});
    writePthLikePython((dir / "models_t5_umt5-xxl-enc-bf16.pth").string(), t5Tensors, /*bfloat16=*/false);
    // The real VAE file also holds the encoder, which the engine skips.
    vaeTensors["encoder.conv1.weight"] = torch::randn({4, 3, 3, 3, 3});
    vaeTensors["conv1.weight"] = torch::randn({32, 32, 1, 1, 1});
    writePthWithLibTorch((dir / "Wan2.1_VAE.pth").string(), vaeTensors);
  } else {
    writeJson(dir / "model_index.json", {{"_class_name", "WanPipeline"},
                                         {"text_encoder", {"transformers", "UMT5EncoderModel"}},
                                         {"tokenizer", {"transformers", "T5TokenizerFast"}},
                                         {"transformer", {"diffusers", "WanTransformer3DModel"}},
                                         {"vae", {"diffusers", "AutoencoderKLWan"}},
                                         {"scheduler", {"diffusers", "UniPCMultistepScheduler"}}});
    writeJson(dir / "transformer" / "config.json",
              {{"_class_name", "WanTransformer3DModel"}, {"added_kv_proj_dim", nullptr},
               {"attention_head_dim", z.dim / z.heads}, {"cross_attn_norm", true}, {"eps", 1e-6},
               {"ffn_dim", z.ffnDim}, {"freq_dim", z.freqDim}, {"image_dim", nullptr}, {"in_channels", 16},
               {"num_attention_heads", z.heads}, {"num_layers", z.layers}, {"out_channels", 16},
               {"patch_size", {1, 2, 2}}, {"qk_norm", "rms_norm_across_heads"}, {"rope_max_seq_len", 1024},
               {"text_dim", z.textDim}});
    writeSharded(dir / "transformer", "diffusion_pytorch_model", renamed(ditTensors, ditNameToDiffusers));
    writeJson(dir / "text_encoder" / "config.json",
              {{"architectures", {"UMT5EncoderModel"}}, {"d_ff", z.textFfn}, {"d_kv", z.textDim / z.textHeads},
               {"d_model", z.textDim}, {"feed_forward_proj", "gated-gelu"}, {"layer_norm_epsilon", 1e-6},
               {"num_heads", z.textHeads}, {"num_layers", z.textLayers}, {"relative_attention_max_distance", 128},
               {"relative_attention_num_buckets", z.textBuckets}, {"vocab_size", tc.vocab}});
    Tensors hf = renamed(t5Tensors, umt5NameToTransformers);
    hf["encoder.embed_tokens.weight"] = hf["shared.weight"];  // tied copy, as transformers may save it
    writeSharded(dir / "text_encoder", "model", hf);
    json vaeConfig = {{"_class_name", "AutoencoderKLWan"}, {"attn_scales", json::array()}, {"base_dim", z.vaeBaseDim},
                      {"dim_mult", {1, 2, 4, 4}}, {"dropout", 0.0}, {"latents_mean", vc.mean},
                      {"latents_std", vc.std}, {"num_res_blocks", 2}, {"temperal_downsample", {false, true, true}},
                      {"z_dim", 16}};
    writeJson(dir / "vae" / "config.json", vaeConfig);
    Tensors dv = renamed(vaeTensors, [](const std::string& n) { return vaeNameToDiffusers(n, 2); });
    dv["encoder.conv_in.weight"] = torch::randn({4, 3, 3, 3, 3});
    dv["quant_conv.weight"] = torch::randn({32, 32, 1, 1, 1});
    fs::create_directories(dir / "vae");
    saveTensors((dir / "vae" / "diffusion_pytorch_model.safetensors").string(), dv, {{"format", "pt"}});
  }
}

}  // namespace attnscope
