#pragma once
// Writes a tiny Wan 2.1 T2V checkpoint with random weights, the real tensor
// names and file layout of either the official or the diffusers release
// (sharded safetensors + index, model_index.json, .pth via LibTorch's pickler
// and in the exact shape Python's torch.save(state_dict) produces, a trained
// sentencepiece tokenizer). For tests and `attnscope-make-tiny-wan`.
#include <cstdint>
#include <string>

#include "engine/model/wan/WanLayout.h"

namespace attnscope {

struct TinyWanSizes {
  int64_t dim = 32, heads = 2, layers = 2, ffnDim = 64, freqDim = 16;
  int64_t textDim = 32, textHeads = 4, textFfn = 48, textLayers = 2, textBuckets = 8;
  int64_t vaeBaseDim = 4;  // latent channels stay Wan's 16 (the official latent statistics)
};

void writeTinyWan(const std::string& folder, WanLayoutKind layout, uint64_t seed, const TinyWanSizes& sizes = {});

}  // namespace attnscope
