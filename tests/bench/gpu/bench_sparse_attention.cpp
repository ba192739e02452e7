// Block-sparse attention on the GPU: our kernels (Hopper and portable paths)
// against dense cuDNN SDPA, at N in {8192, 32768, 75776}, 12 heads, head dim
// 128, block 128, densities 100/50/25/10 %, plus the fused capture of one
// layer against that layer's dense pass. Masks come from the same generator
// as shared/bench/anchor_attention.py (FlexAttention's figures, merged by
// merge_table.py): per (head, q-block) the top `keep` of uniform scores with
// the diagonal forced in, keep = max(1, round(nb * density)).
//
// usage: bench_sparse_attention [--n 8192,32768,75776] [--heads 12] [--dim 128]
//        [--densities 1,0.5,0.25,0.1] [--iters 10] [--json out.json]
// Median of CUDA-event timings after warm-up; inputs rotate over 3 sets.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/cuda/CUDAContext.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>
#include <torch/version.h>

#include "engine/cuda/BlockSparseAttention.h"
#include "engine/cuda/CaptureStatistics.h"
#include "engine/cuda/CudaRuntime.h"
#include "engine/cuda/CudnnAttention.h"
#include "engine/cuda/SparseLaunch.h"

using namespace attnscope;
using nlohmann::json;

namespace {

constexpr int kBlock = 128, kSets = 3, kWarmup = 3;

struct Options {
  std::vector<int64_t> tokens{8192, 32768, 75776};
  std::vector<double> densities{1, 0.5, 0.25, 0.1};
  int64_t heads = 12, dim = 128;
  int iters = 10;
  std::string json = "bench_sparse_attention.json";
};

template <typename T>
std::vector<T> parseList(const std::string& text) {
  std::vector<T> values;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) values.push_back(static_cast<T>(std::stod(item)));
  return values;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--n") o.tokens = parseList<int64_t>(value);
    else if (key == "--densities") o.densities = parseList<double>(value);
    else if (key == "--heads") o.heads = std::stoll(value);
    else if (key == "--dim") o.dim = std::stoll(value);
    else if (key == "--iters") o.iters = std::stoi(value);
    else if (key == "--json") o.json = value;
    else throw std::runtime_error("unknown option " + key);
  }
  return o;
}

// Median milliseconds of fn(set) over CUDA events, sets rotating.
double medianMs(const std::function<void(int)>& fn, int iters) {
  for (int i = 0; i < kWarmup; ++i) fn(i % kSets);
  cuda::synchronize();
  auto stream = at::cuda::getCurrentCUDAStream();
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  std::vector<double> times;
  for (int i = 0; i < iters; ++i) {
    cudaEventRecord(start, stream);
    fn(i % kSets);
    cudaEventRecord(stop, stream);
    cudaEventSynchronize(stop);
    float ms = 0;
    cudaEventElapsedTime(&ms, start, stop);
    times.push_back(ms);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// anchor_attention.py's random_block_mask (B = 1), in the kernels' form.
cuda::KernelMask anchorMask(int64_t heads, int64_t blocks, int64_t keep) {
  auto generator = at::detail::createCPUGenerator(1);
  auto scores = torch::rand({1, heads, blocks, blocks}, generator, torch::kFloat32);
  auto diagonal = torch::arange(blocks);
  scores.index_put_({torch::indexing::Slice(), torch::indexing::Slice(), diagonal, diagonal}, 2.0);
  auto top = std::get<1>(scores.topk(keep, -1));
  auto indices = std::get<0>(top.sort(-1)).to(torch::kInt32)[0].contiguous();
  auto counts = torch::full({heads, blocks}, keep, torch::kInt32);
  return cuda::KernelMask{counts.to(torch::kCUDA), indices.to(torch::kCUDA), kBlock};
}

torch::Tensor denseAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
#if TORCH_VERSION_MAJOR >= 2
  return at::scaled_dot_product_attention(q, k, v);
#else
  return std::get<0>(at::_scaled_dot_product_attention(q, k, v));
#endif
}

std::string allowEveryDenseBackend() {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
  auto& context = at::globalContext();
  context.setSDPUseFlash(true);
  context.setSDPUseMemEfficient(true);
  context.setSDPUseMath(true);
#endif
  return "sdpa-default";
}

// Forces SDPA onto cuDNN where this LibTorch can; returns the backend name.
std::string chooseDenseBackend(const torch::Tensor& q) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
  auto& context = at::globalContext();
  context.setSDPUseFlash(false);
  context.setSDPUseMemEfficient(false);
  context.setSDPUseMath(false);
  context.setSDPUseOverrideable(false);
  context.setSDPUseCuDNN(true);
  try {
    denseAttention(q, q, q);
    cuda::synchronize();
    return "cudnn";
  } catch (const std::exception& e) {
    std::printf("cuDNN SDPA refused (%s); using LibTorch's default choice\n", e.what());
    return allowEveryDenseBackend();
  }
#else
  return "sdpa-default";
#endif
}

cuda::SparseLaunchParams launchParams(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                      torch::Tensor& out, const cuda::KernelMask& mask, float* lse) {
  cuda::SparseLaunchParams p;
  p.q = q.data_ptr();
  p.k = k.data_ptr();
  p.v = v.data_ptr();
  p.out = out.data_ptr();
  p.lse = lse;
  p.counts = mask.counts.data_ptr<int32_t>();
  p.indices = mask.indices.data_ptr<int32_t>();
  p.maxKept = static_cast<int32_t>(mask.indices.size(2));
  p.batch = static_cast<int32_t>(q.size(0));
  p.heads = static_cast<int32_t>(q.size(1));
  p.tokens = static_cast<int32_t>(q.size(2));
  p.headDim = static_cast<int32_t>(q.size(3));
  p.blockSize = kBlock;
  p.scale = static_cast<float>(1.0 / std::sqrt(double(q.size(3))));
  return p;
}

using Launcher = cudaError_t (*)(const cuda::SparseLaunchParams&, cudaStream_t);

// Median ms of one path, or -1 when the kernel declines the configuration.
double timeSparse(Launcher launch, const std::vector<torch::Tensor>& q, const std::vector<torch::Tensor>& k,
                  const std::vector<torch::Tensor>& v, torch::Tensor& out, const cuda::KernelMask& mask, int iters) {
  auto stream = at::cuda::getCurrentCUDAStream();
  const cudaError_t first = launch(launchParams(q[0], k[0], v[0], out, mask, nullptr), stream);
  if (first == cudaErrorNotSupported) return -1;
  if (first != cudaSuccess) throw std::runtime_error(std::string("sparse launch failed: ") + cudaGetErrorString(first));
  return medianMs([&](int s) { launch(launchParams(q[s], k[s], v[s], out, mask, nullptr), stream); }, iters);
}

json nullable(double ms) { return ms < 0 ? json(nullptr) : json(std::round(ms * 1000) / 1000); }

}  // namespace

int main(int argc, char** argv) {
  if (!cuda::deviceAvailable()) {
    std::printf("SKIP: no CUDA device\n");
    return 77;
  }
  const Options o = parse(argc, argv);
  torch::NoGradGuard noGrad;
  std::printf("device: %s, LibTorch %s\n", cuda::deviceName().c_str(), TORCH_VERSION);
  json rows = json::array();
  json capture;
  std::string backend;
  for (int64_t N : o.tokens) {
    const auto options = torch::TensorOptions().device(torch::kCUDA).dtype(torch::kBFloat16);
    std::vector<torch::Tensor> q, k, v;
    for (int s = 0; s < kSets; ++s) {
      q.push_back(torch::randn({1, o.heads, N, o.dim}, options));
      k.push_back(torch::randn({1, o.heads, N, o.dim}, options));
      v.push_back(torch::randn({1, o.heads, N, o.dim}, options));
    }
    auto out = torch::empty_like(q[0]);
    if (backend.empty()) backend = chooseDenseBackend(q[0]);
    double denseMs = -1;
    try {
      denseMs = medianMs([&](int s) { denseAttention(q[s], k[s], v[s]); }, o.iters);
    } catch (const std::exception& e) {  // cuDNN may refuse a shape: fall back to LibTorch's choice
      std::printf("dense SDPA (%s) failed at N=%lld: %s\n", backend.c_str(), static_cast<long long>(N), e.what());
      backend = allowEveryDenseBackend();
      denseMs = medianMs([&](int s) { denseAttention(q[s], k[s], v[s]); }, o.iters);
    }
    const double denseFlops = 4.0 * o.heads * double(N) * N * o.dim;
    const int64_t blocks = N / kBlock;
    for (double density : o.densities) {
      const int64_t keep = std::max<int64_t>(1, std::llround(blocks * density));
      const auto mask = anchorMask(o.heads, blocks, keep);
      const double hopperMs = timeSparse(cuda::launchSparseHopper, q, k, v, out, mask, o.iters);
      const double portableMs = timeSparse(cuda::launchSparsePortable, q, k, v, out, mask, o.iters);
      const double flops = denseFlops * double(keep) / double(blocks);
      json row = {{"N", N}, {"heads", o.heads}, {"dim", o.dim}, {"density", density}, {"keep", keep},
                  {"hopper_ms", nullable(hopperMs)}, {"portable_ms", nullable(portableMs)},
                  {"cudnn_ms", nullable(denseMs)}, {"dense_backend", backend}};
      if (hopperMs > 0) row["hopper_tflops"] = std::round(flops / hopperMs / 1e8) / 10;
      if (portableMs > 0) row["portable_tflops"] = std::round(flops / portableMs / 1e8) / 10;
      std::printf("%s\n", row.dump().c_str());
      std::fflush(stdout);
      rows.push_back(row);
    }

    // Capture of one layer (all heads, pooled in blocks of 64) vs its dense
    // pass: cuDNN with the log-sum-exp, then the statistics pass, as
    // DeviceAttention::capture runs them; each statistics kernel alone, and
    // the Hopper ones' agreement with the portable one (checked against
    // float64 in check_gpu_attention).
    if (N == 32768 || (capture.is_null() && N == o.tokens.back())) {
      const double scale = 1.0 / std::sqrt(double(o.dim));
      std::vector<torch::Tensor> lse(kSets), ours(kSets);
      std::string whyNot;
      bool cudnnLse = true;
      for (int s = 0; s < kSets; ++s) {
        torch::Tensor denseOut;
        if (!cudnnLse || !cuda::cudnnAttentionWithLse(q[s], k[s], v[s], scale, denseOut, lse[s], &whyNot)) {
          cudnnLse = false;
          std::printf("cuDNN with lse unavailable (%s): our kernel's lse\n", whyNot.c_str());
        }
        const auto full = anchorMask(o.heads, blocks, blocks);
        cuda::blockSparseAttention(q[s], k[s], v[s], full, scale, &ours[s]);
        if (!cudnnLse) lse[s] = ours[s];
      }
      const double lseDiff = (lse[0] - ours[0]).abs().max().item<double>();
      auto denseWithLse = [&](int s) {
        torch::Tensor out, l;
        if (cudnnLse) cuda::cudnnAttentionWithLse(q[s], k[s], v[s], scale, out, l, nullptr);
        else cuda::blockSparseAttention(q[s], k[s], v[s], anchorMask(o.heads, blocks, blocks), scale, &l);
      };
      const int captureIters = std::max(3, o.iters / 2);
      const double denseLseMs = medianMs(denseWithLse, captureIters);

      cuda::CaptureRequest request;
      request.blockSize = 64;
      request.kernel = cuda::CaptureKernel::Portable;
      const auto exact = cuda::captureStatistics(q[0][0], k[0][0], lse[0][0], request);
      auto relErr = [](const torch::Tensor& a, const torch::Tensor& b) {
        return (a.to(torch::kDouble) - b.to(torch::kDouble)).norm().item<double>() /
               std::max(b.to(torch::kDouble).norm().item<double>(), 1e-300);
      };
      json kernels = json::object();
      const std::vector<std::pair<cuda::CaptureKernel, int64_t>> variants{
          {cuda::CaptureKernel::Portable, 0}, {cuda::CaptureKernel::Hopper, 128}, {cuda::CaptureKernel::Hopper, 256}};
      for (const auto& [kernel, rows] : variants) {
        request.kernel = kernel;
        request.hopperRows = rows;
        const std::string name = cuda::captureKernelName(kernel) + (rows ? " " + std::to_string(rows) + " rows" : "");
        try {
          const double ms = medianMs([&](int s) { cuda::captureStatistics(q[s][0], k[s][0], lse[s][0], request); },
                                     captureIters);
          const auto got = cuda::captureStatistics(q[0][0], k[0][0], lse[0][0], request);
          kernels[name] = {
              {"stats_ms", std::round(ms * 1000) / 1000},
              {"pooled_err", relErr(got.pooled, exact.pooled)},
              {"key_mass_err", relErr(got.keyMass, exact.keyMass)},
              {"entropy_err", relErr(got.entropy, exact.entropy)},
              {"pooled_row_sum_err", (got.pooled.sum(-1) - 1).abs().max().item<double>()}};
        } catch (const std::exception& e) {
          kernels[name] = {{"error", e.what()}};
        }
        std::printf("capture kernel %s: %s\n", name.c_str(), kernels[name].dump().c_str());
        std::fflush(stdout);
      }
      // The captured layer end to end, as the engine runs it (Auto kernel).
      request.kernel = cuda::CaptureKernel::Auto;
      request.hopperRows = 0;
      const double layerMs = medianMs(
          [&](int s) {
            denseWithLse(s);
            cuda::captureStatistics(q[s][0], k[s][0], lse[s][0], request);
          },
          captureIters);
      const double statsMs = medianMs(
          [&](int s) { cuda::captureStatistics(q[s][0], k[s][0], lse[s][0], request); }, captureIters);
      const auto stats = cuda::captureStatistics(q[0][0], k[0][0], lse[0][0], request);
      const double rowSumError = (stats.pooled.sum(-1) - 1).abs().max().item<double>();
      const double keyMassError = (stats.keyMass.sum(-1) - 1).abs().max().item<double>();
      capture = {{"N", N}, {"heads", o.heads}, {"dim", o.dim}, {"block", 64},
                 {"capture_ms", std::round(statsMs * 1000) / 1000}, {"dense_ms", std::round(denseMs * 1000) / 1000},
                 {"dense_lse_ms", std::round(denseLseMs * 1000) / 1000},
                 {"dense_lse_backend", cudnnLse ? "cudnn" : "ours"}, {"lse_vs_ours_max_abs", lseDiff},
                 {"captured_layer_ms", std::round(layerMs * 1000) / 1000},
                 {"dense_backend", backend}, {"capture_over_dense", std::round(statsMs / denseMs * 100) / 100},
                 {"captured_layer_over_dense", std::round(layerMs / denseMs * 100) / 100},
                 {"pooled_row_sum_err", rowSumError}, {"key_mass_sum_err", keyMassError}, {"kernels", kernels}};
      std::printf("capture %s\n", capture.dump().c_str());
      std::fflush(stdout);
    }
  }
  std::ofstream(o.json) << json{{"device", cuda::deviceName()}, {"rows", rows}, {"capture", capture}}.dump(1) << "\n";
  std::printf("wrote %s\n", o.json.c_str());
  return 0;
}
