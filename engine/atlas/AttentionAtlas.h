#pragma once
// AttentionAtlas: what capture produces, as plain float buffers (no LibTorch,
// so viz/ and ui/ can read it). Never the full N x N matrix.
//
// On disk it is a safetensors file (see README "Atlas format"):
//   self/step{S}/layer{L}     F32 [heads, nq, nk]  block-pooled map, rows sum to 1
//   sink/step{S}/layer{L}     F32 [heads, N]       mean mass each key receives (natural order)
//   entropy/step{S}/layer{L}  F32 [heads, N]       entropy (nats) of each query's row (natural order)
//   cross/step{S}/layer{L}    F32 [heads, N, T]    video -> text attention (natural order)
//   offsets/step{S}/layer{L}  F32 [heads, 2F-1, 2H-1, 2W-1]  optional: mass by 3D relative offset
//                             (key - query in frames, rows, columns), averaged over queries; sums to 1
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
  // [heads, 2F-1, 2H-1, 2W-1]: mass at key offset (df, dy, dx) = key - query,
  // index (df+F-1, dy+H-1, dx+W-1), mean over queries. Empty in atlases
  // captured before offsets existed.
  std::vector<float> offsets;
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
  // Bins of one head's offset histogram: (2F-1)(2H-1)(2W-1).
  int64_t offsetBins() const { return (2 * grid.frames - 1) * (2 * grid.height - 1) * (2 * grid.width - 1); }
  bool hasOffsets() const;  // every entry carries an offset histogram
  const AtlasEntry* find(int step, int layer) const;
  std::vector<int> capturedSteps() const;  // ascending, unique

  // Throws Error naming the file and the tensor when a tensor is missing,
  // mis-shaped, or the metadata is not an AttnScope atlas.
  void save(const std::string& path) const;
  static AttentionAtlas load(const std::string& path);
};

}  // namespace attnscope
