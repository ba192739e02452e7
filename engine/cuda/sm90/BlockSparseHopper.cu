// Hopper (sm_90a) block-sparse attention with wgmma.
//
// One CTA per (q-block, head, batch): BS/64 warpgroups, each owning 64 query
// rows of the q-block. The CTA walks the q-block's kv list; K and V tiles run
// through three shared-memory stages, fetched with cp.async one listed block
// ahead. Per tile and warpgroup: S = Q K^T (wgmma, both operands in shared
// memory), online softmax in registers (exp2, float32), then O += P V (wgmma,
// P from registers, V transposed from shared memory).
//
// Software pipeline (FlashAttention-3's intra-warpgroup overlap): iteration j
// issues S(j) and O += P(j-1) V(j-1) together, waits for S(j) only, and runs
// tile j's softmax on the CUDA cores and MUFU while the tensor cores are still
// busy with P(j-1) V(j-1). Nothing is in flight at the loop's back-edge, so
// ptxas keeps the wgmmas asynchronous (no C7514). Tile j-1's V is still read
// while tile j+1 is fetched: hence three stages.
//
// Tiles are stored in 128-byte swizzle atoms (8 rows x 64 bf16), the layout
// wgmma reads without bank conflicts: element (r, c) of a tile of R rows sits
// in column panel c / 64 at byte r * 128 + ((c % 64 / 8) ^ (r % 8)) * 16 + (c % 8) * 2.
#include <cuda_bf16.h>

#include <cmath>
#include <cstdint>

#include "engine/cuda/SparseLaunch.h"
#include "engine/cuda/sm90/HopperTiles.cuh"
#include "engine/cuda/sm90/Wgmma.cuh"

namespace attnscope::cuda {
namespace {

using namespace sm90;

template <int HeadDim, int Block>
struct HopperTile {
  static constexpr int kWarpgroups = Block / 64;
  static constexpr int kThreads = 128 * kWarpgroups;
  static constexpr int kTileBytes = Block * HeadDim * 2;
  static constexpr int kStages = 3;
  // Q, then K and V per stage; +1024 to align the first tile.
  static constexpr int kSharedBytes = kTileBytes * (1 + 2 * kStages) + 1024;
  static constexpr int kScoreRegs = Block / 2;        // S: 64 x Block per warpgroup
  static constexpr int kOutRegs = HeadDim / 2;        // O: 64 x HeadDim per warpgroup
};

template <int HeadDim, int Block>
__global__ void __launch_bounds__(HopperTile<HeadDim, Block>::kThreads, 1)
    blockSparseHopperKernel(const SparseLaunchParams p) {
#if defined(__CUDA_ARCH__) && !defined(__CUDA_ARCH_FEAT_SM90_ALL)
  __trap();  // built for another target by mistake: wgmma needs sm_90a (the launcher checks first)
#else
  using T = HopperTile<HeadDim, Block>;
  extern __shared__ uint8_t sharedRaw[];
  const uint32_t base = (sharedAddress(sharedRaw) + 1023) & ~1023u;
  const uint32_t tileQ = base;
  auto tileK = [&](int stage) { return base + T::kTileBytes * (1 + 2 * stage); };
  auto tileV = [&](int stage) { return base + T::kTileBytes * (2 + 2 * stage); };

  const int qBlock = blockIdx.x, head = blockIdx.y, batch = blockIdx.z;
  const int nq = p.queryBlocks();
  const int64_t headOffset = (static_cast<int64_t>(batch) * p.heads + head) * p.tokens * HeadDim;
  const auto* q = static_cast<const __nv_bfloat16*>(p.q) + headOffset;
  const auto* k = static_cast<const __nv_bfloat16*>(p.k) + headOffset;
  const auto* v = static_cast<const __nv_bfloat16*>(p.v) + headOffset;
  auto* out = static_cast<__nv_bfloat16*>(p.out) + headOffset;
  const int count = p.counts[head * nq + qBlock];
  const int32_t* list = p.indices + static_cast<int64_t>(head * nq + qBlock) * p.maxKept;

  const int warpgroup = threadIdx.x / 128, warp = (threadIdx.x % 128) / 32, lane = threadIdx.x % 32;
  // This thread's two query rows (accumulator fragment rows r and r + 8).
  const int rowInGroup = warp * 16 + lane / 4;
  const int row0 = qBlock * Block + warpgroup * 64 + rowInGroup, row1 = row0 + 8;

  float o[T::kOutRegs];
#pragma unroll
  for (int i = 0; i < T::kOutRegs; ++i) o[i] = 0.f;
  float rowMax[2] = {-INFINITY, -INFINITY}, rowSum[2] = {0.f, 0.f};
  const float scaleLog2 = p.scale * 1.4426950408889634f;
  float s[T::kScoreRegs];         // S(j), then P(j) in float32
  uint32_t pa[Block / 16][4];     // P(j) as the A fragments of O += P V

  // S = Q K(j)^T for this warpgroup's 64 rows (committed, not waited for).
  auto issueScores = [&](int j) {
    wgmmaFence();
#pragma unroll
    for (int kk = 0; kk < HeadDim / 16; ++kk) {
      const uint32_t panelOffset = (kk / 4) * Block * 128 + (kk % 4) * 32;
      const uint64_t descQ = sharedDescriptor(tileQ + panelOffset + warpgroup * 64 * 128, 16, 1024);
      const uint64_t descK = sharedDescriptor(tileK(j % T::kStages) + panelOffset, 16, 1024);
      if constexpr (Block == 128)
        wgmmaSS_n128(s, descQ, descK, kk > 0);
      else
        wgmmaSS_n64(s, descQ, descK, kk > 0);
    }
    wgmmaCommit();
  };
  // O += P(j) V(j) (committed, not waited for).
  auto issueValues = [&](int j) {
    wgmmaFence();
    fenceRegisters(o);
#pragma unroll
    for (int kk = 0; kk < Block / 16; ++kk) {
      const uint64_t descV = sharedDescriptor(tileV(j % T::kStages) + kk * 16 * 128, Block * 128, 1024);
      if constexpr (HeadDim == 128)
        wgmmaRS_n128(o, pa[kk], descV);
      else
        wgmmaRS_n64(o, pa[kk], descV);
    }
    wgmmaCommit();
  };
  // Online softmax of tile j in place: s becomes P(j) = exp2(S * scale - max);
  // returns through `rescale` what the output accumulated so far is scaled by.
  auto softmax = [&](int j, float (&rescale)[2]) {
    const int keyBase = list[j] * Block;
    if (keyBase + Block > p.tokens) {  // keys past the end (only in a partial last block)
#pragma unroll
      for (int i = 0; i < T::kScoreRegs; ++i) {
        const int key = keyBase + 8 * (i / 4) + 2 * (lane % 4) + (i % 2);
        if (key >= p.tokens) s[i] = -INFINITY;
      }
    }
    float tileMax[2] = {-INFINITY, -INFINITY};
#pragma unroll
    for (int i = 0; i < T::kScoreRegs; ++i) tileMax[(i / 2) % 2] = fmaxf(tileMax[(i / 2) % 2], s[i]);
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      tileMax[r] = fmaxf(tileMax[r], __shfl_xor_sync(0xffffffff, tileMax[r], 1));
      tileMax[r] = fmaxf(tileMax[r], __shfl_xor_sync(0xffffffff, tileMax[r], 2));
      const float newMax = fmaxf(rowMax[r], tileMax[r] * scaleLog2);
      rescale[r] = fastExp2(rowMax[r] - newMax);
      rowMax[r] = newMax;
      rowSum[r] *= rescale[r];
    }
#pragma unroll
    for (int i = 0; i < T::kScoreRegs; ++i) {
      const int r = (i / 2) % 2;
      s[i] = fastExp2(fmaf(s[i], scaleLog2, -rowMax[r]));
      rowSum[r] += s[i];
    }
  };
  auto packProbabilities = [&] {
#pragma unroll
    for (int i = 0; i < T::kScoreRegs; i += 2) pa[i / 8][(i % 8) / 2] = packBf16(s[i], s[i + 1]);
  };
  // Tile j (K and V) into stage j % kStages, as one cp.async group.
  auto fetch = [&](int j) {
    const int keys = list[j] * Block;
    loadTile<Block, HeadDim, T::kThreads>(tileK(j % T::kStages), k, keys, p.tokens);
    loadTile<Block, HeadDim, T::kThreads>(tileV(j % T::kStages), v, keys, p.tokens);
  };

  if (count > 0) {
    loadTile<Block, HeadDim, T::kThreads>(tileQ, q, qBlock * Block, p.tokens);
    fetch(0);
    commitLoads();
    if (count > 1) fetch(1);
    commitLoads();
    waitLoads<1>();  // Q and tile 0
    fenceAsyncProxy();
    __syncthreads();
    issueScores(0);
    wgmmaWait<0>();
    fenceRegisters(s);
    float rescale[2];
    softmax(0, rescale);
    packProbabilities();
  }
  for (int j = 1; j < count; ++j) {
    waitLoads<0>();  // tile j
    fenceAsyncProxy();
    __syncthreads();  // tile j everywhere; every warpgroup is done with tile j - 2's stage
    if (j + 1 < count) fetch(j + 1);
    commitLoads();
    issueScores(j);
    issueValues(j - 1);
    wgmmaWait<1>();  // S(j); P(j-1) V(j-1) may still run
    fenceRegisters(s);
    float rescale[2];
    softmax(j, rescale);
    wgmmaWait<0>();
    fenceRegisters(o);
    fenceRegisters(pa);  // the multiply read pa until here: no reuse of its registers before
#pragma unroll
    for (int i = 0; i < T::kOutRegs; ++i) o[i] *= rescale[(i / 2) % 2];
    packProbabilities();
  }
  if (count > 0) {
    issueValues(count - 1);
    wgmmaWait<0>();
    fenceRegisters(o);
    fenceRegisters(pa);
  }

  // Normalise and store; rows of an empty q-block get zeros and lse = -inf.
  float inverse[2], lse[2];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    rowSum[r] += __shfl_xor_sync(0xffffffff, rowSum[r], 1);
    rowSum[r] += __shfl_xor_sync(0xffffffff, rowSum[r], 2);
    inverse[r] = rowSum[r] > 0.f ? 1.f / rowSum[r] : 0.f;
    lse[r] = rowSum[r] > 0.f ? (rowMax[r] + log2f(rowSum[r])) * 0.6931471805599453f : -INFINITY;
  }
  const int rows[2] = {row0, row1};
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    if (rows[r] >= p.tokens) continue;
    __nv_bfloat16* dst = out + static_cast<int64_t>(rows[r]) * HeadDim + 2 * (lane % 4);
#pragma unroll
    for (int i = 2 * r; i < T::kOutRegs; i += 4) {
      const __nv_bfloat162 pair = __floats2bfloat162_rn(o[i] * inverse[r], o[i + 1] * inverse[r]);
      *reinterpret_cast<__nv_bfloat162*>(dst + 8 * (i / 4)) = pair;
    }
    if (p.lse && lane % 4 == 0)
      p.lse[(static_cast<int64_t>(batch) * p.heads + head) * p.tokens + rows[r]] = lse[r];
  }
#endif
}

template <int HeadDim, int Block>
cudaError_t launch(const SparseLaunchParams& p, cudaStream_t stream) {
  using T = HopperTile<HeadDim, Block>;
  auto kernel = blockSparseHopperKernel<HeadDim, Block>;
  cudaError_t status = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, T::kSharedBytes);
  if (status != cudaSuccess) return status;
  const dim3 grid(p.queryBlocks(), p.heads, p.batch);
  kernel<<<grid, T::kThreads, T::kSharedBytes, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launchSparseHopper(const SparseLaunchParams& p, cudaStream_t stream) {
  int device = 0, major = 0, minor = 0;
  if (cudaGetDevice(&device) != cudaSuccess) return cudaErrorNotSupported;
  cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
  cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device);
  if (major != 9 || minor != 0) return cudaErrorNotSupported;  // sm_90a machine code only
  if (p.tokens <= 0 || p.batch <= 0 || p.heads <= 0) return cudaSuccess;
  if (p.headDim == 128 && p.blockSize == 128) return launch<128, 128>(p, stream);
  if (p.headDim == 128 && p.blockSize == 64) return launch<128, 64>(p, stream);
  if (p.headDim == 64 && p.blockSize == 128) return launch<64, 128>(p, stream);
  if (p.headDim == 64 && p.blockSize == 64) return launch<64, 64>(p, stream);
  return cudaErrorNotSupported;
}

}  // namespace attnscope::cuda
