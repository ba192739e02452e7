// Torch-facing glue of the fused capture kernel: input checks, the sum
// buffers, the offset bases from the natural token index, and the divisions
// that turn sums into means. q and k run in bf16 (float32 inputs are rounded
// to bf16 first, as the GPU's dense pass does); scores accumulate in float32.
//
// Offsets: accumulated in a shared-memory histogram per CTA, so only when
// request.naturalIndex is defined AND the (2F-1)(2H-1)(2W-1) bins fit in the
// device's shared memory next to the K tiles (about 48 000 bins on an H100
// at head dim 128: a 16x32x32 grid's 31 x 63 x 63 = 123 039 bins do not); otherwise
// CaptureStatistics::offsets stays undefined.
#include "engine/cuda/CaptureStatistics.h"

#include <cmath>
#include <vector>

#include "engine/core/Error.h"

#ifdef ATTNSCOPE_HAVE_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>

#include "engine/cuda/capture/CaptureLaunch.h"
#endif

namespace attnscope::cuda {

std::string captureKernelName(CaptureKernel kernel) {
  switch (kernel) {
    case CaptureKernel::Auto: return "auto";
    case CaptureKernel::Hopper: return "Hopper";
    case CaptureKernel::Portable: return "portable";
  }
  return "unknown";
}

#ifdef ATTNSCOPE_HAVE_CUDA

namespace {

void check(bool ok, const std::string& what) {
  if (!ok) throw Error("GPU capture: " + what);
}

std::string shapeOf(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

// Base bin of each layout token's natural (f, y, x) position; offsetBase in CaptureLaunch.h.
torch::Tensor offsetBases(const torch::Tensor& naturalIndex, const TokenGrid& grid, int64_t N) {
  check(naturalIndex.dim() == 1 && naturalIndex.size(0) == N,
        "naturalIndex must be [N] = [" + std::to_string(N) + "], got " + shapeOf(naturalIndex));
  check(grid.videoTokens() == N,
        "the grid " + grid.str() + " has " + std::to_string(grid.videoTokens()) + " tokens, q has " + std::to_string(N));
  auto natural = naturalIndex.to(torch::kCPU, torch::kInt64).contiguous();
  const int64_t* index = natural.data_ptr<int64_t>();
  auto bases = torch::empty({N}, torch::kInt32);
  int32_t* out = bases.data_ptr<int32_t>();
  for (int64_t i = 0; i < N; ++i) {
    check(index[i] >= 0 && index[i] < N, "naturalIndex[" + std::to_string(i) + "] = " + std::to_string(index[i]) +
                                             " is outside [0, " + std::to_string(N) + ")");
    const TokenCoord c = tokenCoord(grid, index[i]);
    out[i] = static_cast<int32_t>((c.f * (2 * grid.height - 1) + c.y) * (2 * grid.width - 1) + c.x);
  }
  return bases;
}

}  // namespace

CaptureStatistics captureStatistics(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& lse,
                                    const CaptureRequest& request) {
  check(q.dim() == 3 && k.sizes() == q.sizes(),
        "q and k must both be [H, N, D] of one shape, got " + shapeOf(q) + " and " + shapeOf(k));
  check(q.is_cuda() && k.device() == q.device() && lse.device() == q.device(),
        "q, k and lse must be on one CUDA device");
  const int64_t H = q.size(0), N = q.size(1), D = q.size(2);
  check(D == 64 || D == 128, "head dim " + std::to_string(D) + " is not supported (64 or 128)");
  check(lse.dim() == 2 && lse.size(0) == H && lse.size(1) == N,
        "lse must be [H, N] = [" + std::to_string(H) + ", " + std::to_string(N) + "], got " + shapeOf(lse));
  const int64_t bs = request.blockSize;
  check(bs > 0 && bs % 16 == 0 && (64 % bs == 0 || bs % 64 == 0),
        "block size " + std::to_string(bs) + " is not supported (16, 32, or a multiple of 64)");
  check(N < (int64_t(1) << 31) / 128, "too many tokens (" + std::to_string(N) + ")");

  const c10::cuda::CUDAGuard guard(q.device());
  torch::NoGradGuard noGrad;
  auto qb = q.to(torch::kBFloat16).contiguous(), kb = k.to(torch::kBFloat16).contiguous();
  auto lse32 = lse.to(torch::kFloat32).contiguous();
  const auto floats = q.options().dtype(torch::kFloat32);
  const int64_t blocks = (N + bs - 1) / bs;
  auto pooledSums = torch::zeros({H, blocks, blocks}, floats);
  auto keySums = torch::zeros({H, N}, floats);
  auto entropy = torch::empty({H, N}, floats);

  CaptureLaunchParams p;
  p.q = qb.data_ptr();
  p.k = kb.data_ptr();
  p.lse = lse32.data_ptr<float>();
  p.pooledSums = pooledSums.data_ptr<float>();
  p.keySums = keySums.data_ptr<float>();
  p.entropy = entropy.data_ptr<float>();
  p.heads = static_cast<int32_t>(H);
  p.tokens = static_cast<int32_t>(N);
  p.headDim = static_cast<int32_t>(D);
  p.blockSize = static_cast<int32_t>(bs);
  p.scale = static_cast<float>(request.scale > 0 ? request.scale : 1.0 / std::sqrt(double(D)));
  p.hopperRows = static_cast<int32_t>(request.hopperRows);

  torch::Tensor bases, offsetSums;
  const TokenGrid& g = request.grid;
  if (request.naturalIndex.defined()) {
    const int64_t bins = (2 * g.frames - 1) * (2 * g.height - 1) * (2 * g.width - 1);
    if (g.videoTokens() > 0 && bins < (int64_t(1) << 30) && captureOffsetsFit(static_cast<int32_t>(bins), p.headDim)) {
      bases = offsetBases(request.naturalIndex, g, N).to(q.device());
      offsetSums = torch::zeros({H, bins}, floats);
      p.offsetBase = bases.data_ptr<int32_t>();
      p.offsetSums = offsetSums.data_ptr<float>();
      p.offsetBins = static_cast<int32_t>(bins);
      p.offsetCenter =
          static_cast<int32_t>(((g.frames - 1) * (2 * g.height - 1) + (g.height - 1)) * (2 * g.width - 1) + g.width - 1);
    }
  }

  const cudaStream_t stream = at::cuda::getCurrentCUDAStream();
  const CaptureKernel kernel = request.kernel;
  cudaError_t status = cudaErrorNotSupported;
  if (kernel != CaptureKernel::Portable)
    status = launchCaptureStatisticsHopper(p, stream);
  if (status == cudaErrorNotSupported && (kernel == CaptureKernel::Auto || kernel == CaptureKernel::Portable))
    status = launchCaptureStatistics(p, stream);
  check(status != cudaErrorNotSupported || kernel == CaptureKernel::Auto || kernel == CaptureKernel::Portable,
        "the " + captureKernelName(kernel) +
            " kernel needs an sm_90 device, a block size that is a multiple of 64 and no offset histogram");
  check(status == cudaSuccess, captureKernelName(kernel) + " kernel failed: " + cudaGetErrorString(status));

  // Pooled rows: mean over the q-block's valid queries (the last may be short).
  auto queries = torch::full({blocks}, double(bs), floats);
  queries[blocks - 1] = double(N - (blocks - 1) * bs);
  CaptureStatistics out;
  out.pooled = pooledSums.div_(queries.view({1, blocks, 1}));
  out.keyMass = keySums.div_(double(N));
  out.entropy = entropy;
  if (offsetSums.defined())
    out.offsets = offsetSums.div_(double(N)).view({H, 2 * g.frames - 1, 2 * g.height - 1, 2 * g.width - 1});
  return out;
}

#else

CaptureStatistics captureStatistics(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                                    const CaptureRequest&) {
  throw Error("GPU capture: this build of AttnScope was built without CUDA");
}

#endif

}  // namespace attnscope::cuda
