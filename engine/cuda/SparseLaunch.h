#pragma once
// Launch parameters of the block-sparse attention kernels, shared by the
// torch-facing glue (BlockSparseAttention.cpp) and the kernels (.cu files,
// which stay free of LibTorch so that they compile quickly and alone).
//
// Tensors are [B, H, N, D] bf16, contiguous, tokens in layout order. For
// every (b, h, q-block) the kernel reads counts[h * nq + qb] kv-block indices
// from indices[(h * nq + qb) * maxKept ...] (ascending, each < nk) and
// attends to exactly those blocks: softmax over their keys alone, float32
// accumulation. q-blocks and kv-blocks have the same size; the last block may
// be partial (N need not be a multiple of blockSize). Every output row is
// written; a q-block with no kept block gets zeros and lse = -inf.
#include <cstdint>

#include <cuda_runtime.h>

#ifdef __CUDACC__
#define ATTNSCOPE_HOST_DEVICE __host__ __device__
#else
#define ATTNSCOPE_HOST_DEVICE
#endif

namespace attnscope::cuda {

struct SparseLaunchParams {
  const void* q = nullptr;  // __nv_bfloat16
  const void* k = nullptr;
  const void* v = nullptr;
  void* out = nullptr;      // __nv_bfloat16 [B, H, N, D]
  float* lse = nullptr;     // optional float32 [B, H, N], natural log of sum exp(scale * q.k)
  const int32_t* counts = nullptr;   // [H, nq]
  const int32_t* indices = nullptr;  // [H, nq, maxKept]
  int32_t maxKept = 0;
  int32_t batch = 0, heads = 0, tokens = 0, headDim = 0, blockSize = 0;
  float scale = 0;  // softmax scale (1/sqrt(D) by default)

  ATTNSCOPE_HOST_DEVICE int32_t queryBlocks() const { return (tokens + blockSize - 1) / blockSize; }
};

// Each returns cudaErrorNotSupported for a configuration it does not handle
// (head dim, block size, or a device it was not built for), else the launch
// status. Neither synchronizes.
cudaError_t launchSparseHopper(const SparseLaunchParams& p, cudaStream_t stream);    // sm_90a, wgmma
cudaError_t launchSparsePortable(const SparseLaunchParams& p, cudaStream_t stream);  // sm_80+, mma.sync

}  // namespace attnscope::cuda
