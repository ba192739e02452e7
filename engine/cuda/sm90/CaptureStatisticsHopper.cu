// Hopper (sm_90a) capture statistics: the same sums as the portable kernel
// (engine/cuda/capture/CaptureStatisticsKernel.cu), with S = Q K^T on wgmma;
// the per-warpgroup arithmetic is in CaptureHalfTile.cuh.
//
// One CTA per (Rows queries, head): Rows / 64 warpgroups of 64 rows, Q in
// shared memory, K in 128-key tiles through three cp.async stages that
// every thread helps copy, one CTA barrier per tile. Every CTA streams all
// of its head's K through L2, so the query tile sets the L2 traffic: at
// N = 32768, 12 heads, 128 rows read 25.8 GB, 256 rows half that.
// Each tile is taken as two 64-key halves, the next half's multiply issued
// before this half is reduced (see the kernel). The column sums of the
// warps meet in shared memory and go into the global key sums one tile
// later.
// Known limit (NOTES.md, v6): 9.0 ms at N = 32768 against the 5.4 ms the
// bar needs. The time is the multiply plus the reduction, one after the
// other: at 512 threads and 128 registers ptxas issues the next multiply
// only after the exponentials, and a kernel with room for both (three
// warpgroups, warpgroups decoupled on mbarriers) was no faster, since each
// warp then issues ~350 instructions per half at half the issue rate.
#include "engine/cuda/sm90/CaptureHalfTile.cuh"

namespace attnscope::cuda {
namespace {

using namespace sm90;
using namespace sm90::capture;

constexpr int kStages = 3, kPartBuffers = 3;

template <int D, int Rows>
struct CaptureTile {
  static constexpr int kThreads = Rows * 2;  // a warpgroup (128 threads) per 64 rows
  static constexpr int kQBytes = Rows * D * 2;
  static constexpr int kKBytes = kKeys * D * 2;
  static constexpr int kPartsFloats = WarpgroupRows<D, Rows>::kPartsFloats;
  static constexpr int kSharedBytes = 1024 + kQBytes + kStages * kKBytes + kPartBuffers * kPartsFloats * 4;
};

// Software pipeline over 64-key halves: the next half's multiply is issued
// before this half is reduced and waited for after, so none is in flight at
// the loop's back-edge (one there made ptxas serialize every wgmma, C7514).
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
  const uint32_t tileK0 = base + T::kQBytes;
  float* parts0 = reinterpret_cast<float*>(sharedRaw + (base - rawAddress) + T::kQBytes + kStages * T::kKBytes);
  auto tileK = [&](int t) { return tileK0 + (t % kStages) * T::kKBytes; };
  auto parts = [&](int t) { return parts0 + (t % kPartBuffers) * T::kPartsFloats; };

  const int q0 = blockIdx.x * Rows;
  WarpgroupRows<D, Rows> st;
  st.init(p, base, q0);
  const int N = st.N, tid = threadIdx.x;
  const auto* Q = static_cast<const __nv_bfloat16*>(p.q) + st.head * D;
  const auto* K = static_cast<const __nv_bfloat16*>(p.k) + st.head * D;

  const int tiles = (N + kKeys - 1) / kKeys;
  loadTile<Rows, D, T::kThreads>(st.tileQ, Q, q0, N);
  loadTile<kKeys, D, T::kThreads>(tileK(0), K, 0, N);
  commitLoads();
  if (tiles > 1) loadTile<kKeys, D, T::kThreads>(tileK(1), K, kKeys, N);
  commitLoads();
  waitLoads<1>();
  fenceAsyncProxy();
  __syncthreads();  // Q and K(0) everywhere

  float a[32], b[32];
  st.issueScores(a, tileK(0), 0);
  wgmmaWait<0>();
  int t = 0;
  for (; t + 1 < tiles; ++t) {
    st.issueScores(b, tileK(t), 1);
    fenceRegisters(a);
    st.template accumulate<false>(a, t, 0, parts(t));
    wgmmaWait<0>();
    fenceRegisters(b);
    waitLoads<0>();
    fenceAsyncProxy();
    __syncthreads();  // K(t+1) everywhere; tile t-1's stage and column parts are done with
    if (t + 2 < tiles) loadTile<kKeys, D, T::kThreads>(tileK(t + 2), K, (t + 2) * kKeys, N);
    commitLoads();
    if (t > 0) flushColumns<T::kThreads / 32>(p, st.head, parts(t - 1), t - 1, tid);
    st.issueScores(a, tileK(t + 1), 0);
    st.template accumulate<false>(b, t, 1, parts(t));
    wgmmaWait<0>();
    fenceRegisters(a);
  }
  // The last tile (t = tiles - 1), whose keys may run past N.
  st.issueScores(b, tileK(t), 1);
  st.template accumulate<true>(a, t, 0, parts(t));
  wgmmaWait<0>();
  fenceRegisters(b);
  st.template accumulate<true>(b, t, 1, parts(t));
  __syncthreads();
  if (t > 0) flushColumns<T::kThreads / 32>(p, st.head, parts(t - 1), t - 1, tid);
  flushColumns<T::kThreads / 32>(p, st.head, parts(t), t, tid);
  st.writeEntropy();
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
