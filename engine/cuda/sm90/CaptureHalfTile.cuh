#pragma once
// The per-warpgroup arithmetic of the Hopper capture statistics kernel
// (CaptureStatisticsHopper.cu): a warpgroup owns 64 query rows; for one
// 64-key half of a 128-key tile it
//   - issues S = Q K^T (wgmma m64n64, both operands in shared memory, float32),
//   - turns S into p = 2^(s * scale * log2e - lse * log2e) (ex2.approx),
//   - adds the row sums of p * s (entropy) in float32. The row mass sum p
//     is not summed: with the exact lse the caller passes (cuDNN's, 2e-6
//     from float64) it is 1 to within that, so the entropy takes Z = 1 and
//     saves one FADD per score (NOTES.md v7),
//   - packs p as f16 pairs, which are mma.m16n8k16 A fragments (the
//     accumulator layout is the A layout); movmatrix-transposed, times a
//     ones matrix on the tensor cores, they give the column sums (mass per
//     key) of the warp's 16 rows, instead of ~140 shuffles and selects;
//   - stores those column sums in a shared "parts" buffer (one row per warp)
//     and adds the half's pooled mass into the global pooled sums (one
//     atomicAdd per warp and half).
// The kernel decides where the K tile and the parts buffer live.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cmath>
#include <cstdint>

#include "engine/cuda/capture/CaptureLaunch.h"
#include "engine/cuda/sm90/HopperTiles.cuh"
#include "engine/cuda/sm90/Wgmma.cuh"

namespace attnscope::cuda::sm90::capture {

constexpr int kKeys = 128, kHalf = 64;
constexpr unsigned kFullWarp = 0xffffffffu;
constexpr float kLog2e = 1.4426950408889634f;
constexpr uint32_t kHalfOnes = 0x3C003C00u;  // two f16 1.0

__device__ __forceinline__ uint32_t packHalf(float lo, float hi) {
  const __half2 v = __floats2half2_rn(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&v);
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

// One warpgroup's rows and running sums. Rows: queries per CTA (64 per
// warpgroup); Q sits in shared memory as a [Rows, D] swizzled tile.
template <int D, int Rows>
struct WarpgroupRows {
  static constexpr int kWarps = Rows / 16;              // 4 warps per 64 rows
  static constexpr int kPartsFloats = kWarps * kKeys;  // one parts buffer: a row of column sums per warp
  uint32_t tileQ;
  const CaptureLaunchParams* p;
  int N, warpgroup, warp, lane, g, t4, rows[2];
  size_t head;
  float* pooledRow;          // this warpgroup's q-block row of the pooled sums (nullptr: rows past N)
  float blocksPerHalf;       // 64 / bs: k-block of a half = floor(half index * 64 / bs)
  float lse[2], shift[2], scaleLog2;
  float weighted[2] = {0.f, 0.f};  // sum p * s of rows g, g + 8 (this thread's keys)

  __device__ void init(const CaptureLaunchParams& params, uint32_t qTile, int q0) {
    p = &params;
    tileQ = qTile;
    const int h = blockIdx.y, bs = params.blockSize;
    N = params.tokens;
    const int blocks = (N + bs - 1) / bs;
    head = static_cast<size_t>(h) * N;
    const int tid = threadIdx.x;
    warpgroup = tid / 128;
    warp = tid / 32;
    lane = tid % 32;
    g = lane / 4;
    t4 = lane % 4;
    const int groupStart = q0 + warpgroup * 64;  // this warpgroup's 64 rows: one q-block (bs % 64 == 0)
    rows[0] = groupStart + (warp % 4) * 16 + g;
    rows[1] = rows[0] + 8;
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      lse[r] = rows[r] < N ? params.lse[head + rows[r]] : 0.f;
      shift[r] = rows[r] < N ? lse[r] * kLog2e : INFINITY;  // rows past N: p = 0
    }
    scaleLog2 = params.scale * kLog2e;
    pooledRow = rows[0] < N ? params.pooledSums + (static_cast<size_t>(h) * blocks + groupStart / bs) * blocks : nullptr;
    blocksPerHalf = static_cast<float>(kHalf) / static_cast<float>(bs);
  }

  // Issues S = Q K^T for this warpgroup's 64 rows and keys [64 half, 64 half
  // + 64) of the 128-key tile at shared address kTile (the caller waits).
  __device__ __forceinline__ void issueScores(float (&s)[32], uint32_t kTile, int half) const {
    wgmmaFence();
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      const uint64_t descQ =
          sharedDescriptor(tileQ + (kk / 4) * Rows * 128 + (kk % 4) * 32 + warpgroup * 64 * 128, 16, 1024);
      const uint64_t descK = sharedDescriptor(kTile + (kk / 4) * kKeys * 128 + half * kHalf * 128 + (kk % 4) * 32, 16, 1024);
      wgmmaSS_n64(s, descQ, descK, kk > 0);
    }
    wgmmaCommit();
  }

  // The statistics of one 64-key half of tile t from its scores; column sums
  // go to parts (the tile's buffer). Partial: the last tile, whose keys may
  // run past N.
  template <bool Partial>
  __device__ __forceinline__ void accumulate(float (&s)[32], int t, int half, float* parts) {
    const int k0 = t * kKeys + half * kHalf;
    float halfSum = 0.f;
    float* part = parts + warp * kKeys + half * kHalf;
#pragma unroll
    for (int m = 0; m < 4; ++m) {
      // a[0..3]: rows {g, g+8} x keys {16m + 2t4, 16m + 8 + 2t4} (+0, +1 in the pair).
      uint32_t a[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int j = 2 * m + i / 2, r = i % 2;  // 8-key group, row
        const float s0 = s[4 * j + 2 * r], s1 = s[4 * j + 2 * r + 1];
        float x0 = fmaf(s0, scaleLog2, -shift[r]), x1 = fmaf(s1, scaleLog2, -shift[r]);
        if (Partial) {
          const int key = k0 + 8 * j + 2 * t4;
          if (key >= N) x0 = -INFINITY;
          if (key + 1 >= N) x1 = -INFINITY;
        }
        const float p0 = fastExp2(x0), p1 = fastExp2(x1);
        weighted[r] = fmaf(p0, s0, fmaf(p1, s1, weighted[r]));
        a[i] = packHalf(p0, p1);
      }
      // Column sums: (p^T) times ones. Transposing the four 8x8 quarters gives
      // the A fragment of p^T (keys x rows): rows g, g+8 are keys 16m+g, 16m+8+g.
      float column[4] = {0.f, 0.f, 0.f, 0.f};
      addRowSums(column, transpose8x8(a[0]), transpose8x8(a[2]), transpose8x8(a[1]), transpose8x8(a[3]));
      if (t4 == 0) {
        part[16 * m + g] = column[0];
        part[16 * m + 8 + g] = column[2];
      }
      halfSum += column[0] + column[2];
    }
    // Pooled: sum over g (lanes with equal t4 hold equal values), one atomic per warp and half.
    halfSum += __shfl_xor_sync(kFullWarp, halfSum, 4);
    halfSum += __shfl_xor_sync(kFullWarp, halfSum, 8);
    halfSum += __shfl_xor_sync(kFullWarp, halfSum, 16);
    // k0 / bs without an integer division: (2t + half + 0.5) * 64 / bs is
    // exact enough in float to floor right (bs is a multiple of 64).
    const int kBlock = __float2int_rz((2 * t + half + 0.5f) * blocksPerHalf);
    if (lane == 0 && k0 < N && pooledRow != nullptr) atomicAdd(pooledRow + kBlock, halfSum);
  }

  // Entropy of the row p (which sums to 1 under the exact lse), in nats:
  // -sum p log p = lse - scale * sum(p s).
  __device__ __forceinline__ void writeEntropy() const {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      float W = weighted[r];
      W += __shfl_xor_sync(kFullWarp, W, 1);
      W += __shfl_xor_sync(kFullWarp, W, 2);
      if (t4 == 0 && rows[r] < N) p->entropy[head + rows[r]] = lse[r] - p->scale * W;
    }
  }
};

// The column sums of tile t (every warp's row of parts) into the global key
// sums; `thread` in [0, 128) owns one key.
template <int Warps>
__device__ __forceinline__ void flushColumns(const CaptureLaunchParams& p, size_t head, const float* parts, int t,
                                             int thread) {
  const int key = t * kKeys + thread;
  if (thread < kKeys && key < p.tokens) {
    float sum = 0.f;
#pragma unroll
    for (int w = 0; w < Warps; ++w) sum += parts[w * kKeys + thread];
    atomicAdd(p.keySums + head + key, sum);
  }
}

}  // namespace attnscope::cuda::sm90::capture
