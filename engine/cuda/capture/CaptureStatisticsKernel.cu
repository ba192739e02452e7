// Fused capture statistics: one CTA per (128-query tile, head), one warp per
// 16 queries, Q in registers, K in 64-key tiles double-buffered through
// cp.async. Per tile: S = QK^T on tensor cores (mma.sync bf16, float32
// accumulation), p = exp2(s * scale * log2e - lse * log2e), then
//   - per row: sum p and sum p * s (entropy, renormalised by sum p),
//   - per column: a reduce-scatter over the warp's lanes (14 shuffles), the
//     8 warps' partials through shared memory, one atomicAdd per key per tile,
//   - per (q-block, k-block): the warp's columns reduced by shuffles, one
//     atomicAdd per warp and k-block (sub-)tile,
//   - optionally the 3D offset histogram in shared memory (one shared atomic
//     per probability; only when asked), flushed once per CTA.
//
// What bounds it: each of the N^2 H probabilities costs one MUFU exp2
// (16 / clock / SM: 12.9 G exps at N = 32768, 12 heads is ~3.5 ms on an
// H100), about four FP32 operations (scale, two sums, column add: ~half the
// FP32 pipe's 128 / clock) and half a dense attention's tensor-core work
// (QK^T only, no PV). Shared-memory reads of K by 8 warps per tile match the
// mma.sync rate, so it sits between the exp and the tensor-core bound: at
// best about half to two thirds of a dense pass.
#include <cmath>

#include "engine/cuda/capture/CaptureLaunch.h"
#include "engine/cuda/portable/MmaSync.cuh"

namespace attnscope::cuda {

namespace {

using namespace mma;

constexpr int kQueryTile = 128, kKeyTile = 64, kWarps = kQueryTile / 16, kThreads = kWarps * 32;

template <int D>
constexpr int keyStagesBytes() {
  return 2 * kKeyTile * D * 2;  // two K tiles; the Q tile borrows them at the start
}
constexpr int kColumnPartsBytes = 2 * kWarps * kKeyTile * 4;

int sharedBytes(int headDim, int offsetBins) {
  return (headDim == 64 ? keyStagesBytes<64>() : keyStagesBytes<128>()) + kColumnPartsBytes + offsetBins * 4;
}

// SubBlocks: pooled k-blocks per 64-key tile (1 when blockSize >= 64).
template <int D, int SubBlocks, bool Offsets>
__global__ void __launch_bounds__(kThreads, 2) captureStatisticsKernel(const CaptureLaunchParams p) {
  static_assert(kQueryTile * D * 2 <= keyStagesBytes<D>(), "the Q tile borrows the K stages");
  extern __shared__ __align__(128) unsigned char shared[];
  const uint32_t base = sharedAddress(shared);
  auto* columnParts = reinterpret_cast<float*>(shared + keyStagesBytes<D>());  // [2][kWarps][kKeyTile]
  auto* histogram = reinterpret_cast<float*>(shared + keyStagesBytes<D>() + kColumnPartsBytes);

  const int h = blockIdx.y, q0 = blockIdx.x * kQueryTile;
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int N = p.tokens, blockSize = p.blockSize, blocks = (N + blockSize - 1) / blockSize;
  const size_t head = static_cast<size_t>(h) * N;
  const auto* Q = static_cast<const __nv_bfloat16*>(p.q) + head * D;
  const auto* K = static_cast<const __nv_bfloat16*>(p.k) + head * D;

  loadTileAsync<D, kQueryTile, kThreads>(base, Q + static_cast<size_t>(q0) * D, N - q0, tid);
  commitAsync();
  waitAsync<0>();
  __syncthreads();
  uint32_t qa[D / 16][4];
  loadRowFragments<D>(qa, base, warp * 16, lane);
  if (Offsets)
    for (int i = tid; i < p.offsetBins; i += kThreads) histogram[i] = 0.f;
  __syncthreads();

  const int tiles = (N + kKeyTile - 1) / kKeyTile;
  auto loadKeys = [&](int t, int stage) {
    const int k0 = t * kKeyTile;
    loadTileAsync<D, kKeyTile, kThreads>(base + stage * (kKeyTile * D * 2), K + static_cast<size_t>(k0) * D, N - k0,
                                         tid);
  };
  loadKeys(0, 0);
  commitAsync();
  if (tiles > 1) loadKeys(1, 1);
  commitAsync();

  // This thread's rows g and g + 8; rows past N get lse = +inf, so p = 0.
  const int rowStart = q0 + warp * 16;
  const int rows[2] = {rowStart + lane / 4, rowStart + lane / 4 + 8};
  float lse[2], shift[2];
  int rowOffset[2] = {0, 0};
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    lse[r] = rows[r] < N ? p.lse[head + rows[r]] : INFINITY;
    shift[r] = lse[r] * kLog2e;
    if (Offsets && rows[r] < N) rowOffset[r] = p.offsetCenter - p.offsetBase[rows[r]];
  }
  float mass[2] = {0.f, 0.f}, weighted[2] = {0.f, 0.f};  // sum p, sum p * s
  const float scaleLog2 = p.scale * kLog2e;

  for (int t = 0; t < tiles; ++t) {
    const int stage = t & 1, k0 = t * kKeyTile;
    waitAsync<1>();
    __syncthreads();
    float s[kKeyTile / 8][4];
    scoresTimesKeys<D, kKeyTile>(s, qa, base + stage * (kKeyTile * D * 2), lane);

    const bool partial = k0 + kKeyTile > N;
    float column[kKeyTile / 8][2];  // this thread's two rows summed, per column
#pragma unroll
    for (int j = 0; j < kKeyTile / 8; ++j)
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const int key = k0 + j * 8 + 2 * (lane % 4) + e;
        float p0 = exp2f(fmaf(s[j][e], scaleLog2, -shift[0]));
        float p1 = exp2f(fmaf(s[j][2 + e], scaleLog2, -shift[1]));
        if (partial && key >= N) p0 = p1 = 0.f;
        weighted[0] = fmaf(p0, s[j][e], weighted[0]);
        weighted[1] = fmaf(p1, s[j][2 + e], weighted[1]);
        mass[0] += p0;
        mass[1] += p1;
        column[j][e] = p0 + p1;
        if (Offsets && key < N) {
          const int keyBase = __ldg(p.offsetBase + key);
          if (rows[0] < N) atomicAdd(histogram + keyBase + rowOffset[0], p0);
          if (rows[1] < N) atomicAdd(histogram + keyBase + rowOffset[1], p1);
        }
      }

    // Reduce-scatter the columns over g (lane bits 2..4): afterwards this lane
    // holds columns 8g + 2t + {0, 1} summed over the warp's 16 rows.
    float half[4][2], quarter[2][2], own[2];
    const bool hi16 = lane & 16, hi8 = lane & 8, hi4 = lane & 4;
#pragma unroll
    for (int j = 0; j < 4; ++j)
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const float keep = hi16 ? column[j + 4][e] : column[j][e], send = hi16 ? column[j][e] : column[j + 4][e];
        half[j][e] = keep + __shfl_xor_sync(kFullWarp, send, 16);
      }
#pragma unroll
    for (int j = 0; j < 2; ++j)
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const float keep = hi8 ? half[j + 2][e] : half[j][e], send = hi8 ? half[j][e] : half[j + 2][e];
        quarter[j][e] = keep + __shfl_xor_sync(kFullWarp, send, 8);
      }
#pragma unroll
    for (int e = 0; e < 2; ++e) {
      const float keep = hi4 ? quarter[1][e] : quarter[0][e], send = hi4 ? quarter[0][e] : quarter[1][e];
      own[e] = keep + __shfl_xor_sync(kFullWarp, send, 4);
    }
    const int ownColumn = 8 * (lane / 4) + 2 * (lane % 4);
    float* parts = columnParts + stage * kWarps * kKeyTile;
    *reinterpret_cast<float2*>(parts + warp * kKeyTile + ownColumn) = make_float2(own[0], own[1]);

    // Pooled: the lanes of one k-(sub-)block hold its columns; reduce them.
    float blockMass = own[0] + own[1];
    blockMass += __shfl_xor_sync(kFullWarp, blockMass, 1);
    blockMass += __shfl_xor_sync(kFullWarp, blockMass, 2);
    blockMass += __shfl_xor_sync(kFullWarp, blockMass, 4);
    if (SubBlocks <= 2) blockMass += __shfl_xor_sync(kFullWarp, blockMass, 8);
    if (SubBlocks == 1) blockMass += __shfl_xor_sync(kFullWarp, blockMass, 16);
    constexpr int kLanesPerSub = 32 / SubBlocks;
    if (lane % kLanesPerSub == 0) {
      const int keyStart = k0 + (lane / kLanesPerSub) * (kKeyTile / SubBlocks);
      if (keyStart < N && rowStart < N)
        atomicAdd(p.pooledSums + (static_cast<size_t>(h) * blocks + rowStart / blockSize) * blocks +
                      keyStart / blockSize,
                  blockMass);
    }
    __syncthreads();  // the K stage is free and every warp's column parts are in
    if (tid < kKeyTile && k0 + tid < N) {
      float sum = 0.f;
#pragma unroll
      for (int w = 0; w < kWarps; ++w) sum += parts[w * kKeyTile + tid];
      atomicAdd(p.keySums + head + k0 + tid, sum);
    }
    if (t + 2 < tiles) loadKeys(t + 2, stage);
    commitAsync();
  }
  waitAsync<0>();

  // Entropy of the renormalised row q = p / Z: lse + log Z - scale * sum(p s) / Z.
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    mass[r] += __shfl_xor_sync(kFullWarp, mass[r], 1);
    mass[r] += __shfl_xor_sync(kFullWarp, mass[r], 2);
    weighted[r] += __shfl_xor_sync(kFullWarp, weighted[r], 1);
    weighted[r] += __shfl_xor_sync(kFullWarp, weighted[r], 2);
    if (lane % 4 == 0 && rows[r] < N)
      p.entropy[head + rows[r]] = lse[r] + logf(mass[r]) - p.scale * weighted[r] / mass[r];
  }

  if (Offsets) {
    __syncthreads();
    float* sums = p.offsetSums + static_cast<size_t>(h) * p.offsetBins;
    for (int i = tid; i < p.offsetBins; i += kThreads)
      if (histogram[i] != 0.f) atomicAdd(sums + i, histogram[i]);
  }
}

template <int D, int SubBlocks, bool Offsets>
cudaError_t launch(const CaptureLaunchParams& p, int bytes, cudaStream_t stream) {
  const auto kernel = captureStatisticsKernel<D, SubBlocks, Offsets>;
  cudaError_t status = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
  if (status != cudaSuccess) return status;
  kernel<<<dim3((p.tokens + kQueryTile - 1) / kQueryTile, p.heads), kThreads, bytes, stream>>>(p);
  return cudaGetLastError();
}

template <int D, bool Offsets>
cudaError_t launchForBlock(const CaptureLaunchParams& p, int bytes, cudaStream_t stream) {
  if (p.blockSize >= 64) return launch<D, 1, Offsets>(p, bytes, stream);
  if (p.blockSize == 32) return launch<D, 2, Offsets>(p, bytes, stream);
  return launch<D, 4, Offsets>(p, bytes, stream);
}

cudaError_t deviceSharedLimit(int& bytes, int& major) {
  int device = 0;
  cudaError_t status = cudaGetDevice(&device);
  if (status == cudaSuccess) status = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
  if (status == cudaSuccess) status = cudaDeviceGetAttribute(&bytes, cudaDevAttrMaxSharedMemoryPerBlockOptin, device);
  return status;
}

}  // namespace

bool captureOffsetsFit(int32_t offsetBins, int32_t headDim) {
  int limit = 0, major = 0;
  if (deviceSharedLimit(limit, major) != cudaSuccess) return false;
  return offsetBins >= 0 && static_cast<int64_t>(sharedBytes(headDim, 0)) + 4ll * offsetBins <= limit;
}

cudaError_t launchCaptureStatistics(const CaptureLaunchParams& p, cudaStream_t stream) {
  int limit = 0, major = 0;
  cudaError_t status = deviceSharedLimit(limit, major);
  if (status != cudaSuccess) return status;
  if (major < 8) return cudaErrorNotSupported;
  if (p.headDim != 64 && p.headDim != 128) return cudaErrorNotSupported;
  const int bs = p.blockSize;
  if (bs <= 0 || bs % 16 != 0 || (64 % bs != 0 && bs % 64 != 0)) return cudaErrorNotSupported;
  if (p.heads == 0 || p.tokens == 0) return cudaSuccess;
  const bool offsets = p.offsetBase != nullptr;
  if (offsets && !captureOffsetsFit(p.offsetBins, p.headDim)) return cudaErrorInvalidValue;
  const int bytes = sharedBytes(p.headDim, offsets ? p.offsetBins : 0);
  if (p.headDim == 64)
    return offsets ? launchForBlock<64, true>(p, bytes, stream) : launchForBlock<64, false>(p, bytes, stream);
  return offsets ? launchForBlock<128, true>(p, bytes, stream) : launchForBlock<128, false>(p, bytes, stream);
}

}  // namespace attnscope::cuda
