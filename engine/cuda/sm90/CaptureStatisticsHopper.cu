// Hopper (sm_90a) capture statistics: the same sums as the portable kernel
// (engine/cuda/capture/CaptureStatisticsKernel.cu), with S = Q K^T on wgmma.
//
// One CTA per (128 queries, head): two warpgroups of 64 rows, Q in shared
// memory, K in 128-key tiles double-buffered through cp.async. Two CTAs fit
// an SM, so one CTA's exponentials overlap the other's multiplies. Per tile:
//   - S = Q K^T (wgmma, both operands in shared memory, float32),
//   - p = 2^(s * scale * log2e - lse * log2e): on the MUFU in float32, or
//     (HalfExp) two at a time with ex2.approx.f16x2,
//   - p packed as f16 pairs, which are already mma.m16n8k16 A fragments
//     (the accumulator layout is the A layout): the row sums are p times a
//     ones matrix on the tensor cores, and the column sums (mass per key)
//     are movmatrix-transposed p times ones, instead of ~140 shuffles and
//     selects per thread and tile;
//   - the 8 warps' column sums meet in shared memory and are added into the
//     global per-key sums one tile later (one barrier per tile);
//   - pooled sums per (q-block, 64-key half) from the column sums, one
//     atomicAdd per warp and half.
// Entropy per row from sum p and sum p * s (float32 exps) or sum p * log2 p
// (HalfExp, where log2 p is the f16 argument itself), renormalised by sum p.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cmath>
#include <cstdint>

#include "engine/cuda/capture/CaptureLaunch.h"
#include "engine/cuda/sm90/HopperTiles.cuh"
#include "engine/cuda/sm90/Wgmma.cuh"

namespace attnscope::cuda {
namespace {

using namespace sm90;

constexpr int kRows = 128, kKeys = 128, kThreads = 256, kWarps = kThreads / 32;
constexpr unsigned kFullWarp = 0xffffffffu;
constexpr float kLog2e = 1.4426950408889634f;
constexpr uint32_t kHalfOnes = 0x3C003C00u;  // two f16 1.0
// Argument of rows past N and keys past N in the f16 path: a finite f16 far
// below any real argument, so 2^x = 0 and 0 * x = 0 (-inf would give NaN).
constexpr float kHalfMasked = -60000.f;

template <int D>
struct CaptureTile {
  static constexpr int kQBytes = kRows * D * 2;
  static constexpr int kKBytes = kKeys * D * 2;
  static constexpr int kPartsFloats = kWarps * kKeys;  // per stage
  static constexpr int kSharedBytes = 1024 + kQBytes + 2 * kKBytes + 2 * kPartsFloats * 4;
};

__device__ __forceinline__ uint32_t packHalf(float lo, float hi) {
  const __half2 v = __floats2half2_rn(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&v);
}
__device__ __forceinline__ uint32_t exp2Half2(uint32_t x) {
  uint32_t y;
  asm("ex2.approx.f16x2 %0, %1;" : "=r"(y) : "r"(x));
  return y;
}
__device__ __forceinline__ uint32_t mulHalf2(uint32_t a, uint32_t b) {
  uint32_t y;
  asm("mul.rn.f16x2 %0, %1, %2;" : "=r"(y) : "r"(a), "r"(b));
  return y;
}
__device__ __forceinline__ uint32_t transpose8x8(uint32_t a) {
  uint32_t y;
  asm volatile("movmatrix.sync.aligned.m8n8.trans.b16 %0, %1;" : "=r"(y) : "r"(a));
  return y;
}
// c[16x8] += a[16x16] * ones[16x8], f16 in, float32 accumulation: row sums of a.
__device__ __forceinline__ void addRowSums(float (&c)[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %8}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(kHalfOnes));
}

template <int D, bool HalfExp>
__global__ void __launch_bounds__(kThreads, 2) captureStatisticsHopperKernel(const CaptureLaunchParams p) {
#if defined(__CUDA_ARCH__) && !defined(__CUDA_ARCH_FEAT_SM90_ALL)
  __trap();  // wgmma needs sm_90a machine code (the launcher checks first)
#else
  using T = CaptureTile<D>;
  extern __shared__ uint8_t sharedRaw[];
  const uint32_t rawAddress = sharedAddress(sharedRaw);
  const uint32_t base = (rawAddress + 1023) & ~1023u;
  const uint32_t tileQ = base;
  auto tileK = [&](int stage) { return base + T::kQBytes + stage * T::kKBytes; };
  float* parts = reinterpret_cast<float*>(sharedRaw + (base - rawAddress) + T::kQBytes + 2 * T::kKBytes);

  const int h = blockIdx.y, q0 = blockIdx.x * kRows;
  const int N = p.tokens, bs = p.blockSize, blocks = (N + bs - 1) / bs;
  const size_t head = static_cast<size_t>(h) * N;
  const auto* Q = static_cast<const __nv_bfloat16*>(p.q) + head * D;
  const auto* K = static_cast<const __nv_bfloat16*>(p.k) + head * D;
  const int tid = threadIdx.x, warpgroup = tid / 128, warp = tid / 32, lane = tid % 32;
  const int g = lane / 4, t4 = lane % 4;
  const int groupStart = q0 + warpgroup * 64;  // this warpgroup's 64 rows: one q-block (bs % 64 == 0)
  const int rows[2] = {groupStart + (warp % 4) * 16 + g, groupStart + (warp % 4) * 16 + g + 8};
  float lse[2], shift[2];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    lse[r] = rows[r] < N ? p.lse[head + rows[r]] : 0.f;
    shift[r] = rows[r] < N ? lse[r] * kLog2e : (HalfExp ? -kHalfMasked : INFINITY);
  }
  const float scaleLog2 = p.scale * kLog2e;
  float mass[4] = {0.f, 0.f, 0.f, 0.f};      // row sums of p (rows g, g + 8 in [0], [2])
  float weighted[4] = {0.f, 0.f, 0.f, 0.f};  // HalfExp: row sums of p * log2 p, as mass
  float weightedS[2] = {0.f, 0.f};           // float32 path: sum p * s per row

  loadTile<kRows, D, kThreads>(tileQ, Q, q0, N);
  loadTile<kKeys, D, kThreads>(tileK(0), K, 0, N);
  commitLoads();

  auto flushColumns = [&](int stage, int k0) {  // the 8 warps' column sums of tile k0 into the key sums
    if (tid < kKeys && k0 + tid < N) {
      const float* part = parts + stage * T::kPartsFloats;
      float sum = 0.f;
#pragma unroll
      for (int w = 0; w < kWarps; ++w) sum += part[w * kKeys + tid];
      atomicAdd(p.keySums + head + k0 + tid, sum);
    }
  };

  const int tiles = (N + kKeys - 1) / kKeys;
  for (int tile = 0; tile < tiles; ++tile) {
    const int stage = tile & 1, k0 = tile * kKeys;
    waitLoads<0>();
    fenceAsyncProxy();
    __syncthreads();  // tile landed everywhere; the other stage and parts buffer are free
    if (tile + 1 < tiles) loadTile<kKeys, D, kThreads>(tileK(stage ^ 1), K, k0 + kKeys, N);
    commitLoads();
    if (tile > 0) flushColumns(stage ^ 1, k0 - kKeys);

    float s[64];
    wgmmaFence();
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      const uint32_t panelOffset = (kk / 4) * kRows * 128 + (kk % 4) * 32;
      const uint64_t descQ = sharedDescriptor(tileQ + panelOffset + warpgroup * 64 * 128, 16, 1024);
      const uint64_t descK = sharedDescriptor(tileK(stage) + panelOffset, 16, 1024);
      wgmmaSS_n128(s, descQ, descK, kk > 0);
    }
    wgmmaCommit();
    wgmmaWait<0>();
    fenceRegisters(s);

    // Per 16 keys m, p as f16 pairs in the accumulator layout, which is the
    // mma A fragment: a[0..3] = rows {g, g+8} x keys {16m + 2t4, 16m + 8 + 2t4}
    // (+0, +1 in the pair).
    const bool partial = k0 + kKeys > N;
    float halfSums[2] = {0.f, 0.f};
    float* part = parts + stage * T::kPartsFloats + warp * kKeys;
#pragma unroll
    for (int m = 0; m < 8; ++m) {
      uint32_t a[4], w[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int j = 2 * m + i / 2, r = i % 2;  // 8-key group, row
        const float s0 = s[4 * j + 2 * r], s1 = s[4 * j + 2 * r + 1];
        float x0 = fmaf(s0, scaleLog2, -shift[r]), x1 = fmaf(s1, scaleLog2, -shift[r]);
        if (partial) {
          const int key = k0 + 8 * j + 2 * t4;
          const float masked = HalfExp ? kHalfMasked : -INFINITY;
          if (key >= N) x0 = masked;
          if (key + 1 >= N) x1 = masked;
        }
        if constexpr (HalfExp) {
          const uint32_t xh = packHalf(x0, x1);
          a[i] = exp2Half2(xh);
          w[i] = mulHalf2(a[i], xh);  // p * log2 p
        } else {
          const float p0 = fastExp2(x0), p1 = fastExp2(x1);
          weightedS[r] = fmaf(p0, s0, fmaf(p1, s1, weightedS[r]));
          a[i] = packHalf(p0, p1);
        }
      }
      // a[] order is (j=2m,row g), (2m,g+8), (2m+1,g), (2m+1,g+8): the A fragment order.
      addRowSums(mass, a[0], a[1], a[2], a[3]);
      if constexpr (HalfExp) addRowSums(weighted, w[0], w[1], w[2], w[3]);
      // Column sums: (p^T) times ones. Transposing the four 8x8 quarters gives
      // the A fragment of p^T (keys x rows): rows g, g+8 are keys 16m+g, 16m+8+g.
      float column[4] = {0.f, 0.f, 0.f, 0.f};
      addRowSums(column, transpose8x8(a[0]), transpose8x8(a[2]), transpose8x8(a[1]), transpose8x8(a[3]));
      if (t4 == 0) {
        part[16 * m + g] = column[0];
        part[16 * m + 8 + g] = column[2];
      }
      halfSums[m / 4] += column[0] + column[2];
    }
    // Pooled: sum over g (lanes with equal t4 hold equal values), one atomic per warp and half.
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      float v = halfSums[half];
      v += __shfl_xor_sync(kFullWarp, v, 4);
      v += __shfl_xor_sync(kFullWarp, v, 8);
      v += __shfl_xor_sync(kFullWarp, v, 16);
      const int keyStart = k0 + half * 64;
      if (lane == 0 && keyStart < N && rows[0] < N)
        atomicAdd(p.pooledSums + (static_cast<size_t>(h) * blocks + groupStart / bs) * blocks + keyStart / bs, v);
    }
  }
  __syncthreads();
  flushColumns((tiles - 1) & 1, (tiles - 1) * kKeys);

  // Entropy of the renormalised row q = p / Z (Z = mass), in nats.
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    if (t4 != 0 || rows[r] >= N) continue;
    const float Z = mass[2 * r];
    float entropy;
    if constexpr (HalfExp)
      entropy = logf(Z) - 0.6931471805599453f * weighted[2 * r] / Z;  // -sum q ln q with ln p = ln2 * log2 p
    else
      entropy = lse[r] + logf(Z) - p.scale * weightedS[r] / Z;
    p.entropy[head + rows[r]] = entropy;
  }
  if constexpr (!HalfExp) {
    (void)weighted;
  }
#endif
}

template <int D, bool HalfExp>
cudaError_t launch(const CaptureLaunchParams& p, cudaStream_t stream) {
  using T = CaptureTile<D>;
  const auto kernel = captureStatisticsHopperKernel<D, HalfExp>;
  cudaError_t status = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, T::kSharedBytes);
  if (status != cudaSuccess) return status;
  kernel<<<dim3((p.tokens + kRows - 1) / kRows, p.heads), kThreads, T::kSharedBytes, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launchCaptureStatisticsHopper(const CaptureLaunchParams& p, bool halfExp, cudaStream_t stream) {
  int device = 0, major = 0, minor = 0;
  if (cudaGetDevice(&device) != cudaSuccess) return cudaErrorNotSupported;
  cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
  cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device);
  if (major != 9 || minor != 0) return cudaErrorNotSupported;  // sm_90a machine code only
  if (p.offsetBase != nullptr) return cudaErrorNotSupported;   // the offset histogram: portable kernel
  if (p.blockSize <= 0 || p.blockSize % 64 != 0) return cudaErrorNotSupported;
  if (p.heads == 0 || p.tokens == 0) return cudaSuccess;
  if (p.headDim == 128) return halfExp ? launch<128, true>(p, stream) : launch<128, false>(p, stream);
  if (p.headDim == 64) return halfExp ? launch<64, true>(p, stream) : launch<64, false>(p, stream);
  return cudaErrorNotSupported;
}

}  // namespace attnscope::cuda
