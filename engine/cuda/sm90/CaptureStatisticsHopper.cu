// Hopper (sm_90a) capture statistics: the same sums as the portable kernel
// (engine/cuda/capture/CaptureStatisticsKernel.cu), with S = Q K^T on wgmma.
//
// A CTA holds Groups (1 or 2) groups of 128 queries of one head; a group is
// two warpgroups of 64 rows with its own K ring (128-key tiles, two stages,
// cp.async) and its own barrier. Per tile a group multiplies S = Q K^T
// (wgmma, 1024 tensor clocks for 128 x 128 at D = 128) and then spends about
// as long on the MUFU (16384 exponentials at 16 per clock). With two groups
// the multiplies ping-pong (named barriers, after FlashAttention-3): a group
// issues its multiply only after the other has issued its own, so one
// group's exponentials run while the other's multiply does. (A CTA-wide
// barrier per tile kept every warpgroup in lockstep: all multiplied, then
// all exponentiated, 3000 clocks per tile instead of ~1100.)
// Per tile and row pair:
//   - p = 2^(s * scale * log2e - lse * log2e) in float32 (ex2.approx),
//   - row sums of p and of p * s (entropy) in float32,
//   - p packed as f16 pairs, which are mma.m16n8k16 A fragments (the
//     accumulator layout is the A layout); movmatrix-transposed, times a
//     ones matrix on the tensor cores, they give the column sums (mass per
//     key) of the warp's 16 rows, instead of ~140 shuffles and selects;
//   - the group's 8 warps' column sums meet in shared memory and are added
//     into the global per-key sums one tile later (one barrier per tile);
//   - pooled sums per (q-block, 64-key half) from the column sums, one
//     atomicAdd per warp and half.
// Entropy per row: lse + log Z - scale * sum(p s) / Z, Z = sum p.
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

constexpr int kKeys = 128, kStages = 2;
constexpr unsigned kFullWarp = 0xffffffffu;
constexpr float kLog2e = 1.4426950408889634f;
constexpr uint32_t kHalfOnes = 0x3C003C00u;  // two f16 1.0

constexpr int kGroupThreads = 256, kGroupRows = 128, kGroupWarps = kGroupThreads / 32;

template <int D, int Groups>
struct CaptureTile {
  static constexpr int kRows = kGroupRows * Groups;
  static constexpr int kThreads = kGroupThreads * Groups;
  static constexpr int kQBytes = kRows * D * 2;
  static constexpr int kKBytes = kKeys * D * 2;
  static constexpr int kPartsFloats = kGroupWarps * kKeys;  // per group and buffer (two)
  static constexpr int kSharedBytes = 1024 + kQBytes + Groups * (kStages * kKBytes + 2 * kPartsFloats * 4);
};

__device__ __forceinline__ void groupBarrier(int id) {
  asm volatile("bar.sync %0, %1;" ::"r"(id), "n"(kGroupThreads) : "memory");
}
__device__ __forceinline__ void pairSync(int id) {
  asm volatile("bar.sync %0, %1;" ::"r"(id), "n"(2 * kGroupThreads) : "memory");
}
__device__ __forceinline__ void pairArrive(int id) {
  asm volatile("bar.arrive %0, %1;" ::"r"(id), "n"(2 * kGroupThreads) : "memory");
}

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

// What a thread keeps across tiles, lean on purpose: at 512 threads every
// register counts (128 each), and S alone takes 64.
template <int D, int Groups>
struct CaptureState {
  using T = CaptureTile<D, Groups>;
  uint32_t descQ;       // wgmma descriptor of this warpgroup's Q rows
  uint32_t tileK0;      // the group's K ring
  float* columnParts;   // this warp's row of the group's column parts (buffer 0), + g
  float* pooledRow;     // pooledSums of this warpgroup's q-block: [blocks] (null when its rows are past N)
  float* keySums;       // this head's [N]
  int N, bs, t4, rowsValid;
  float shift[2], scaleLog2;
  float mass[2] = {0.f, 0.f}, weighted[2] = {0.f, 0.f};  // sum p, sum p * s per row

  __device__ uint32_t tileK(int t) const { return tileK0 + (t % kStages) * T::kKBytes; }

  // Issues S = Q K(t)^T for this warpgroup's 64 rows (the caller waits).
  // Descriptors: one base each, the k-step's byte offset / 16 added to the
  // address field (shared addresses < 256 KB: the 14-bit field never carries).
  __device__ __forceinline__ void issueScores(float (&s)[64], int t) const {
    uint32_t qAddress;  // opaque copy: keeps the compiler from hoisting eight 64-bit Q descriptors (16 registers)
    asm volatile("mov.b32 %0, %1;" : "=r"(qAddress) : "r"(descQ));
    const uint64_t baseQ = sharedDescriptor(qAddress, 16, 1024);
    const uint64_t baseK = sharedDescriptor(tileK(t), 16, 1024);
    wgmmaFence();
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      const uint64_t descQk = baseQ + (((kk / 4) * T::kRows * 128 + (kk % 4) * 32) >> 4);
      const uint64_t descK = baseK + (((kk / 4) * kKeys * 128 + (kk % 4) * 32) >> 4);
      wgmmaSS_n128(s, descQk, descK, kk > 0);
    }
    wgmmaCommit();
  }

  // The statistics of tile t from its scores. Partial: the last tile when N
  // is not a multiple of 128 (keys past N masked); a separate instantiation
  // keeps the ~200 compares and selects out of every other tile.
  template <bool Partial>
  __device__ __forceinline__ void accumulate(float (&s)[64], int t) {
    const int k0 = t * kKeys;
    float halfSums[2] = {0.f, 0.f};
    float* part = columnParts + (t & 1) * T::kPartsFloats;
#pragma unroll
    for (int m = 0; m < 8; ++m) {
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
        part[16 * m] = column[0];
        part[16 * m + 8] = column[2];
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
      if (rowsValid && keyStart < N) atomicAdd(pooledRow + keyStart / bs, v);
    }
  }

  // The group's 8 warps' column sums of tile t into the global key sums.
  // parts: the group's buffer 0; tid: within the group.
  __device__ __forceinline__ void flushColumns(const float* parts, int t, int tid) const {
    const int k0 = t * kKeys;
    if (tid < kKeys && k0 + tid < N) {
      const float* part = parts + (t & 1) * T::kPartsFloats;
      float sum = 0.f;
#pragma unroll
      for (int w = 0; w < kGroupWarps; ++w) sum += part[w * kKeys + tid];
      atomicAdd(keySums + k0 + tid, sum);
    }
  }
};

template <int D, int Groups>
__global__ void __launch_bounds__(CaptureTile<D, Groups>::kThreads, 2 / Groups)
    captureStatisticsHopperKernel(const CaptureLaunchParams p) {
#if defined(__CUDA_ARCH__) && !defined(__CUDA_ARCH_FEAT_SM90_ALL)
  __trap();  // wgmma needs sm_90a machine code (the launcher checks first)
#else
  using T = CaptureTile<D, Groups>;
  extern __shared__ uint8_t sharedRaw[];
  const uint32_t rawAddress = sharedAddress(sharedRaw);
  const uint32_t base = (rawAddress + 1023) & ~1023u;
  const int tid = threadIdx.x, group = tid / kGroupThreads, groupTid = tid % kGroupThreads;

  const int h = blockIdx.y, q0 = blockIdx.x * T::kRows, N = p.tokens;
  const size_t head = static_cast<size_t>(h) * N;
  const auto* Q = static_cast<const __nv_bfloat16*>(p.q) + head * D;
  const auto* K = static_cast<const __nv_bfloat16*>(p.k) + head * D;
  const int warpgroup = tid / 128, warp = groupTid / 32, lane = tid % 32, g = lane / 4;
  const int groupStart = q0 + warpgroup * 64;  // this warpgroup's 64 rows: one q-block (bs % 64 == 0)
  const int rows[2] = {groupStart + (warp % 4) * 16 + g, groupStart + (warp % 4) * 16 + g + 8};
  const int blocks = (N + p.blockSize - 1) / p.blockSize;
  const uint32_t groupShared = base + T::kQBytes + group * (kStages * T::kKBytes + 2 * T::kPartsFloats * 4);
  float* parts = reinterpret_cast<float*>(sharedRaw + (groupShared - rawAddress) + kStages * T::kKBytes);

  CaptureState<D, Groups> st;
  st.descQ = base + warpgroup * 64 * 128;
  st.tileK0 = groupShared;
  st.columnParts = parts + warp * kKeys + g;
  st.pooledRow = p.pooledSums + (static_cast<size_t>(h) * blocks + groupStart / p.blockSize) * blocks;
  st.keySums = p.keySums + head;
  st.N = N;
  st.bs = p.blockSize;
  st.t4 = lane % 4;
  st.rowsValid = lane == 0 && rows[0] < N;
#pragma unroll
  for (int r = 0; r < 2; ++r) st.shift[r] = rows[r] < N ? p.lse[head + rows[r]] * kLog2e : INFINITY;  // past N: p = 0
  st.scaleLog2 = p.scale * kLog2e;

  const int tiles = (N + kKeys - 1) / kKeys;
  loadTile<T::kRows, D, T::kThreads>(base, Q, q0, N);
  loadTile<kKeys, D, kGroupThreads>(st.tileK(0), K, 0, N, groupTid);
  commitLoads();
  const int groupBar = 1 + group, turnBar = 3 + group, otherTurnBar = 3 + (1 - group);
  if (Groups == 2 && group == 1) pairArrive(otherTurnBar);  // group 0 multiplies first
  for (int t = 0; t < tiles; ++t) {
    waitLoads<0>();
    fenceAsyncProxy();
    if (Groups == 1 || t == 0)
      __syncthreads();  // Q (loaded by everyone) and K(0); with one group, as below
    else
      groupBarrier(groupBar);  // K(t) in the group; K(t-1)'s stage and tile t-1's column parts are free
    if (t + 1 < tiles) {
      int copier;  // opaque copy: the copy's per-chunk addresses are recomputed, not held (~16 registers)
      asm volatile("mov.b32 %0, %1;" : "=r"(copier) : "r"(groupTid));
      loadTile<kKeys, D, kGroupThreads>(st.tileK(t + 1), K, (t + 1) * kKeys, N, copier);
    }
    commitLoads();
    if (t > 0) st.flushColumns(parts, t - 1, groupTid);
    float s[64];
    if (Groups == 2) pairSync(turnBar);  // the other group has issued its multiply
    st.issueScores(s, t);
    if (Groups == 2 && !(group == 1 && t == tiles - 1)) pairArrive(otherTurnBar);
    wgmmaWait<0>();
    fenceRegisters(s);
    if ((t + 1) * kKeys <= N)
      st.template accumulate<false>(s, t);
    else
      st.template accumulate<true>(s, t);
  }
  if (Groups == 1)
    __syncthreads();
  else
    groupBarrier(groupBar);
  st.flushColumns(parts, tiles - 1, groupTid);

  // Entropy of the renormalised row q = p / Z, in nats: lse + ln Z - scale * sum(p s) / Z.
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    float Z = st.mass[r], W = st.weighted[r];
    Z += __shfl_xor_sync(kFullWarp, Z, 1);
    Z += __shfl_xor_sync(kFullWarp, Z, 2);
    W += __shfl_xor_sync(kFullWarp, W, 1);
    W += __shfl_xor_sync(kFullWarp, W, 2);
    if (st.t4 == 0 && rows[r] < N) p.entropy[head + rows[r]] = p.lse[head + rows[r]] + logf(Z) - p.scale * W / Z;
  }
#endif
}

template <int D, int Groups>
cudaError_t launch(const CaptureLaunchParams& p, cudaStream_t stream) {
  using T = CaptureTile<D, Groups>;
  const auto kernel = captureStatisticsHopperKernel<D, Groups>;
  cudaError_t status = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, T::kSharedBytes);
  if (status != cudaSuccess) return status;
  kernel<<<dim3((p.tokens + T::kRows - 1) / T::kRows, p.heads), T::kThreads, T::kSharedBytes, stream>>>(p);
  return cudaGetLastError();
}

// hopperRows 256 (the default): two ping-pong groups per CTA; 128: one group
// per CTA, two CTAs per SM, no ordering between them.
template <int D>
cudaError_t launchForRows(const CaptureLaunchParams& p, cudaStream_t stream) {
  if (p.hopperRows == 128) return launch<D, 1>(p, stream);
  if (p.hopperRows == 256 || p.hopperRows == 0) return launch<D, 2>(p, stream);
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
