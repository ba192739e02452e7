#pragma once
// Block-sparse attention on the GPU: the engine's own kernels (engine/cuda),
// called by AttentionOp in sparse mode when q, k, v live on a CUDA device.
// In a build without CUDA every call throws Error("... built without CUDA").
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/mask/BlockMask.h"

namespace attnscope::cuda {

// A set of per-head BlockMasks in the kernels' form, resident on the device.
struct KernelMask {
  torch::Tensor counts;   // int32 [H, nq]
  torch::Tensor indices;  // int32 [H, nq, maxKept], ascending, unused slots 0
  int64_t blockSize = 0;  // tokens per q-block and per kv-block
  int64_t heads() const { return counts.size(0); }
  int64_t queryBlocks() const { return counts.size(1); }
};

// Throws Error unless all masks have the same [nq, nk] shape.
KernelMask toKernelMask(const std::vector<const BlockMask*>& headMasks, int64_t blockSize, const torch::Device& device);

enum class KernelPath { Auto, Hopper, Portable };
std::string kernelPathName(KernelPath path);

// q, k, v: [B, H, N, D] bfloat16 (other float types are converted), on one
// CUDA device, tokens in layout order; D 64 or 128; mask.blockSize 64 or 128
// with nq = ceil(N / blockSize). Returns [B, H, N, D] in q's dtype. When lse
// is given it receives float32 [B, H, N] log-sum-exp of the scaled scores
// (natural log; -inf for rows of an empty q-block). Auto picks the Hopper
// kernel on compute capability 9.0, else the portable one.
torch::Tensor blockSparseAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                   const KernelMask& mask, double scale, torch::Tensor* lse = nullptr,
                                   KernelPath path = KernelPath::Auto);

}  // namespace attnscope::cuda
