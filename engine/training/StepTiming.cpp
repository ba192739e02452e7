#include "engine/training/StepTiming.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include <torch/cuda.h>

#include "engine/attention/AttentionOp.h"

namespace attnscope {

double medianDenoiseStepSeconds(const Model& model, int warmup, int repeats) {
  torch::NoGradGuard noGrad;
  const auto& c = model.config;
  const auto device = model.dit->parameters().front().device();
  auto sync = [&] {
    if (device.is_cuda()) torch::cuda::synchronize();
  };
  const int64_t f = c.latent.factor;
  auto x = torch::randn({1, c.latentChannels(), c.defaults.frames, c.defaults.height / f, c.defaults.width / f},
                        torch::TensorOptions().device(device));
  auto ids = torch::zeros({2, c.text.maxTokens}, torch::TensorOptions().dtype(torch::kInt64).device(device));
  ids[1].fill_(1);
  AttentionOp op(AttentionPlan{}, nullptr);
  auto context = model.textEncoder.ptr()->forward(ids);  // once per generation, as the sampler does
  auto stepOnce = [&] {
    auto t = torch::full({2}, 500.0, torch::TensorOptions().device(device));
    auto v = model.dit.ptr()->forward(torch::cat({x, x}), t, context, op);
    return v[0] + 4.0 * (v[1] - v[0]);
  };
  for (int i = 0; i < warmup; ++i) stepOnce();
  sync();
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    auto start = std::chrono::steady_clock::now();
    stepOnce();
    sync();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

}  // namespace attnscope
