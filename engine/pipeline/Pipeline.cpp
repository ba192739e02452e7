#include "engine/pipeline/Pipeline.h"

#include <chrono>
#include <optional>

#include "engine/attention/AttentionOp.h"
#include "engine/core/Error.h"
#include "engine/cuda/CudaRuntime.h"
#include "engine/model/LatentCodec.h"
#include "engine/pipeline/FlowMatchSchedule.h"
#include "engine/pipeline/FlowUniPc.h"
#include "engine/pipeline/GuidanceInterval.h"

namespace attnscope {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// What attention ran in a step, for the step's timing record.
std::string stepMode(const AttentionOp& op, int step, int64_t layers) {
  bool sparse = false;
  for (int layer = 0; layer < layers; ++layer) {
    const AttentionMode mode = op.modeFor(step, layer);
    if (mode == AttentionMode::Capture) return "capture";
    sparse = sparse || mode == AttentionMode::Sparse;
  }
  return sparse ? "sparse" : "dense";
}

}  // namespace

GenerationRequest resolveRequest(const Model& model, GenerationRequest r) {
  const auto& d = model.config.defaults;
  if (r.frames <= 0) r.frames = d.frames;
  if (r.height <= 0) r.height = d.height;
  if (r.width <= 0) r.width = d.width;
  if (r.steps <= 0) r.steps = d.steps;
  if (r.guidance < 0) r.guidance = d.guidance;
  if (r.guidanceMaxSigma < 0) r.guidanceMaxSigma = d.guidanceMaxSigma;
  if (r.shift <= 0) r.shift = d.shift;
  if (r.sampler.empty()) r.sampler = d.sampler;
  if (r.sampler != "euler" && r.sampler != "unipc")
    throw Error("sampler must be 'euler' or 'unipc', got '" + r.sampler + "'");
  if (r.negativePrompt.empty()) r.negativePrompt = d.negativePrompt;
  const int64_t spatial = model.config.latent.factor * model.config.patch[1];
  if (r.height % spatial || r.width % spatial)
    throw Error("height and width must be multiples of " + std::to_string(spatial) + " for this model, got " +
                std::to_string(r.height) + "x" + std::to_string(r.width));
  const auto& latent = model.config.latent;
  if (latent.learned() && (r.frames - 1) % latent.temporalStride)
    throw Error("frames must be " + std::to_string(latent.temporalStride) + "k+1 for this model (e.g. 81), got " +
                std::to_string(r.frames));
  if (model.config.latentFrames(r.frames) % model.config.patch[0])
    throw Error("frames must be a multiple of " + std::to_string(model.config.patch[0]));
  return r;
}

TokenGrid tokenGridFor(const Model& model, const GenerationRequest& r) {
  const int64_t f = model.config.latent.factor;
  TokenGrid grid = model.dit->tokenGrid(model.config.latentFrames(r.frames), r.height / f, r.width / f);
  grid.text = model.config.contextTokens();
  return grid;
}

GenerationResult generate(const Model& model, const GenerationRequest& request, const RunOptions& options) {
  // NoGrad rather than InferenceMode: attention workers run on other threads,
  // where an inference-mode guard would not hold.
  torch::NoGradGuard noGrad;
  auto start = Clock::now();
  GenerationResult result;
  result.request = resolveRequest(model, request);
  const GenerationRequest& r = result.request;
  result.grid = tokenGridFor(model, r);
  if (options.mask)
    options.mask->checkCompatible(model.config.modelId, result.grid, model.config.layers, model.config.heads);
  for (int s : options.captureSteps)
    if (s < 0 || s >= r.steps)
      throw Error("capture step " + std::to_string(s) + " is outside the run's steps 0.." + std::to_string(r.steps - 1));
  if (!options.captureSteps.empty()) options.captureLayout.validate(result.grid);

  // Text: [uncond, cond] so that the cond sample is batch element 1.
  auto textStart = Clock::now();
  // The model's device and dtype (Model::to); the sampler state stays float32.
  const torch::Tensor anyWeight = model.dit->parameters().front();
  const torch::Device device = anyWeight.device();
  const torch::ScalarType dtype = anyWeight.scalar_type();
  result.device = device.str();
  result.dtype = dtypeName(dtype);
  const bool onGpu = device.is_cuda();
  const bool syncSteps = onGpu && options.timeStages;
  if (onGpu) cuda::resetPeakAllocated(device.has_index() ? device.index() : 0);
  torch::Tensor context;  // [2, T, textDim]
  std::vector<std::string> contextTokens;
  if (model.backend) {
    context = model.backend->encodeText({r.negativePrompt, r.prompt}, &contextTokens).to(device);
  } else {
    const int64_t T = model.config.text.maxTokens;
    Tokens cond = model.tokenizer->tokenize(r.prompt, T, r.allowUnknownWords);
    Tokens uncond = model.tokenizer->tokenize(r.negativePrompt, T, r.allowUnknownWords);
    result.unknownWords = cond.unknown;
    contextTokens = cond.words;
    auto ids = torch::stack({torch::tensor(uncond.ids, torch::kInt64), torch::tensor(cond.ids, torch::kInt64)}).to(device);
    context = model.textEncoder.ptr()->forward(ids);
  }
  if (syncSteps) cuda::synchronize();  // the encoder's queued work belongs to the text stage
  result.timings.text = secondsSince(textStart);

  AttentionAtlas& atlas = result.atlas;
  atlas.modelId = model.config.modelId;
  atlas.grid = result.grid;
  atlas.layout = options.captureLayout;
  atlas.heads = model.config.heads;
  atlas.layers = model.config.layers;
  atlas.totalSteps = r.steps;
  atlas.textTokens = contextTokens;

  AttentionPlan plan;
  plan.grid = result.grid;
  plan.captureSteps = options.captureSteps;
  plan.captureLayout = options.captureLayout;
  plan.mask = options.mask;
  plan.captureBatch = 1;
  plan.timeStages = options.timeStages;
  AttentionOp op(plan, &atlas);
  context = context.to(dtype);

  // Noise from a seeded generator, drawn in float64 so the stream does not
  // depend on vectorisation details.
  const int64_t lf = model.config.latent.factor;
  auto generator = at::detail::createCPUGenerator(r.seed);
  const int64_t latentFrames = model.config.latentFrames(r.frames);
  torch::Tensor x = at::normal(0.0, 1.0, {1, model.config.latentChannels(), latentFrames, r.height / lf, r.width / lf},
                               generator, torch::TensorOptions().dtype(torch::kFloat64))
                        .to(torch::kFloat32)
                        .to(device);

  FlowMatchSchedule schedule(r.steps, r.shift);
  std::optional<FlowUniPc> unipc;
  if (r.sampler == "unipc") unipc.emplace(r.steps, r.shift);
  auto denoiseStart = Clock::now();
  for (int step = 0; step < r.steps; ++step) {
    if (options.cancel && options.cancel->load()) throw Cancelled();
    const auto stepStart = Clock::now();
    const double attentionBefore = op.attentionSeconds();
    op.beginStep(step);
    const double timestep = unipc ? unipc->timestep(step) : schedule.timestep(step);
    auto t = torch::full({2}, timestep, torch::TensorOptions().dtype(torch::kFloat32).device(device));
    auto v = model.dit.ptr()->forward(torch::cat({x, x}).to(dtype), t, context, op).to(torch::kFloat32);  // [2, C, F, h, w]
    const double sigma = unipc ? unipc->sigmas()[step] : schedule.sigmas[step];
    auto guided = v[0] + guidanceAt(r.guidance, r.guidanceMaxSigma, sigma) * (v[1] - v[0]);
    if (unipc)
      x = unipc->step(guided.unsqueeze(0), x);
    else
      x = x + schedule.delta(step) * guided.unsqueeze(0);
    if (syncSteps) cuda::synchronize();
    result.timings.steps.push_back({step, stepMode(op, step, model.config.layers), secondsSince(stepStart),
                                    op.attentionSeconds() - attentionBefore});
    if (options.progress) options.progress(step + 1, r.steps);
  }
  result.timings.denoise = secondsSince(denoiseStart);
  result.timings.attention = op.attentionSeconds();

  auto decodeStart = Clock::now();
  result.video = model.backend ? model.backend->decode(x[0], model.config.defaults.fps)
                               : decodeLatent(x[0].cpu(), model.config.latent, model.config.defaults.fps);
  result.timings.decode = secondsSince(decodeStart);
  result.timings.total = secondsSince(start);
  if (onGpu) result.timings.peakGpuBytes = cuda::peakAllocatedBytes(device.has_index() ? device.index() : 0);
  result.denseKernel = op.denseKernelName();
  return result;
}

}  // namespace attnscope
