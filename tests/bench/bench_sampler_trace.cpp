// Diagnostic, not a timing: traces the Euler sampler of the default model on
// held-out captions step by step (sigma, statistics of x and of the x0
// estimate x - sigma v, size of the guidance term), next to the statistics
// of the true clip's latent, so that a sampler going off the data range
// shows where it starts. Usage: bench_sampler_trace [MODEL_DIR] [SCENES] [GUIDANCE] [STEPS] [SHIFT] [GUIDANCE_MAX_SIGMA]
#include <cstdio>
#include <string>

#include "engine/attention/AttentionOp.h"
#include "engine/model/LatentCodec.h"
#include "engine/model/Model.h"
#include "engine/pipeline/FlowMatchSchedule.h"
#include "engine/pipeline/GuidanceInterval.h"
#include "engine/procedural/ProceduralVideo.h"

using namespace attnscope;

namespace {

void stats(const char* label, const torch::Tensor& t) {
  std::printf("  %s mean %+.3f std %.3f min %+.2f max %+.2f", label, t.mean().item<double>(), t.std().item<double>(),
              t.min().item<double>(), t.max().item<double>());
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : std::string(ATTNSCOPE_SOURCE_DIR) + "/assets/default";
  const int scenes = argc > 2 ? std::stoi(argv[2]) : 1;
  const double guidance = argc > 3 ? std::stod(argv[3]) : 4.0;
  const int steps = argc > 4 ? std::stoi(argv[4]) : 20;
  const double shift = argc > 5 ? std::stod(argv[5]) : 3.0;
  const double maxSigma = argc > 6 ? std::stod(argv[6]) : 1.0;
  torch::set_num_threads(2);
  torch::NoGradGuard noGrad;
  Model model = Model::load(dir);
  const auto& d = model.config.defaults;
  const SceneSize size{d.frames, d.height, d.width};
  const int64_t T = model.config.text.maxTokens;
  AttentionOp op(AttentionPlan{}, nullptr);
  for (int i = 0; i < scenes; ++i) {
    const SceneSpec scene = sampleScene(kHeldOutSeedBase + uint64_t(i), size);
    auto x0 = encodeFrames(renderScene(scene, size), model.config.latent);
    std::printf("scene %d: %s\n", i, scene.caption.c_str());
    stats("true x0", x0);
    std::printf("\n");
    Tokens cond = model.tokenizer->tokenize(scene.caption, T);
    auto ids = torch::stack({torch::zeros({T}, torch::kInt64), torch::tensor(cond.ids, torch::kInt64)});
    auto context = model.textEncoder.ptr()->forward(ids);
    auto generator = at::detail::createCPUGenerator(kHeldOutSeedBase + uint64_t(i));
    torch::Tensor x = at::normal(0.0, 1.0, {1, x0.size(0), x0.size(1), x0.size(2), x0.size(3)}, generator,
                                 torch::TensorOptions().dtype(torch::kFloat64))
                          .to(torch::kFloat32);
    {
      // The CPU attention kernels (inference) against the differentiable
      // path the trainer used (gradients on), on the same input.
      auto t = torch::full({2}, 900.0, torch::kFloat32);
      auto fast = model.dit.ptr()->forward(torch::cat({x, x}), t, context, op);
      torch::AutoGradMode grad(true);
      auto xg = torch::cat({x, x}).clone().set_requires_grad(true);
      auto reference = model.dit.ptr()->forward(xg, t, context, op).detach();
      std::printf("CPU kernels vs differentiable attention: max |diff| %.2e (|v| max %.2f)\n",
                  (fast - reference).abs().max().item<double>(), reference.abs().max().item<double>());
    }
    FlowMatchSchedule schedule(steps, shift);
    for (int s = 0; s < steps; ++s) {
      const double sigma = schedule.sigmas[s];
      auto t = torch::full({2}, schedule.timestep(s), torch::kFloat32);
      auto v = model.dit.ptr()->forward(torch::cat({x, x}), t, context, op);
      auto vu = v[0], vc = v[1];
      auto guided = vu + guidanceAt(guidance, maxSigma, sigma) * (vc - vu);
      std::printf("step %2d sigma %.3f", s, sigma);
      stats("x", x);
      stats("x0hat", x[0] - sigma * guided);
      std::printf("  |vc-vu| %.3f |v| %.3f\n", (vc - vu).pow(2).mean().sqrt().item<double>(),
                  guided.pow(2).mean().sqrt().item<double>());
      x = x + schedule.delta(s) * guided.unsqueeze(0);
    }
    stats("final x", x);
    std::printf("\n  per-frame std of the final x:");
    for (int64_t f = 0; f < x.size(2); f += 3) std::printf(" %.3f", x[0].select(1, f).std().item<double>());
    std::printf("\n  per-frame std of the true x0: ");
    for (int64_t f = 0; f < x0.size(1); f += 3) std::printf(" %.3f", x0.select(1, f).std().item<double>());
    std::printf("\n");
  }
  return 0;
}
