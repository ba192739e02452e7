#pragma once
// Attention on a CUDA device without gradients, behind AttentionOp:
//   dense   LibTorch's fused scaled-dot-product attention (LibTorch 2.x picks
//           cuDNN on Hopper when its cuDNN is recent enough, else flash);
//   sparse  the engine's block-sparse kernel (engine/cuda), masks converted
//           once per layer and kept on the device;
//   capture the block-sparse kernel with every block kept (for the
//           log-sum-exp), then the fused capture statistics kernel.
// Head dims below the kernels' 64 / 128 are zero-padded up to them (exact:
// zero columns change no dot product, and the scale stays 1/sqrt(D)). When the
// kernels cannot run an input, sparse() and capture() return an undefined
// tensor and say why, so that AttentionOp runs the CPU kernels instead.
//   q: [B, H, N, D]; k, v: [B, H, M, D] (M == N for self-attention); any
//   floating dtype, computed in v's (the model's) dtype; returns v's dtype.
#include <map>
#include <string>
#include <utility>

#include <torch/torch.h>

#include "engine/atlas/AttentionAtlas.h"
#include "engine/core/BlockLayout.h"
#include "engine/cuda/BlockSparseAttention.h"
#include "engine/mask/BlockMask.h"

namespace attnscope {

class DeviceAttention {
 public:
  torch::Tensor dense(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v);
  // `masks`: one per head, in `layout` order; `layer` keys the cached kernel form.
  torch::Tensor sparse(int layer, const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                       const TokenGrid& grid, const BlockLayout& layout, const std::vector<const BlockMask*>& masks,
                       std::string* whyNot);
  // Writes the statistics of batch element `captureBatch` into `out` as the
  // CPU capture does (pooled in layout order; sink and entropy in natural order).
  torch::Tensor capture(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const TokenGrid& grid,
                        const BlockLayout& layout, int64_t captureBatch, AtlasEntry& out, std::string* whyNot);

  // The fused kernel LibTorch chose for the first dense self-attention call
  // ("cudnn", "flash", "efficient", "math"); "" before it.
  const std::string& denseKernelName() const { return denseKernel_; }
  // Why capture's dense pass runs on the engine's kernel instead of cuDNN
  // ("" while cuDNN serves it, or before the first capture).
  const std::string& captureDenseFallback() const { return cudnnWhyNot_; }

 private:
  struct LayoutIndex {
    torch::Tensor order;    // int64 [N]: natural token at each layout position
    torch::Tensor inverse;  // int64 [N]: layout position of each natural token
    bool identity = true;
  };
  const LayoutIndex& layoutIndex(const TokenGrid& grid, const BlockLayout& layout, const torch::Device& device);

  std::map<int, cuda::KernelMask> layerMasks_;
  std::map<int64_t, cuda::KernelMask> fullMasks_;  // by token count
  std::map<std::string, LayoutIndex> layouts_;
  std::string denseKernel_;
  bool cudnnRefused_ = false;
  std::string cudnnWhyNot_;
};

}  // namespace attnscope
