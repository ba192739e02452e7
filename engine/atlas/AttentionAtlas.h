#pragma once
// AttentionAtlas: what capture produces, as plain float buffers (no LibTorch,
// so viz/ and ui/ can read it). Never the full N x N matrix.
//
// On disk it is a safetensors file (see README "Atlas format"):
//   self/step{S}/layer{L}     F32 [heads, nq, nk]  block-pooled map, rows sum to 1
//   sink/step{S}/layer{L}     F32 [heads, N]       mean mass each key receives (natural order)
//   entropy/step{S}/layer{L}  F32 [heads, N]       entropy (nats) of each query's row (natural order)
//   cross/step{S}/layer{L}    F32 [heads, N, T]    video -> text attention (natural order)
//   __metadata__: format, version, model, grid, layout, block_size, heads, layers,
//                 steps, text_tokens (JSON array of the T context token strings)
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/BlockLayout.h"
#include "engine/core/TokenGrid.h"

namespace attnscope {

struct AtlasEntry {
  int step = 0;
  int layer = 0;
  std::vector<float> pooled;   // [heads, nq, nk], blocks in layout order
  std::vector<float> sink;     // [heads, N]
  std::vector<float> entropy;  // [heads, N]
  std::vector<float> cross;    // [heads, N, T]; empty if not captured
};

struct AttentionAtlas {
  std::string modelId;
  TokenGrid grid;  // grid.text = T, the number of context tokens
  BlockLayout layout = BlockLayout::linear(64);
  int64_t heads = 0;
  int64_t layers = 0;
  int totalSteps = 0;                   // denoising steps of the captured run
  std::vector<std::string> textTokens;  // T strings ("<pad>" for padding)
  std::vector<AtlasEntry> entries;      // sorted by (step, layer)

  int64_t numBlocks() const { return layout.numBlocks(grid); }
  const AtlasEntry* find(int step, int layer) const;
  std::vector<int> capturedSteps() const;  // ascending, unique

  // Throws Error naming the file and the tensor when a tensor is missing,
  // mis-shaped, or the metadata is not an AttnScope atlas.
  void save(const std::string& path) const;
  static AttentionAtlas load(const std::string& path);
};

}  // namespace attnscope
