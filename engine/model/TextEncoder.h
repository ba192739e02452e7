#pragma once
// The default model's small text encoder: token + learned position
// embeddings, pre-norm transformer layers with padding masked out of the
// keys, a final LayerNorm; padded positions are zeroed on output (as Wan
// does with its umT5 features). Weights live under "text_encoder.".
#include <torch/torch.h>

#include "engine/model/ModelConfig.h"

namespace attnscope {

struct TextEncoderLayerImpl : torch::nn::Module {
  TextEncoderLayerImpl(int64_t dim, int64_t heads, int64_t ffnDim);
  // x: [B, T, C], keyBias: [B, 1, 1, T] (0 or -1e9)
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keyBias);
  int64_t heads;
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::Linear qkv{nullptr}, o{nullptr}, fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(TextEncoderLayer);

struct TextEncoderImpl : torch::nn::Module {
  TextEncoderImpl(const ModelConfig& config, int64_t vocabSize);
  // ids: [B, T] int64 (0 = padding) -> [B, T, textDim]
  torch::Tensor forward(const torch::Tensor& ids);
  torch::nn::Embedding tokenEmbedding{nullptr};
  torch::Tensor positionEmbedding;  // [maxTokens, textDim]
  torch::nn::ModuleList layers{nullptr};
  torch::nn::LayerNorm finalNorm{nullptr};
};
TORCH_MODULE(TextEncoder);

}  // namespace attnscope
