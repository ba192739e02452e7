// bench_wan_step: one Wan 2.1 T2V 1.3B denoising step (cond + uncond, as the
// reference's generate() does) at 81x480x832 on the GPU in bf16, against the
// reference's eager PyTorch step on the same random weights and inputs
// (reference_step.py wrote them and its timings to --dir: the step as the
// reference's generate() runs it, float32 weights under bf16 autocast, and
// with every weight cast to bf16). Reports the
// relative error vs the reference output, the median step time, the share of
// attention, the peak GPU memory, the same step with a ~15%-density block
// mask, the VAE decode time and the estimated 50-step generation speed-up.
// Table last; its last line is the headline ratio (run_step.sh runs it all).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/attention/AttentionOp.h"
#include "engine/core/Error.h"
#include "engine/cuda/CudaRuntime.h"
#include "engine/model/wan/WanConfig.h"
#include "engine/model/wan/WanModel.h"
#include "engine/strategies/Strategy.h"
#include "engine/tensorio/TensorIO.h"

using namespace attnscope;
using Clock = std::chrono::steady_clock;

namespace {

const double kGuideScale = 5.0;
const double kGb = 1024.0 * 1024.0 * 1024.0;

double seconds(const std::function<void()>& fn) {
  cuda::synchronize();
  auto start = Clock::now();
  fn();
  cuda::synchronize();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double relError(const torch::Tensor& ours, const torch::Tensor& ref) {
  auto a = ours.to(torch::kCPU, torch::kFloat64), b = ref.to(torch::kCPU, torch::kFloat64);
  return ((a - b).abs().max() / b.abs().max()).item<double>();
}

double meanRelError(const torch::Tensor& ours, const torch::Tensor& ref) {
  auto a = ours.to(torch::kCPU, torch::kFloat64), b = ref.to(torch::kCPU, torch::kFloat64);
  return ((a - b).abs().mean() / b.abs().mean()).item<double>();
}

struct Args {
  std::string dir = "/tmp/wan-step";
  int warmup = 1, iters = 5;
  double density = 0.15;
  bool sparse = true, vae = true;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw Error(s + " needs a value");
      return argv[++i];
    };
    if (s == "--dir") a.dir = next();
    else if (s == "--warmup") a.warmup = std::stoi(next());
    else if (s == "--iters") a.iters = std::stoi(next());
    else if (s == "--density") a.density = std::stod(next());
    else if (s == "--no-sparse") a.sparse = false;
    else if (s == "--no-vae") a.vae = false;
    else throw Error("unknown option " + s + " (--dir, --warmup, --iters, --density, --no-sparse, --no-vae)");
  }
  return a;
}

// window3d on the layout alone (it reads no attention map), its scale bisected to the target density.
MaskPlan windowPlan(const TokenGrid& grid, const BlockLayout& layout, int64_t layers, int64_t heads, double target) {
  const Strategy& s = findStrategy("window3d");
  PooledMaps maps;
  maps.grid = grid;
  maps.layout = layout;
  maps.layers = layers;
  maps.heads = heads;
  maps.nq = maps.nk = layout.numBlocks(grid);
  MaskPlan plan = MaskPlan::full("wan2.1-t2v-1.3b-bench", grid, layout, layers, heads);
  double lo = 0, hi = 64;
  for (int i = 0; i < 30; ++i) {
    double mid = 0.5 * (lo + hi);
    plan.masks = s.build(maps, {{"scale", mid}});
    (plan.density() < target ? lo : hi) = mid;
  }
  // The scale whose density lies nearer the target (density moves in steps of whole blocks).
  plan.masks = s.build(maps, {{"scale", lo}});
  const double below = plan.density();
  plan.masks = s.build(maps, {{"scale", hi}});
  if (target - below < plan.density() - target) plan.masks = s.build(maps, {{"scale", lo}});
  plan.provenance.method = "strategy";
  plan.provenance.strategy = "window3d";
  return plan;
}

}  // namespace

int main(int argc, char** argv) try {
  Args args = parse(argc, argv);
  if (!cuda::deviceAvailable()) throw Error("bench_wan_step needs a CUDA device");
  torch::NoGradGuard noGrad;
  const torch::Device gpu(torch::kCUDA, 0);
  std::cout << "device: " << cuda::deviceName() << std::endl;
  nlohmann::json ref;
  std::ifstream(args.dir + "/reference.json") >> ref;

  // The DiT, straight onto the GPU in bf16 (official layout written by reference_step.py).
  WanFiles files;
  files.kind = WanLayoutKind::Official;
  files.folder = args.dir;
  files.ditConfig = args.dir + "/config.json";
  files.ditWeights = {args.dir + "/diffusion_pytorch_model.safetensors"};
  ModelConfig config = readWanDitConfig(files);
  cuda::resetPeakAllocated();
  DitModel dit{nullptr};
  const double loadSeconds = seconds([&] { dit = loadWanDit(files, config, gpu, torch::kBFloat16); });
  const double weightsGb = cuda::peakAllocatedBytes() / kGb;
  std::cout << "loaded the DiT in " << loadSeconds << " s (peak " << weightsGb << " GB)" << std::endl;

  SafetensorsFile inputs(args.dir + "/inputs.safetensors"), outputs(args.dir + "/reference_out.safetensors");
  auto read = [](const SafetensorsFile& f, const char* n) { return readTensor(f, f.at(n)); };
  auto latent = read(inputs, "latent").to(gpu), t = read(inputs, "t").to(gpu);
  auto ctxCond = read(inputs, "context_cond").to(gpu, torch::kBFloat16);
  auto ctxUncond = read(inputs, "context_uncond").to(gpu, torch::kBFloat16);

  TokenGrid grid = dit->tokenGrid(latent.size(2), latent.size(3), latent.size(4));
  grid.text = config.contextTokens();
  std::cout << "token grid " << grid.frames << "x" << grid.height << "x" << grid.width << " = "
            << grid.videoTokens() << " video tokens" << std::endl;

  // One CFG step: the model twice, combined with the guidance scale.
  torch::Tensor cond, pred;
  auto step = [&](AttentionOp& op) {
    cond = dit->forward(latent, t, ctxCond, op);
    auto uncond = dit->forward(latent, t, ctxUncond, op);
    pred = uncond + kGuideScale * (cond - uncond);
  };
  auto timeSteps = [&](AttentionOp& op, int warmup, int iters) {
    for (int i = 0; i < warmup; ++i) seconds([&] { step(op); });
    std::vector<double> times;
    for (int i = 0; i < iters; ++i) times.push_back(seconds([&] { step(op); }));
    return median(times);
  };

  AttentionPlan densePlan;
  densePlan.grid = grid;
  AttentionOp dense(densePlan, nullptr);
  cuda::resetPeakAllocated();
  // The op's own timer is not read: without plan.timeStages it does not wait
  // for the GPU, so it measures launches (the share below is timed apart).
  const double denseStep = timeSteps(dense, args.warmup, args.iters);
  const double stepPeakGb = cuda::peakAllocatedBytes() / kGb;
  const double errCond = relError(cond, read(outputs, "cond")), errPred = relError(pred, read(outputs, "pred"));
  const double meanErr = meanRelError(pred, read(outputs, "pred"));
  std::cout << "dense step " << denseStep * 1e3 << " ms; rel. error vs reference: cond " << errCond << ", guided "
            << errPred << " (max-abs), " << meanErr << " (mean-abs)" << std::endl;

  // Attention alone, synchronised: one layer's self- and cross-attention calls
  // on bf16 inputs of the step's shapes, times layers x 2 (cond, uncond).
  const int64_t H = config.heads, D = config.headDim(), N = grid.videoTokens();
  auto q = torch::randn({1, H, N, D}, torch::TensorOptions().device(gpu).dtype(torch::kBFloat16));
  auto kv = torch::randn({1, H, config.contextTokens(), D}, q.options());
  for (int i = 0; i < 2; ++i) dense.self(0, q, q, q), dense.cross(0, q, kv, kv);
  std::vector<double> selfT, crossT;
  for (int i = 0; i < 5; ++i) {
    selfT.push_back(seconds([&] { dense.self(0, q, q, q); }));
    crossT.push_back(seconds([&] { dense.cross(0, q, kv, kv); }));
  }
  const double attentionPerStep = 2.0 * config.layers * (median(selfT) + median(crossT));
  std::cout << "attention alone: self " << median(selfT) * 1e3 << " ms, cross " << median(crossT) * 1e3
            << " ms per call; " << attentionPerStep / denseStep * 100 << "% of the step" << std::endl;

  // The same step with a ~15%-density block mask.
  double sparseStep = 0, density = 0;
  std::string layoutName, sparseNote;
  MaskPlan plan;
  if (args.sparse) {
    BlockLayout layout = BlockLayout::linear(128);
    try {
      layout = BlockLayout::tiledFor(grid, 128);
    } catch (const std::exception& e) {
      sparseNote = std::string("no 128-token tile fits the grid (") + e.what() + "): linear(128). ";
    }
    layoutName = layout.str();
    plan = windowPlan(grid, layout, config.layers, config.heads, args.density);
    density = plan.density();
    AttentionPlan sparsePlan;
    sparsePlan.grid = grid;
    sparsePlan.mask = &plan;
    AttentionOp sparse(sparsePlan, nullptr);
    // One call first: before the CUDA sparse path is merged it runs on the CPU, far too slow for 60 calls.
    const double probe = seconds([&] { sparse.self(0, q, q, q); });
    if (probe > 1.0) {
      sparseNote += "sparse attention took " + std::to_string(probe) + " s per call (CPU path?): step not timed";
    } else {
      sparseStep = timeSteps(sparse, 1, std::max(3, args.iters / 2));
    }
    std::cout << "sparse (" << layoutName << ", window3d, density " << density << "): "
              << (sparseStep > 0 ? std::to_string(sparseStep * 1e3) + " ms" : sparseNote) << std::endl;
  }

  // The VAE decode of the 21-frame latent at full size (random weights written by reference_step.py).
  double vaeSeconds = 0, vaePeakGb = 0;
  std::string vaeNote;
  if (args.vae) {
    try {
      WanFiles vfiles = files;
      vfiles.vaeWeights = {args.dir + "/Wan2.1_VAE.pth"};
      WanVaeDecoder vae = loadWanVae(vfiles, wanVaeConfigFor(vfiles), gpu, torch::kFloat32);
      dit = nullptr;  // as --unload: the DiT is done before decoding
      cuda::resetPeakAllocated();
      torch::Tensor video;
      vaeSeconds = seconds([&] { video = vae->decode(latent, 1); });
      vaePeakGb = cuda::peakAllocatedBytes() / kGb;
      std::cout << "VAE decode " << vaeSeconds << " s -> " << video.sizes() << ", peak " << vaePeakGb << " GB"
                << std::endl;
    } catch (const std::exception& e) {
      vaeNote = e.what();
      std::cout << "VAE decode not timed: " << vaeNote << std::endl;
    }
  }

  // The table.
  const double refStep = ref.value("step_ms_median", 0.0) / 1e3;            // as generate(): float32 weights, autocast
  const double refBf16Step = ref.value("bf16_step_ms_median", 0.0) / 1e3;  // every weight cast to bf16 first
  const double refVae = ref.value("vae_decode_ms", 0.0) / 1e3;
  const double textSeconds = 0;  // umT5-XXL not built here (5.7B random weights); < 1% of 50 steps
  auto total = [&](double stepSeconds) { return textSeconds + 50 * stepSeconds + vaeSeconds; };
  std::printf("\n%-44s %12s %12s\n", "Wan 2.1 1.3B, 81x480x832, bf16, H100", "engine", "reference");
  std::printf("%-44s %12.1f %12.1f\n", "dense CFG step (2 forwards), median ms", denseStep * 1e3, refStep * 1e3);
  std::printf("%-44s %12s %12.1f\n", "  reference with every weight cast to bf16", "-", refBf16Step * 1e3);
  std::printf("%-44s %11.1f%% %11.1f%%\n", "attention share of the step", attentionPerStep / denseStep * 100,
              ref.value("attention_share", 0.0) * 100);
  std::printf("%-44s %12.1f %12.1f\n", "peak GPU memory in the step, GB", stepPeakGb, ref.value("peak_gb", 0.0));
  std::printf("%-44s %12.2e %12s\n", "rel. error vs reference (guided, max-abs)", errPred, "-");
  std::printf("%-44s %12.2e %12s\n", "rel. error vs reference (guided, mean-abs)", meanErr, "-");
  if (args.sparse)
    std::printf("%-44s %12s %12s\n", ("sparse step ms (" + layoutName + ", density " +
                                      std::to_string(density).substr(0, 5) + ")").c_str(),
                sparseStep > 0 ? std::to_string(sparseStep * 1e3).substr(0, 7).c_str() : "n/a", "-");
  if (args.vae)
    std::printf("%-44s %12.2f %12.2f\n", "VAE decode 21 latent frames, s (float32)", vaeSeconds, refVae);
  if (sparseStep > 0)
    std::printf("%-44s %12.2f %12s\n", "50-step generation speed-up, sparse vs dense", total(denseStep) / total(sparseStep),
                "-");
  if (!sparseNote.empty()) std::printf("note: %s\n", sparseNote.c_str());
  if (!vaeNote.empty()) std::printf("note: VAE %s\n", vaeNote.c_str());
  std::printf("text encoding not timed (umT5-XXL random weights too slow to build in one call; < 1%% of 50 steps)\n");
  std::printf("%-44s %12.3f\n", "bf16-cast reference step / engine step", refBf16Step / denseStep);
  std::printf("%-44s %12.3f\n", "reference step (as generate()) / engine step (>= 1: no slower)", refStep / denseStep);
  return 0;
} catch (const std::exception& e) {
  std::cerr << "bench_wan_step: " << e.what() << std::endl;
  return 1;
}
