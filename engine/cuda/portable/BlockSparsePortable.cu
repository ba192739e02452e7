// Portable (sm_80+) block-sparse attention, FlashAttention-2 style: one CTA
// per (q-block, head, batch), one warp per 16 query rows, Q in registers,
// K/V in 64-key tiles double-buffered through cp.async, S = QK^T and O += PV
// with mma.sync.m16n8k16 (bf16 in, float32 accumulation), online softmax in
// base 2. A CTA walks only the kv-blocks its q-block lists.
#include <cmath>

#include "engine/cuda/SparseLaunch.h"
#include "engine/cuda/portable/MmaSync.cuh"

namespace attnscope::cuda {

namespace {

using namespace mma;

constexpr int kKeyTile = 64;  // keys per pipeline stage

template <int D>
constexpr int stageBytes() {
  return 2 * kKeyTile * D * 2;  // a K tile and a V tile
}

template <int D, int Block>
__global__ void __launch_bounds__(Block * 2, 1) sparseAttentionKernel(const SparseLaunchParams p) {
  constexpr int kThreads = Block * 2, kTilesPerBlock = Block / kKeyTile, kTileBytes = kKeyTile * D * 2;
  static_assert(Block * D * 2 <= stageBytes<D>(), "the Q tile borrows stage 1");
  extern __shared__ __align__(128) unsigned char shared[];
  const uint32_t base = sharedAddress(shared);

  const int qBlock = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int N = p.tokens, q0 = qBlock * Block;
  const size_t head = (static_cast<size_t>(b) * p.heads + h) * static_cast<size_t>(N);
  const auto* Q = static_cast<const __nv_bfloat16*>(p.q) + head * D;
  const auto* K = static_cast<const __nv_bfloat16*>(p.k) + head * D;
  const auto* V = static_cast<const __nv_bfloat16*>(p.v) + head * D;

  const int list = h * static_cast<int>(gridDim.x) + qBlock;  // gridDim.x = q-blocks
  const int count = p.counts[list];
  const int32_t* kept = p.indices + static_cast<size_t>(list) * p.maxKept;
  int tiles = count * kTilesPerBlock;
  // The second half of the last block may lie wholly past N: skip it.
  if (kTilesPerBlock == 2 && count > 0 && kept[count - 1] * Block + kKeyTile >= N) --tiles;
  auto tileStart = [&](int t) { return kept[t / kTilesPerBlock] * Block + (t % kTilesPerBlock) * kKeyTile; };
  auto loadKeysValues = [&](int t, int stage) {
    const int k0 = tileStart(t);
    const uint32_t tile = base + stage * stageBytes<D>();
    loadTileAsync<D, kKeyTile, kThreads>(tile, K + static_cast<size_t>(k0) * D, N - k0, tid);
    loadTileAsync<D, kKeyTile, kThreads>(tile + kTileBytes, V + static_cast<size_t>(k0) * D, N - k0, tid);
  };

  // Q goes through stage 1's space into registers, then the pipeline starts.
  const uint32_t qTile = base + stageBytes<D>();
  loadTileAsync<D, Block, kThreads>(qTile, Q + static_cast<size_t>(q0) * D, N - q0, tid);
  if (tiles > 0) loadKeysValues(0, 0);
  commitAsync();
  waitAsync<0>();
  __syncthreads();
  uint32_t qa[D / 16][4];
  loadRowFragments<D>(qa, qTile, warp * 16, lane);
  __syncthreads();
  if (tiles > 1) loadKeysValues(1, 1);
  commitAsync();

  float o[D / 8][4];
#pragma unroll
  for (int d = 0; d < D / 8; ++d) o[d][0] = o[d][1] = o[d][2] = o[d][3] = 0.f;
  float rowMax[2] = {-INFINITY, -INFINITY}, rowSum[2] = {0.f, 0.f};  // rows g and g + 8
  const float scaleLog2 = p.scale * kLog2e;

  for (int t = 0; t < tiles; ++t) {
    const int stage = t & 1;
    waitAsync<1>();  // tile t has landed; tile t + 1 may still be in flight
    __syncthreads();
    const uint32_t keyTile = base + stage * stageBytes<D>(), valueTile = keyTile + kTileBytes;
    float s[kKeyTile / 8][4];
    scoresTimesKeys<D, kKeyTile>(s, qa, keyTile, lane);

    const int k0 = tileStart(t);
    if (k0 + kKeyTile > N) {  // keys past the end take no mass
#pragma unroll
      for (int j = 0; j < kKeyTile / 8; ++j)
#pragma unroll
        for (int e = 0; e < 2; ++e)
          if (k0 + j * 8 + 2 * (lane % 4) + e >= N) s[j][e] = s[j][2 + e] = -INFINITY;
    }

    // Online softmax: every tile holds a valid key, so the new max is finite.
    float tileMax[2] = {rowMax[0], rowMax[1]};
#pragma unroll
    for (int j = 0; j < kKeyTile / 8; ++j) {
      tileMax[0] = fmaxf(tileMax[0], fmaxf(s[j][0], s[j][1]));
      tileMax[1] = fmaxf(tileMax[1], fmaxf(s[j][2], s[j][3]));
    }
    float correction[2], shift[2], partial[2] = {0.f, 0.f};
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      tileMax[r] = fmaxf(tileMax[r], __shfl_xor_sync(kFullWarp, tileMax[r], 1));
      tileMax[r] = fmaxf(tileMax[r], __shfl_xor_sync(kFullWarp, tileMax[r], 2));
      correction[r] = exp2f((rowMax[r] - tileMax[r]) * scaleLog2);
      rowMax[r] = tileMax[r];
      shift[r] = tileMax[r] * scaleLog2;
    }
#pragma unroll
    for (int j = 0; j < kKeyTile / 8; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        s[j][e] = exp2f(fmaf(s[j][e], scaleLog2, -shift[e / 2]));
        partial[e / 2] += s[j][e];
      }
#pragma unroll
    for (int r = 0; r < 2; ++r) rowSum[r] = rowSum[r] * correction[r] + partial[r];
#pragma unroll
    for (int d = 0; d < D / 8; ++d) {
      o[d][0] *= correction[0];
      o[d][1] *= correction[0];
      o[d][2] *= correction[1];
      o[d][3] *= correction[1];
    }

    // O += P V, P straight from the score accumulators as A fragments.
#pragma unroll
    for (int kk = 0; kk < kKeyTile / 16; ++kk) {
      const uint32_t pa[4] = {packBf16(s[2 * kk][0], s[2 * kk][1]), packBf16(s[2 * kk][2], s[2 * kk][3]),
                              packBf16(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                              packBf16(s[2 * kk + 1][2], s[2 * kk + 1][3])};
#pragma unroll
      for (int dp = 0; dp < D / 16; ++dp) {
        uint32_t vb[4];
        loadMatrixX4Transposed(
            vb, valueTile + tileOffset<D>(kk * 16 + lane % 8 + ((lane / 8) % 2) * 8, dp * 16 + (lane / 16) * 8));
        mmaBf16(o[2 * dp], pa, vb[0], vb[1]);
        mmaBf16(o[2 * dp + 1], pa, vb[2], vb[3]);
      }
    }
    __syncthreads();  // stage is free again
    if (t + 2 < tiles) loadKeysValues(t + 2, stage);
    commitAsync();
  }
  waitAsync<0>();

#pragma unroll
  for (int r = 0; r < 2; ++r) {
    rowSum[r] += __shfl_xor_sync(kFullWarp, rowSum[r], 1);
    rowSum[r] += __shfl_xor_sync(kFullWarp, rowSum[r], 2);
  }
  // An empty q-block (no tile) writes zeros and lse = -inf.
  const float inverse[2] = {rowSum[0] > 0.f ? 1.f / rowSum[0] : 0.f, rowSum[1] > 0.f ? 1.f / rowSum[1] : 0.f};
  const int rows[2] = {q0 + warp * 16 + lane / 4, q0 + warp * 16 + lane / 4 + 8};
  auto* out = static_cast<__nv_bfloat16*>(p.out) + head * D;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    if (rows[r] >= N) continue;
    __nv_bfloat16* row = out + static_cast<size_t>(rows[r]) * D + 2 * (lane % 4);
#pragma unroll
    for (int d = 0; d < D / 8; ++d)
      *reinterpret_cast<__nv_bfloat162*>(row + d * 8) =
          __floats2bfloat162_rn(o[d][2 * r] * inverse[r], o[d][2 * r + 1] * inverse[r]);
    if (p.lse != nullptr && lane % 4 == 0)
      p.lse[head + rows[r]] = rowSum[r] > 0.f ? rowMax[r] * p.scale + logf(rowSum[r]) : -INFINITY;
  }
}

template <int D, int Block>
cudaError_t launch(const SparseLaunchParams& p, cudaStream_t stream) {
  constexpr int kSharedBytes = 2 * stageBytes<D>();
  const auto kernel = sparseAttentionKernel<D, Block>;
  cudaError_t status = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSharedBytes);
  if (status != cudaSuccess) return status;
  kernel<<<dim3(p.queryBlocks(), p.heads, p.batch), Block * 2, kSharedBytes, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launchSparsePortable(const SparseLaunchParams& p, cudaStream_t stream) {
  int device = 0, major = 0;
  cudaError_t status = cudaGetDevice(&device);
  if (status == cudaSuccess) status = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
  if (status != cudaSuccess) return status;
  if (major < 8) return cudaErrorNotSupported;  // cp.async, ldmatrix and bf16 mma need sm_80
  if (p.batch == 0 || p.heads == 0 || p.tokens == 0) return cudaSuccess;
  if (p.headDim == 64 && p.blockSize == 64) return launch<64, 64>(p, stream);
  if (p.headDim == 64 && p.blockSize == 128) return launch<64, 128>(p, stream);
  if (p.headDim == 128 && p.blockSize == 64) return launch<128, 64>(p, stream);
  if (p.headDim == 128 && p.blockSize == 128) return launch<128, 128>(p, stream);
  return cudaErrorNotSupported;
}

}  // namespace attnscope::cuda
