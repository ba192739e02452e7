#pragma once
// The three CPU attention paths behind AttentionOp. Shapes:
//   q, k, v: [B, H, N, D] float32, contiguous; output [B, H, N, D].
// Softmax scale is 1/sqrt(D). None of them allocates [B, H, N, N]: queries
// are processed in chunks so the score buffer stays [H, chunk, N].
#include <torch/torch.h>

#include "engine/atlas/AttentionAtlas.h"
#include "engine/attention/AttentionWorkspace.h"
#include "engine/core/BlockLayout.h"
#include "engine/core/TokenGrid.h"
#include "engine/mask/BlockMask.h"

namespace attnscope {

// Plain softmax(q k^T / sqrt(D)) v, chunked over queries.
torch::Tensor denseAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             int64_t queryChunk = 256);

// Dense output plus statistics of batch element `captureBatch`, written into
// `out` (pooled [H, nq, nk] in layout order with rows summing to 1, sink
// [H, N] and entropy [H, N] in natural order, offsets [H, 2F-1, 2H-1, 2W-1]
// by key - query position). N must equal grid.videoTokens().
torch::Tensor captureAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const TokenGrid& grid, const BlockLayout& layout, int64_t captureBatch,
                               AtlasEntry& out);

// Executes one BlockMask per head (same masks for every batch element): each
// q-block attends only to its listed kv-blocks, softmax over them alone. The
// masks are in `layout` order; tokens are permuted in and out for tiled
// layouts. A q-block with no kept block outputs zeros.
torch::Tensor sparseAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const TokenGrid& grid, const BlockLayout& layout,
                              const std::vector<const BlockMask*>& headMasks);

// Video -> text attention. q: [B, H, N, D], k, v: [B, H, T, D]. When `cross`
// is given, writes the [H, N, T] probabilities of batch element captureBatch.
torch::Tensor crossAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             std::vector<float>* cross = nullptr, int64_t captureBatch = 0);

// The same kernels keeping their scratch memory in `workspace` between calls
// (what AttentionOp uses); the overloads above use a temporary one.
torch::Tensor denseAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             int64_t queryChunk, AttentionWorkspace& workspace);
torch::Tensor captureAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const TokenGrid& grid, const BlockLayout& layout, int64_t captureBatch,
                               AtlasEntry& out, AttentionWorkspace& workspace);
torch::Tensor sparseAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const TokenGrid& grid, const BlockLayout& layout,
                              const std::vector<const BlockMask*>& headMasks, AttentionWorkspace& workspace);

}  // namespace attnscope
