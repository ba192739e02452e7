#pragma once
// Launch parameters of the fused capture kernel, shared by the torch-facing
// glue (engine/cuda/CaptureStatistics.cpp) and the kernel (no LibTorch).
//
// q, k: bf16 [H, N, D] contiguous, tokens in layout order. For every head the
// kernel recomputes the scaled scores tile by tile, turns them into
// probabilities with the given log-sum-exp and accumulates sums (not yet
// divided): the glue zeroes the sum buffers and divides afterwards.
#include <cstdint>

#include <cuda_runtime.h>

namespace attnscope::cuda {

struct CaptureLaunchParams {
  const void* q = nullptr;      // __nv_bfloat16 [H, N, D]
  const void* k = nullptr;      // __nv_bfloat16 [H, N, D]
  const float* lse = nullptr;   // [H, N] natural log of sum exp(scale * q.k)
  float* pooledSums = nullptr;  // [H, nb, nb] += mass of k-block kb in the rows of q-block qb (zeroed)
  float* keySums = nullptr;     // [H, N] += mass each key receives (zeroed)
  float* entropy = nullptr;     // [H, N] written: entropy (nats) of each row, renormalised
  // Optional offset histogram: offsetBase[i] = (f * (2H-1) + y) * (2W-1) + x
  // of layout token i's natural position; bin of (query i, key j) =
  // offsetBase[j] - offsetBase[i] + offsetCenter. nullptr: not accumulated.
  const int32_t* offsetBase = nullptr;
  float* offsetSums = nullptr;  // [H, offsetBins] += mass per bin (zeroed)
  int32_t offsetBins = 0, offsetCenter = 0;
  int32_t heads = 0, tokens = 0, headDim = 0, blockSize = 0;
  int32_t hopperRows = 0;  // queries per CTA of the Hopper kernel: 128, 256, or 0 for its default (256)
  float scale = 0;
};

// cudaErrorNotSupported for a head dim other than 64 / 128, a block size
// that is not a multiple of 16 dividing 64 or divisible by 64, or a device
// below sm_80; cudaErrorInvalidValue when the offset histogram does not fit
// in shared memory (captureOffsetsFit says beforehand). Does not synchronize.
cudaError_t launchCaptureStatistics(const CaptureLaunchParams& p, cudaStream_t stream);
bool captureOffsetsFit(int32_t offsetBins, int32_t headDim);

// The Hopper kernel (engine/cuda/sm90/CaptureStatisticsHopper.cu, wgmma):
// cudaErrorNotSupported unless the device is sm_90, the block size a
// multiple of 64, the head dim 64 / 128 and no offset histogram is asked
// (the caller then uses launchCaptureStatistics).
cudaError_t launchCaptureStatisticsHopper(const CaptureLaunchParams& p, cudaStream_t stream);

}  // namespace attnscope::cuda
