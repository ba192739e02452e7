#include "engine/model/TextEncoder.h"

#include <cmath>

namespace attnscope {

TextEncoderLayerImpl::TextEncoderLayerImpl(int64_t dim, int64_t heads, int64_t ffnDim) : heads(heads) {
  norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  qkv = register_module("qkv", torch::nn::Linear(dim, 3 * dim));
  o = register_module("o", torch::nn::Linear(dim, dim));
  norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  fc1 = register_module("fc1", torch::nn::Linear(dim, ffnDim));
  fc2 = register_module("fc2", torch::nn::Linear(ffnDim, dim));
}

torch::Tensor TextEncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& keyBias) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), D = C / heads;
  auto parts = qkv(norm1(x)).view({B, T, 3, heads, D}).permute({2, 0, 3, 1, 4});  // [3, B, H, T, D]
  auto scores = torch::matmul(parts[0], parts[1].transpose(-1, -2)) / std::sqrt(double(D)) + keyBias;
  auto attended = torch::matmul(torch::softmax(scores, -1), parts[2]);  // [B, H, T, D]
  auto h = x + o(attended.transpose(1, 2).reshape({B, T, C}));
  return h + fc2(torch::gelu(fc1(norm2(h)), "tanh"));
}

TextEncoderImpl::TextEncoderImpl(const ModelConfig& c, int64_t vocabSize) {
  tokenEmbedding = register_module("token_embedding", torch::nn::Embedding(vocabSize, c.textDim));
  positionEmbedding = register_parameter("position_embedding", torch::randn({c.text.maxTokens, c.textDim}) * 0.02);
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.text.layers; ++i)
    layers->push_back(TextEncoderLayer(c.textDim, c.text.heads, c.text.ffnDim));
  finalNorm = register_module("final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.textDim})));
}

torch::Tensor TextEncoderImpl::forward(const torch::Tensor& ids) {
  auto valid = ids.ne(0);                                                   // [B, T]
  auto keyBias = (~valid).to(torch::kFloat32).mul(-1e9).view({ids.size(0), 1, 1, ids.size(1)});
  auto x = tokenEmbedding(ids) + positionEmbedding.slice(0, 0, ids.size(1));
  for (size_t i = 0; i < layers->size(); ++i) x = layers->ptr<TextEncoderLayerImpl>(i)->forward(x, keyBias);
  return finalNorm(x) * valid.unsqueeze(-1).to(torch::kFloat32);
}

}  // namespace attnscope
