// Correctness checks of the engine's CUDA kernels, runnable without Qt:
//   (a) block-sparse attention, both paths, against a float64 reference on
//       random inputs and random masks (empty and full q-block rows, N a
//       multiple of the block and not), output poisoned with NaN first;
//   (b) fused capture against a float64 reference and against the CPU
//       engine's captureAttention (which defines the semantics);
//   (c) bad inputs raise errors naming the problem.
// Prints PASS / FAIL / SKIP lines; exits 1 on any failure, 77 without a GPU.
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <ATen/cuda/CUDAContext.h>
#include <torch/torch.h>

#include "engine/attention/AttentionKernels.h"
#include "engine/attention/AttentionOp.h"
#include "engine/core/Error.h"
#include "engine/cuda/BlockSparseAttention.h"
#include "engine/cuda/CaptureStatistics.h"
#include "engine/cuda/CudaRuntime.h"
#include "engine/cuda/CudnnAttention.h"
#include "engine/cuda/SparseLaunch.h"
#include "tests/gpu/Reference.h"

using namespace attnscope;
using namespace attnscope::gpucheck;

namespace {

constexpr double kSparseTolerance = 1e-2;   // bf16 output
constexpr double kLseTolerance = 1e-3;      // absolute, nats
constexpr double kCaptureTolerance = 1e-3;  // float32 accumulation

struct Tally {
  int failed = 0, passed = 0;
  void expect(bool ok, const std::string& what) {
    std::printf("%s %s\n", ok ? "PASS" : "FAIL", what.c_str());
    std::fflush(stdout);
    ok ? ++passed : ++failed;
  }
};

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2e", v);
  return buf;
}

torch::Tensor randomInput(std::vector<int64_t> shape, double scale) {
  return (torch::randn(shape, torch::TensorOptions().device(torch::kCUDA)) * scale).to(torch::kBFloat16);
}

// Random per-head masks of the given density; head 0's q-block 1 is empty
// and head 1's q-block 0 full, whatever the density.
std::vector<BlockMask> randomMasks(int64_t heads, int64_t blocks, double density, unsigned seed) {
  std::mt19937 rng(seed);
  std::bernoulli_distribution keep(density);
  std::vector<BlockMask> masks(heads, BlockMask(blocks, blocks));
  for (BlockMask& m : masks)
    for (int64_t q = 0; q < blocks; ++q)
      for (int64_t k = 0; k < blocks; ++k) m.set(q, k, keep(rng));
  if (blocks > 1)
    for (int64_t k = 0; k < blocks; ++k) masks[0].set(1, k, false);
  if (heads > 1)
    for (int64_t k = 0; k < blocks; ++k) masks[1].set(0, k, true);
  return masks;
}

torch::Tensor keepTensor(const std::vector<BlockMask>& masks) {
  const int64_t H = masks.size(), nb = masks[0].nq();
  auto keep = torch::empty({H, nb, nb}, torch::kBool);
  for (int64_t h = 0; h < H; ++h)
    for (int64_t q = 0; q < nb; ++q)
      for (int64_t k = 0; k < nb; ++k) keep[h][q][k] = masks[h].get(q, k);
  return keep;
}

using Launcher = cudaError_t (*)(const cuda::SparseLaunchParams&, cudaStream_t);

void checkSparse(Tally& tally, cuda::KernelPath path, int64_t D, int64_t block, int64_t N, double density,
                 bool& pathMissing) {
  if (pathMissing) return;
  const int64_t B = 2, H = 3, nb = (N + block - 1) / block;
  const std::string name = cuda::kernelPathName(path) + " D=" + std::to_string(D) + " block=" + std::to_string(block) +
                           " N=" + std::to_string(N) + " density=" + fmt(density);
  auto q = randomInput({B, H, N, D}, 1.5), k = randomInput({B, H, N, D}, 1.5), v = randomInput({B, H, N, D}, 1.0);
  const auto masks = randomMasks(H, nb, density, static_cast<unsigned>(N * 7 + D + block));
  std::vector<const BlockMask*> pointers;
  for (const BlockMask& m : masks) pointers.push_back(&m);
  const auto mask = cuda::toKernelMask(pointers, block, q.device());
  const double scale = 1.0 / std::sqrt(double(D));

  // The raw launch, into NaN-poisoned buffers: every element must be written.
  auto out = torch::full_like(q, std::numeric_limits<float>::quiet_NaN());
  auto lse = torch::full({B, H, N}, std::numeric_limits<float>::quiet_NaN(), q.options().dtype(torch::kFloat32));
  cuda::SparseLaunchParams p;
  p.q = q.data_ptr();
  p.k = k.data_ptr();
  p.v = v.data_ptr();
  p.out = out.data_ptr();
  p.lse = lse.data_ptr<float>();
  p.counts = mask.counts.data_ptr<int32_t>();
  p.indices = mask.indices.data_ptr<int32_t>();
  p.maxKept = static_cast<int32_t>(mask.indices.size(2));
  p.batch = B;
  p.heads = H;
  p.tokens = N;
  p.headDim = D;
  p.blockSize = block;
  p.scale = static_cast<float>(scale);
  const Launcher launch = path == cuda::KernelPath::Hopper ? cuda::launchSparseHopper : cuda::launchSparsePortable;
  cudaError_t status = launch(p, at::cuda::getCurrentCUDAStream());
  if (status == cudaErrorNotSupported) {
    pathMissing = true;
    return;
  }
  if (status == cudaSuccess) status = cudaDeviceSynchronize();
  if (status != cudaSuccess) {
    tally.expect(false, "sparse " + name + ": launch failed: " + cudaGetErrorString(status));
    return;
  }
  const auto ref = sparseReference(q, k, v, keepTensor(masks), block, scale);
  const double outError = relativeError(out, ref.out);
  const bool sameEmpty = torch::equal(torch::isneginf(lse), torch::isneginf(ref.lse));
  auto finite = torch::isfinite(ref.lse);
  const bool lseNaN = torch::isnan(lse).any().item<bool>();
  const double lseError =
      lseNaN ? std::numeric_limits<double>::infinity()
             : (lse.to(torch::kDouble).masked_select(finite) - ref.lse.masked_select(finite)).abs().max().item<double>();
  tally.expect(outError <= kSparseTolerance && sameEmpty && lseError <= kLseTolerance,
               "sparse " + name + ": |out-ref|/|ref| " + fmt(outError) + ", max |lse-ref| " + fmt(lseError) +
                   (sameEmpty ? "" : ", empty rows differ"));

  // The public entry point runs the same kernel: same bits.
  torch::Tensor apiLse;
  auto apiOut = cuda::blockSparseAttention(q, k, v, mask, scale, &apiLse, path);
  tally.expect(torch::equal(apiOut, out) && torch::equal(apiLse, lse),
               "sparse " + name + ": blockSparseAttention matches the raw launch");
}

void checkCaptureAgainstFloat64(Tally& tally, int64_t D, int64_t block, int64_t N, int64_t H,
                                cuda::CaptureKernel kernel = cuda::CaptureKernel::Auto, int64_t hopperRows = 0) {
  const std::string name = "capture (" + cuda::captureKernelName(kernel) +
                           (hopperRows ? ", " + std::to_string(hopperRows) + " rows" : "") + ") D=" + std::to_string(D) +
                           " block=" + std::to_string(block) + " N=" + std::to_string(N) + " H=" + std::to_string(H);
  auto q = randomInput({H, N, D}, 1.5), k = randomInput({H, N, D}, 1.5);
  const double scale = 1.0 / std::sqrt(double(D));
  const auto ref = captureReference(q, k, block, scale);
  cuda::CaptureRequest request;
  request.blockSize = block;
  request.kernel = kernel;
  request.hopperRows = hopperRows;
  const auto got = cuda::captureStatistics(q, k, ref.lse.to(torch::kFloat32), request);
  const double pooled = relativeError(got.pooled, ref.pooled), keyMass = relativeError(got.keyMass, ref.keyMass),
               entropy = relativeError(got.entropy, ref.entropy);
  const double rowSums = (got.pooled.sum(-1) - 1).abs().max().item<double>();
  tally.expect(pooled <= kCaptureTolerance && keyMass <= kCaptureTolerance && entropy <= kCaptureTolerance &&
                   rowSums <= kCaptureTolerance && !got.offsets.defined(),
               name + " vs float64: pooled " + fmt(pooled) + ", key mass " + fmt(keyMass) + ", entropy " +
                   fmt(entropy) + ", max |row sum - 1| " + fmt(rowSums));
}

// The CPU engine defines the semantics: same bf16-rounded inputs, statistics
// in natural order (sink, entropy) and layout order (pooled).
void checkCaptureAgainstCpu(Tally& tally, const std::string& gridText, const BlockLayout& layout, int64_t D) {
  const TokenGrid grid = TokenGrid::parse(gridText);
  const int64_t H = 2, N = grid.videoTokens();
  const std::string name = "capture vs CPU engine grid=" + gridText + " layout=" + layout.str() + " D=" +
                           std::to_string(D);
  auto q = randomInput({H, N, D}, 1.5), k = randomInput({H, N, D}, 1.5), v = randomInput({H, N, D}, 1.0);
  AtlasEntry cpu;
  captureAttention(q.to(torch::kCPU, torch::kFloat32).unsqueeze(0), k.to(torch::kCPU, torch::kFloat32).unsqueeze(0),
                   v.to(torch::kCPU, torch::kFloat32).unsqueeze(0), grid, layout, 0, cpu);

  std::vector<int64_t> order = layout.permutation(grid);
  if (order.empty())
    for (int64_t i = 0; i < N; ++i) order.push_back(i);
  auto perm = torch::tensor(order, torch::kLong).to(q.device());
  auto ql = q.index_select(1, perm), kl = k.index_select(1, perm);
  const double scale = 1.0 / std::sqrt(double(D));
  const auto lse = torch::logsumexp(torch::matmul(ql.to(torch::kDouble), kl.to(torch::kDouble).transpose(1, 2)) * scale, -1);
  cuda::CaptureRequest request;
  request.blockSize = layout.blockSize();
  request.naturalIndex = perm;
  request.grid = grid;
  const auto got = cuda::captureStatistics(ql, kl, lse.to(torch::kFloat32), request);
  auto toNatural = [&](const torch::Tensor& t) { return torch::zeros_like(t).index_copy_(1, perm, t); };
  auto cpuTensor = [&](const std::vector<float>& values, const torch::Tensor& like) {
    return torch::tensor(values).view(like.sizes()).to(like.device());
  };
  const double pooled = relativeError(got.pooled, cpuTensor(cpu.pooled, got.pooled));
  const double sink = relativeError(toNatural(got.keyMass), cpuTensor(cpu.sink, got.keyMass));
  const double entropy = relativeError(toNatural(got.entropy), cpuTensor(cpu.entropy, got.entropy));
  const bool hasOffsets = got.offsets.defined();
  const double offsets = hasOffsets ? relativeError(got.offsets, cpuTensor(cpu.offsets, got.offsets))
                                    : std::numeric_limits<double>::infinity();
  tally.expect(pooled <= kCaptureTolerance && sink <= kCaptureTolerance && entropy <= kCaptureTolerance &&
                   offsets <= kCaptureTolerance,
               name + ": pooled " + fmt(pooled) + ", sink " + fmt(sink) + ", entropy " + fmt(entropy) + ", offsets " +
                   (hasOffsets ? fmt(offsets) : std::string("missing")));

  const auto ref = captureReference(ql, kl, layout.blockSize(), scale, perm, grid);
  const double offsetsRef = hasOffsets ? relativeError(got.offsets, ref.offsets) : std::numeric_limits<double>::infinity();
  tally.expect(offsetsRef <= kCaptureTolerance, name + ": offsets vs float64 " + fmt(offsetsRef));
}

// cuDNN's log-sum-exp (the first pass of a capture) against float64.
void checkCudnnLse(Tally& tally, int64_t D, int64_t N) {
  const int64_t H = 3;
  auto q = randomInput({1, H, N, D}, 1.5), k = randomInput({1, H, N, D}, 1.5), v = randomInput({1, H, N, D}, 1.0);
  const double scale = 1.0 / std::sqrt(double(D));
  torch::Tensor out, lse;
  std::string whyNot;
  if (!cuda::cudnnAttentionWithLse(q, k, v, scale, out, lse, &whyNot)) {
    std::printf("SKIP cuDNN lse D=%lld: %s\n", static_cast<long long>(D), whyNot.c_str());
    return;
  }
  const auto ref = captureReference(q[0], k[0], 64, scale);
  const double lseErr = (lse[0].to(torch::kDouble) - ref.lse).abs().max().item<double>();
  const auto refOut = torch::softmax(torch::matmul(q[0].to(torch::kDouble), k[0].to(torch::kDouble).transpose(1, 2)) *
                                         scale, -1)
                          .matmul(v[0].to(torch::kDouble));
  const double outErr = relativeError(out[0], refOut);
  tally.expect(lseErr <= kLseTolerance && outErr <= kSparseTolerance && lse.sizes() == torch::IntArrayRef({1, H, N}),
               "cuDNN dense with lse D=" + std::to_string(D) + " N=" + std::to_string(N) + ": lse max abs " +
                   fmt(lseErr) + ", output " + fmt(outErr));
}

// A captured layer through AttentionOp on a grid whose offset histogram does
// not fit in shared memory, so the engine's path is cuDNN dense + the Hopper
// statistics kernel, against the CPU engine.
void checkEngineCaptureLargeGrid(Tally& tally) {
  const TokenGrid grid = TokenGrid::parse("8x32x32");  // 15 x 63 x 63 offset bins
  const BlockLayout layout = BlockLayout::linear(128);
  const int64_t H = 2, N = grid.videoTokens(), D = 128;
  auto q = randomInput({1, H, N, D}, 1.5), k = randomInput({1, H, N, D}, 1.5), v = randomInput({1, H, N, D}, 1.0);
  AttentionPlan plan;
  plan.grid = grid;
  plan.captureSteps = {0};
  plan.captureLayout = layout;
  plan.captureBatch = 0;
  AttentionAtlas atlas;
  AttentionOp op(plan, &atlas);
  auto out = op.self(0, q, k, v);
  AtlasEntry cpu;
  auto cpuOut = captureAttention(q.to(torch::kCPU, torch::kFloat32), k.to(torch::kCPU, torch::kFloat32),
                                 v.to(torch::kCPU, torch::kFloat32), grid, layout, 0, cpu);
  if (atlas.entries.size() != 1) {
    tally.expect(false, "engine capture 8x32x32: " + std::to_string(atlas.entries.size()) + " atlas entries");
    return;
  }
  const AtlasEntry& e = atlas.entries[0];
  auto vec = [](const std::vector<float>& values) { return torch::tensor(values); };
  const double outErr = relativeError(out.to(torch::kCPU, torch::kFloat32), cpuOut);
  const double pooled = relativeError(vec(e.pooled), vec(cpu.pooled)), sink = relativeError(vec(e.sink), vec(cpu.sink)),
               entropy = relativeError(vec(e.entropy), vec(cpu.entropy));
  tally.expect(outErr <= kSparseTolerance && pooled <= kCaptureTolerance && sink <= kCaptureTolerance &&
                   entropy <= kCaptureTolerance && e.offsets.empty(),
               "engine capture 8x32x32 linear(128) D=128 (dense pass: " +
                   (op.captureDenseFallbackReason().empty() ? std::string("cuDNN") : op.captureDenseFallbackReason()) +
                   "): output " + fmt(outErr) + ", pooled " + fmt(pooled) + ", sink " + fmt(sink) + ", entropy " +
                   fmt(entropy));
}

void expectError(Tally& tally, const std::string& what, const std::string& needle, const std::function<void()>& fn) {
  std::string message = "(no error)";
  try {
    fn();
  } catch (const Error& e) {
    message = e.what();
  } catch (const std::exception& e) {
    message = std::string("(not an attnscope::Error) ") + e.what();
  }
  tally.expect(message.find(needle) != std::string::npos && message.find("(not an") == std::string::npos,
               "bad input: " + what + " -> \"" + message + "\"");
}

void checkBadInputs(Tally& tally) {
  const int64_t H = 2, N = 256;
  std::vector<BlockMask> masks(H, BlockMask(4, 4, true));
  std::vector<const BlockMask*> pointers{&masks[0], &masks[1]};
  const auto mask = cuda::toKernelMask(pointers, 64, torch::Device(torch::kCUDA));
  auto q96 = randomInput({1, H, N, 96}, 1.0);
  expectError(tally, "sparse head dim 96", "head dim 96", [&] { cuda::blockSparseAttention(q96, q96, q96, mask, 0.1); });
  auto q3 = randomInput({1, 3, N, 64}, 1.0);
  expectError(tally, "sparse mask with 2 heads, q with 3", "2 heads",
              [&] { cuda::blockSparseAttention(q3, q3, q3, mask, 0.1); });
  BlockMask other(4, 5, true);
  std::vector<const BlockMask*> mismatched{&masks[0], &other};
  expectError(tally, "masks of different shapes", "head 1's mask",
              [&] { cuda::toKernelMask(mismatched, 64, torch::Device(torch::kCUDA)); });
  auto k3 = randomInput({H, N, 96}, 1.0);
  auto lse = torch::zeros({H, N}, k3.options().dtype(torch::kFloat32));
  expectError(tally, "capture head dim 96", "head dim 96",
              [&] { cuda::captureStatistics(k3, k3, lse, cuda::CaptureRequest{}); });
  auto k2 = randomInput({H, N, 64}, 1.0);
  expectError(tally, "capture lse of the wrong shape", "lse must be",
              [&] { cuda::captureStatistics(k2, k2, lse.narrow(1, 0, 100), cuda::CaptureRequest{}); });
  cuda::CaptureRequest odd;
  odd.blockSize = 48;
  expectError(tally, "capture block size 48", "block size 48", [&] { cuda::captureStatistics(k2, k2, lse, odd); });
}

}  // namespace

int main() {
  if (!cuda::deviceAvailable()) {
    std::printf("SKIP: no CUDA device\n");
    return 77;
  }
  std::printf("device: %s\n", cuda::deviceName().c_str());
  torch::manual_seed(7);
  Tally tally;
  try {
    for (auto path : {cuda::KernelPath::Portable, cuda::KernelPath::Hopper}) {
      bool missing = false;
      for (int64_t D : {64, 128})
        for (int64_t block : {64, 128})
          for (int64_t N : {int64_t(1024), int64_t(1000), 7 * block + 40})
            for (double density : {1.0, 0.5, 0.25, 0.1})
              checkSparse(tally, path, D, block, N, density, missing);
      if (missing) std::printf("SKIP sparse %s: the kernel declines (cudaErrorNotSupported)\n", cuda::kernelPathName(path).c_str());
    }
    // The 128-query CTA variant (tuning knob), then the default 256 with every kernel.
    checkCaptureAgainstFloat64(tally, 128, 64, 1000, 3, cuda::CaptureKernel::Hopper, 128);
    checkCaptureAgainstFloat64(tally, 64, 128, 300, 2, cuda::CaptureKernel::Hopper, 128);
    for (auto kernel : {cuda::CaptureKernel::Portable, cuda::CaptureKernel::Hopper}) {
      checkCaptureAgainstFloat64(tally, 128, 64, 1000, 3, kernel);
      checkCaptureAgainstFloat64(tally, 64, 128, 768, 2, kernel);
      checkCaptureAgainstFloat64(tally, 128, 128, 2048, 2, kernel);
      checkCaptureAgainstFloat64(tally, 128, 192, 1000, 2, kernel);  // k-blocks straddle the 128-key tiles
      checkCaptureAgainstFloat64(tally, 64, 64, 100, 2, kernel);     // one partial tile
    }
    checkCaptureAgainstFloat64(tally, 64, 16, 300, 2);
    checkCaptureAgainstFloat64(tally, 128, 32, 520, 2);
    checkCudnnLse(tally, 128, 2048);
    checkCudnnLse(tally, 64, 1000);
    checkEngineCaptureLargeGrid(tally);
    checkCaptureAgainstCpu(tally, "4x8x8", BlockLayout::linear(64), 64);
    checkCaptureAgainstCpu(tally, "4x8x8", BlockLayout::linear(32), 128);
    checkCaptureAgainstCpu(tally, "4x8x8", BlockLayout::tiled(1, 8, 8), 128);
    checkCaptureAgainstCpu(tally, "5x6x10", BlockLayout::linear(64), 64);  // N = 300, a short last block
    checkBadInputs(tally);
  } catch (const std::exception& e) {
    tally.expect(false, std::string("unexpected exception: ") + e.what());
  }
  std::printf("%d passed, %d failed\n", tally.passed, tally.failed);
  return tally.failed == 0 ? 0 : 1;
}
