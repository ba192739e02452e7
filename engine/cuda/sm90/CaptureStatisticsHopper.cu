// Hopper (sm_90a) capture statistics: the same sums as the portable kernel
// (engine/cuda/capture/CaptureStatisticsKernel.cu), with S = Q K^T on wgmma.
//
// One CTA per (Rows queries, head): Rows / 64 warpgroups of 64 rows, Q in
// shared memory, K in 128-key tiles through three cp.async stages. Every
// CTA streams all of its head's K through L2, so the query tile sets the L2
// traffic: at N = 32768, 12 heads, 128 rows read 25.8 GB, 256 rows half that.
// Each tile is taken as two 64-key halves, software-pipelined: the next
// half's S is multiplying while this half is reduced (see the kernel).
// Per half and row pair:
//   - S = Q K^T (wgmma m64n64, both operands in shared memory, float32),
//   - p = 2^(s * scale * log2e - lse * log2e) in float32 (ex2.approx),
//   - row sums of p and of p * s (entropy) in float32,
//   - p packed as f16 pairs, which are mma.m16n8k16 A fragments (the
//     accumulator layout is the A layout); movmatrix-transposed, times a
//     ones matrix on the tensor cores, they give the column sums (mass per
//     key) of the warp's 16 rows, instead of ~140 shuffles and selects;
//   - the warps' column sums meet in shared memory and are added into the
//     global per-key sums one tile later (one barrier per tile);
//   - pooled sums per (q-block, 64-key half) from the column sums, one
//     atomicAdd per warp and half.
// Entropy per row: lse + log Z - scale * sum(p s) / Z, Z = sum p.
// Known limit (NOTES.md): 9.7 ms at N = 32768 against the 5.4 ms the bar
// needs; the pipeline gained 3% over the unpipelined version, since the
// barrier per tile still keeps the four warpgroups in step.
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

constexpr int kKeys = 128, kHalf = 64, kStages = 3, kPartBuffers = 3;
constexpr unsigned kFullWarp = 0xffffffffu;
constexpr float kLog2e = 1.4426950408889634f;
constexpr uint32_t kHalfOnes = 0x3C003C00u;  // two f16 1.0

template <int D, int Rows>
struct CaptureTile {
  static constexpr int kThreads = Rows * 2;  // a warpgroup (128 threads) per 64 rows
  static constexpr int kWarps = kThreads / 32;
  static constexpr int kQBytes = Rows * D * 2;
  static constexpr int kKBytes = kKeys * D * 2;
  static constexpr int kPartsFloats = kWarps * kKeys;  // per buffer
  static constexpr int kSharedBytes = 1024 + kQBytes + kStages * kKBytes + kPartBuffers * kPartsFloats * 4;
};

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

template <int D, int Rows>
struct CaptureState {
  using T = CaptureTile<D, Rows>;
  uint32_t tileQ, tileK0;
  float* parts;
  const CaptureLaunchParams* p;
  int h, N, bs, blocks, warpgroup, warp, lane, g, t4, groupStart, rows[2];
  size_t head;
  float lse[2], shift[2], scaleLog2;
  float mass[2] = {0.f, 0.f}, weighted[2] = {0.f, 0.f};  // sum p, sum p * s per row

  __device__ uint32_t tileK(int t) const { return tileK0 + (t % kStages) * T::kKBytes; }

  // Issues S = Q K^T for this warpgroup's 64 rows and keys [64 half, 64 half
  // + 64) of tile t (the caller waits).
  __device__ __forceinline__ void issueScores(float (&s)[32], int t, int half) const {
    wgmmaFence();
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      const uint64_t descQ =
          sharedDescriptor(tileQ + (kk / 4) * Rows * 128 + (kk % 4) * 32 + warpgroup * 64 * 128, 16, 1024);
      const uint64_t descK =
          sharedDescriptor(tileK(t) + (kk / 4) * kKeys * 128 + half * kHalf * 128 + (kk % 4) * 32, 16, 1024);
      wgmmaSS_n64(s, descQ, descK, kk > 0);
    }
    wgmmaCommit();
  }

  // The statistics of one 64-key half of tile t from its scores. Partial:
  // the last tile, whose keys may run past N.
  template <bool Partial>
  __device__ __forceinline__ void accumulate(float (&s)[32], int t, int half) {
    const int k0 = t * kKeys + half * kHalf;
    float halfSum = 0.f;
    float* part = parts + (t % kPartBuffers) * T::kPartsFloats + warp * kKeys + half * kHalf;
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
        mass[r] += p0 + p1;
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
    if (lane == 0 && k0 < N && rows[0] < N)
      atomicAdd(p->pooledSums + (static_cast<size_t>(h) * blocks + groupStart / bs) * blocks + k0 / bs, halfSum);
  }

  // The warps' column sums of tile t into the global key sums.
  __device__ __forceinline__ void flushColumns(int t, int tid) const {
    const int k0 = t * kKeys;
    if (tid < kKeys && k0 + tid < N) {
      const float* part = parts + (t % kPartBuffers) * T::kPartsFloats;
      float sum = 0.f;
#pragma unroll
      for (int w = 0; w < T::kWarps; ++w) sum += part[w * kKeys + tid];
      atomicAdd(p->keySums + head + k0 + tid, sum);
    }
  }
};

// Software pipeline over 64-key halves: the multiply of the next half is in
// flight on the tensor cores while this half is exponentiated and reduced
// (even halves in accumulator a, odd ones in b). Each half waits for that
// multiply before the next step, so no multiply is in flight across the
// loop's back-edge: with one in flight there, ptxas serialized every wgmma
// (C7514). K runs through three stages: K(t + 1) is read by a multiply issued
// before tile t is done, K(t + 2) is being copied.
template <int D, int Rows>
__global__ void __launch_bounds__(CaptureTile<D, Rows>::kThreads, 1)
    captureStatisticsHopperKernel(const CaptureLaunchParams p) {
#if defined(__CUDA_ARCH__) && !defined(__CUDA_ARCH_FEAT_SM90_ALL)
  __trap();  // wgmma needs sm_90a machine code (the launcher checks first)
#else
  using T = CaptureTile<D, Rows>;
  extern __shared__ uint8_t sharedRaw[];
  const uint32_t rawAddress = sharedAddress(sharedRaw);
  const uint32_t base = (rawAddress + 1023) & ~1023u;

  CaptureState<D, Rows> st;
  st.p = &p;
  st.tileQ = base;
  st.tileK0 = base + T::kQBytes;
  st.parts = reinterpret_cast<float*>(sharedRaw + (base - rawAddress) + T::kQBytes + kStages * T::kKBytes);
  st.h = blockIdx.y;
  const int q0 = blockIdx.x * Rows;
  st.N = p.tokens;
  st.bs = p.blockSize;
  st.blocks = (st.N + st.bs - 1) / st.bs;
  st.head = static_cast<size_t>(st.h) * st.N;
  const auto* Q = static_cast<const __nv_bfloat16*>(p.q) + st.head * D;
  const auto* K = static_cast<const __nv_bfloat16*>(p.k) + st.head * D;
  const int tid = threadIdx.x, N = st.N;
  st.warpgroup = tid / 128;
  st.warp = tid / 32;
  st.lane = tid % 32;
  st.g = st.lane / 4;
  st.t4 = st.lane % 4;
  st.groupStart = q0 + st.warpgroup * 64;  // this warpgroup's 64 rows: one q-block (bs % 64 == 0)
  st.rows[0] = st.groupStart + (st.warp % 4) * 16 + st.g;
  st.rows[1] = st.rows[0] + 8;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    st.lse[r] = st.rows[r] < N ? p.lse[st.head + st.rows[r]] : 0.f;
    st.shift[r] = st.rows[r] < N ? st.lse[r] * kLog2e : INFINITY;  // rows past N: p = 0
  }
  st.scaleLog2 = p.scale * kLog2e;

  const int tiles = (N + kKeys - 1) / kKeys;
  loadTile<Rows, D, T::kThreads>(st.tileQ, Q, q0, N);
  loadTile<kKeys, D, T::kThreads>(st.tileK(0), K, 0, N);
  commitLoads();
  if (tiles > 1) loadTile<kKeys, D, T::kThreads>(st.tileK(1), K, kKeys, N);
  commitLoads();
  waitLoads<1>();
  fenceAsyncProxy();
  __syncthreads();  // Q and K(0) everywhere

  float a[32], b[32];
  st.issueScores(a, 0, 0);
  wgmmaWait<0>();
  int t = 0;
  for (; t + 1 < tiles; ++t) {
    st.issueScores(b, t, 1);
    fenceRegisters(a);
    st.template accumulate<false>(a, t, 0);
    wgmmaWait<0>();
    fenceRegisters(b);
    waitLoads<0>();
    fenceAsyncProxy();
    __syncthreads();  // K(t+1) everywhere; tile t-1's stage and column parts are done with
    if (t + 2 < tiles) loadTile<kKeys, D, T::kThreads>(st.tileK(t + 2), K, (t + 2) * kKeys, N);
    commitLoads();
    if (t > 0) st.flushColumns(t - 1, tid);
    st.issueScores(a, t + 1, 0);
    st.template accumulate<false>(b, t, 1);
    wgmmaWait<0>();
    fenceRegisters(a);
  }
  // The last tile (t = tiles - 1), whose keys may run past N.
  st.issueScores(b, t, 1);
  st.template accumulate<true>(a, t, 0);
  wgmmaWait<0>();
  fenceRegisters(b);
  st.template accumulate<true>(b, t, 1);
  __syncthreads();
  if (t > 0) st.flushColumns(t - 1, tid);
  st.flushColumns(t, tid);

  // Entropy of the renormalised row q = p / Z, in nats.
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    float Z = st.mass[r], W = st.weighted[r];
    Z += __shfl_xor_sync(kFullWarp, Z, 1);
    Z += __shfl_xor_sync(kFullWarp, Z, 2);
    W += __shfl_xor_sync(kFullWarp, W, 1);
    W += __shfl_xor_sync(kFullWarp, W, 2);
    if (st.t4 == 0 && st.rows[r] < N) p.entropy[st.head + st.rows[r]] = st.lse[r] + logf(Z) - p.scale * W / Z;
  }
#endif
}

template <int D, int Rows>
cudaError_t launch(const CaptureLaunchParams& p, cudaStream_t stream) {
  using T = CaptureTile<D, Rows>;
  const auto kernel = captureStatisticsHopperKernel<D, Rows>;
  cudaError_t status = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, T::kSharedBytes);
  if (status != cudaSuccess) return status;
  kernel<<<dim3((p.tokens + Rows - 1) / Rows, p.heads), T::kThreads, T::kSharedBytes, stream>>>(p);
  return cudaGetLastError();
}

template <int D>
cudaError_t launchForRows(const CaptureLaunchParams& p, cudaStream_t stream) {
  if (p.hopperRows == 128) return launch<D, 128>(p, stream);
  if (p.hopperRows == 256 || p.hopperRows == 0) return launch<D, 256>(p, stream);
  return cudaErrorNotSupported;
}

}  // namespace

cudaError_t launchCaptureStatisticsHopper(const CaptureLaunchParams& p, cudaStream_t stream) {
  int device = 0, major = 0, minor = 0;
  if (cudaGetDevice(&device) != cudaSuccess) return cudaErrorNotSupported;
  cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
  cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device);
  if (major != 9 || minor != 0) return cudaErrorNotSupported;  // sm_90a machine code only
  if (p.offsetBase != nullptr) return cudaErrorNotSupported;   // the offset histogram: portable kernel
  if (p.blockSize <= 0 || p.blockSize % 64 != 0) return cudaErrorNotSupported;
  if (p.heads == 0 || p.tokens == 0) return cudaSuccess;
  if (p.headDim == 128) return launchForRows<128>(p, stream);
  if (p.headDim == 64) return launchForRows<64>(p, stream);
  return cudaErrorNotSupported;
}

}  // namespace attnscope::cuda
