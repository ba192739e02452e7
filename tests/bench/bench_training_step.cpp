// Where one training step of the default model spends its time, stage by
// stage, as attnscope-train runs it (same functions, same precision: bf16
// autocast on CUDA, float32 on the CPU). Each stage is timed between device
// synchronisations; the baseline is the forward pass of the same run, and the
// last row is the step without synchronisations (the trainer's real cost).
// With --trace FILE (LibTorch 2.x on CUDA) three more steps are recorded by
// the Kineto profiler as a Chrome trace, for a per-kernel breakdown
// (tests/bench/gpu/summarise_trace.py).
// Usage: bench_training_step [--model DIR] [--device cpu|cuda] [--batch B]
//                            [--steps N] [--trace FILE]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <torch/cuda.h>
#include <torch/torch.h>
#include <torch/version.h>
#if TORCH_VERSION_MAJOR >= 2
#include <torch/csrc/autograd/profiler_kineto.h>
#endif

#include "engine/attention/AttentionOp.h"
#include "engine/model/LatentCodec.h"
#include "engine/model/Model.h"
#include "engine/training/AdamW.h"
#include "engine/training/Bf16Autocast.h"
#include "engine/training/ClipStream.h"
#include "engine/training/Ema.h"
#include "engine/training/FlowMatching.h"
#include "engine/training/NamedParameters.h"

using namespace attnscope;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  std::string model = std::string(ATTNSCOPE_SOURCE_DIR) + "/assets/default";
  std::string device = torch::cuda::is_available() ? "cuda" : "cpu";
  int64_t batch = 0;  // 0: 128 on cuda, 4 on the cpu
  int steps = 0;      // timed steps; 0: 20 on cuda, 3 on the cpu
  std::string trace;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(k + " needs a value");
      return argv[++i];
    };
    if (k == "--model") a.model = value();
    else if (k == "--device") a.device = value();
    else if (k == "--batch") a.batch = std::stoll(value());
    else if (k == "--steps") a.steps = std::stoi(value());
    else if (k == "--trace") a.trace = value();
    else throw std::runtime_error("unknown argument " + k + " (see the comment at the top of the source)");
  }
  const bool cuda = a.device == "cuda";
  if (a.batch <= 0) a.batch = cuda ? 128 : 4;
  if (a.steps <= 0) a.steps = cuda ? 20 : 3;
  return a;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) try {
  const Args args = parse(argc, argv);
  const torch::Device device(args.device);
  const bool cuda = device.is_cuda();
  const bool bf16 = cuda && TORCH_VERSION_MAJOR >= 2;
  if (cuda) {
    at::globalContext().setAllowTF32CuBLAS(true);  // as the trainer
    at::globalContext().setAllowTF32CuDNN(true);
  }
  auto sync = [&] {
    if (cuda) torch::cuda::synchronize();
  };

  Model model = Model::load(args.model);
  model.dit->to(device);
  model.textEncoder->to(device);
  model.dit->train();
  model.textEncoder->train();
  NamedParameters params = namedParameters(model);
  NamedParameters ema;
  for (const auto& [name, p] : params) ema.emplace_back(name, p.detach().clone());
  AdamW optimizer(params, {0.9, 0.99, 1e-8, 0.01, {}});

  // One batch of clips, rendered once: the clip stream runs ahead on CPU
  // threads in the trainer, so rendering is not part of the step.
  const auto& d = model.config.defaults;
  const SceneSize size{d.frames, d.height, d.width};
  const int64_t T = model.config.text.maxTokens;
  auto bytes = torch::empty({args.batch, size.frames, size.height, size.width, 3}, torch::kUInt8);
  auto ids = torch::empty({args.batch, T}, torch::kInt64);
  const size_t clipBytes = size_t(size.frames * size.height * size.width * 3);
  for (int64_t i = 0; i < args.batch; ++i) {
    TrainingClip clip = makeTrainingClip(0xbe9c5ull, uint64_t(i), size, *model.tokenizer, T);
    std::memcpy(bytes.data_ptr<uint8_t>() + i * clipBytes, clip.rgb.data(), clipBytes);
    std::memcpy(ids.data_ptr<int64_t>() + i * T, clip.ids.data(), size_t(T) * sizeof(int64_t));
  }

  AttentionOp op(AttentionPlan{}, nullptr);
  const std::vector<std::string> stages = {"upload + encode + noise", "forward (loss)", "backward", "clip gradients",
                                           "AdamW", "EMA"};
  std::map<std::string, std::vector<double>> ms;
  std::vector<double> whole;

  // One step; `timed` adds a synchronisation and a clock read after each stage.
  auto step = [&](bool timed) {
    auto last = Clock::now();
    auto mark = [&](const std::string& stage) {
      if (!timed) return;
      sync();
      const auto now = Clock::now();
      ms[stage].push_back(std::chrono::duration<double, std::milli>(now - last).count());
      last = now;
    };
    auto x0 = encodeFrameBatch(bytes.to(device), model.config.latent);
    auto tokens = ids.to(device);
    auto noise = torch::randn_like(x0);
    auto sigmas = shiftedSigmas(torch::rand({args.batch}, torch::TensorOptions().device(device)), 3.0);
    mark(stages[0]);
    torch::Tensor loss;
    {
      Bf16Autocast autocast(bf16);
      loss = flowMatchingLoss(model, flowMatchingSample(x0, noise, sigmas), tokens, op);
    }
    mark(stages[1]);
    for (auto& [name, p] : params) p.mutable_grad() = torch::Tensor();
    loss.backward();
    mark(stages[2]);
    clipGradientNorm(params, 1.0);
    mark(stages[3]);
    optimizer.step(1e-5);
    mark(stages[4]);
    emaUpdate(ema, params, 0.9995);
    mark(stages[5]);
  };

  for (int i = 0; i < 3; ++i) step(false);  // warm-up: allocator, cuBLAS plans, kernels
  sync();
  for (int i = 0; i < args.steps; ++i) step(true);
  for (int i = 0; i < args.steps; ++i) {
    const auto start = Clock::now();
    step(false);
    sync();
    whole.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }

  const double forward = median(ms[stages[1]]);
  std::printf("training step of %s on %s (%s), batch %lld, %lldx%lldx%lld clips, median of %d steps\n",
              model.config.modelId.c_str(), args.device.c_str(), bf16 ? "bf16 autocast" : "float32",
              static_cast<long long>(args.batch), static_cast<long long>(size.frames),
              static_cast<long long>(size.height), static_cast<long long>(size.width), args.steps);
  std::printf("%-34s %10s %12s\n", "stage", "ms", "x forward");
  double sum = 0;
  for (const auto& s : stages) {
    const double m = median(ms[s]);
    sum += m;
    std::printf("%-34s %10.2f %12.2f\n", s.c_str(), m, m / forward);
  }
  std::printf("%-34s %10.2f %12.2f\n", "sum of the stages", sum, sum / forward);
  const double w = median(whole);
  std::printf("%-34s %10.2f %12.2f   (%.0f samples/s)\n", "whole step, no synchronisations", w, w / forward,
              1000.0 * double(args.batch) / w);

  if (!args.trace.empty()) {
#if TORCH_VERSION_MAJOR >= 2
    namespace prof = torch::profiler::impl;
    const prof::ProfilerConfig config(prof::ProfilerState::KINETO);
    const std::set<prof::ActivityType> activities = {prof::ActivityType::CPU, prof::ActivityType::CUDA};
    torch::autograd::profiler::prepareProfiler(config, activities);
    torch::autograd::profiler::enableProfiler(config, activities);
    for (int i = 0; i < 3; ++i) step(false);
    sync();
    torch::autograd::profiler::disableProfiler()->save(args.trace);
    std::printf("wrote a Kineto trace of 3 steps to %s\n", args.trace.c_str());
#else
    std::printf("--trace needs LibTorch 2.x; not written\n");
#endif
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_training_step: %s\n", e.what());
  return 1;
}
