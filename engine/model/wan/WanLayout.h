#pragma once
// Where a Wan 2.1 checkpoint keeps its files. Two layouts are recognised:
//   official  : config.json, diffusion_pytorch_model.safetensors (or its
//               .index.json + shards), models_t5_umt5-xxl-enc-bf16.pth,
//               Wan2.1_VAE.pth, google/umt5-xxl/spiece.model
//   diffusers : model_index.json, transformer/, text_encoder/, vae/ (config.json
//               + safetensors, sharded with an index or not), tokenizer/spiece.model
// findWanFiles() names every missing file in one Error. No LibTorch here.
#include <string>
#include <vector>

namespace attnscope {

enum class WanLayoutKind { Official, Diffusers };
const char* wanLayoutName(WanLayoutKind kind);  // "official" / "diffusers"

struct WanFiles {
  WanLayoutKind kind = WanLayoutKind::Official;
  std::string folder;
  std::string ditConfig;
  std::vector<std::string> ditWeights;          // safetensors, one or several shards
  std::string textEncoderConfig;                // diffusers only ("" for official)
  std::vector<std::string> textEncoderWeights;  // one .pth (official) or safetensors shards
  std::string tokenizerModel;                   // sentencepiece spiece.model
  std::string vaeConfig;                        // diffusers only
  std::vector<std::string> vaeWeights;          // one .pth (official) or safetensors
};

// True when `folder` holds either layout's marker files (model_index.json, a
// WanModel config.json, the umT5 or VAE .pth).
bool looksLikeWanFolder(const std::string& folder);

// The files of the checkpoint in `folder`; throws Error listing every file
// that is missing (shards named by an index included).
WanFiles findWanFiles(const std::string& folder);

// Shard file names listed by a safetensors index ({"weight_map": {tensor: file}}),
// as paths next to the index, in first-seen order.
std::vector<std::string> shardsFromIndex(const std::string& indexPath);

}  // namespace attnscope
