#pragma once
// Fused attention capture on the GPU: the statistics the CPU capture writes
// into an AtlasEntry (engine/attention/CaptureAttention.cpp), for all heads of
// one layer and one batch element, without materialising the N x N matrix:
// the dense pass supplies each query's log-sum-exp, then one kernel recomputes
// q.k tile by tile and accumulates the sums. In a build without CUDA the call
// throws Error("... built without CUDA").
#include <string>

#include <torch/torch.h>

#include "engine/core/TokenGrid.h"

namespace attnscope::cuda {

struct CaptureStatistics {
  torch::Tensor pooled;   // float32 [H, nq, nk]: per q-block, mean over its queries of the mass per k-block (rows sum to 1)
  torch::Tensor keyMass;  // float32 [H, N]: mean over all queries of the mass each key receives
  torch::Tensor entropy;  // float32 [H, N]: entropy (nats) of each query's attention row
  torch::Tensor offsets;  // float32 [H, 2F-1, 2H-1, 2W-1] mass by (key - query) 3D offset; undefined if not asked
};

// Which kernel computes the statistics. Auto: the Hopper one (wgmma) where it
// applies (sm_90, block size a multiple of 64, no offset histogram), else the
// portable one (mma.sync, sm_80+).
enum class CaptureKernel { Auto, Hopper, Portable };
std::string captureKernelName(CaptureKernel kernel);

struct CaptureRequest {
  int64_t blockSize = 64;  // tokens per pooled block (nq = nk = ceil(N / blockSize))
  double scale = 0;        // softmax scale (1/sqrt(D) when 0)
  // When defined: int64 [N], natural token index of each (layout-order) token,
  // and the grid, so that offsets are accumulated; else offsets stay undefined.
  torch::Tensor naturalIndex;
  TokenGrid grid;
  CaptureKernel kernel = CaptureKernel::Auto;
  // Tuning (benchmarks): queries per CTA of the Hopper kernel, 128 or 256; 0 = its default.
  int64_t hopperRows = 0;
};

// q, k: [H, N, D] (bf16 or float32) of the captured batch element, tokens in
// layout order, on one CUDA device. lse: float32 [H, N], natural-log
// log-sum-exp of the scaled scores from the dense pass; it must be exact to
// float32 (cuDNN's is, 2e-6), since every output takes the rows' probabilities
// to sum to 1 rather than summing them again. Every output is in
// layout order (the caller permutes keyMass / entropy back to natural order).
CaptureStatistics captureStatistics(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& lse,
                                    const CaptureRequest& request);

}  // namespace attnscope::cuda
