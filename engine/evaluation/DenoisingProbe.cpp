#include "engine/evaluation/DenoisingProbe.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "engine/attention/AttentionOp.h"
#include "engine/core/Error.h"
#include "engine/evaluation/ColourDrift.h"
#include "engine/model/LatentCodec.h"
#include "engine/procedural/ProceduralVideo.h"
#include "engine/procedural/SplitMix64.h"

namespace attnscope {

namespace {

// The palette colour nearest to the mean colour of `video` over the pixels
// where `truth` shows exactly the colour `colour` (the main shape's interior,
// drawn last so never covered); -1 when no such pixel exists.
int maskColour(const VideoFrames& video, const VideoFrames& truth, int colour) {
  const auto& palette = shapePalette();
  const NamedColour& want = palette.at(colour);
  double sum[3] = {0, 0, 0};
  int64_t n = 0;
  for (size_t i = 0; i + 2 < truth.rgb.size(); i += 3) {
    if (truth.rgb[i] != want.r || truth.rgb[i + 1] != want.g || truth.rgb[i + 2] != want.b) continue;
    for (int c = 0; c < 3; ++c) sum[c] += video.rgb[i + c];
    ++n;
  }
  if (n == 0) return -1;
  int best = -1;
  double bestDistance = std::numeric_limits<double>::max();
  for (size_t k = 0; k < palette.size(); ++k) {
    const double dr = sum[0] / n - palette[k].r, dg = sum[1] / n - palette[k].g, db = sum[2] / n - palette[k].b;
    const double d = dr * dr + dg * dg + db * db;
    if (d < bestDistance) bestDistance = d, best = static_cast<int>(k);
  }
  return best;
}

void score(DenoisingBranch& b, const torch::Tensor& v, const torch::Tensor& xt, const torch::Tensor& x0,
           const torch::Tensor& target, double sigma, const ModelConfig& config, const SceneSpec& scene,
           const VideoFrames& truth, const std::array<double, 2>& direction) {
  b.velocityLoss += torch::mse_loss(v, target).item<double>();
  auto estimate = xt - sigma * v;
  b.estimateError += torch::mse_loss(estimate, x0).item<double>();
  const VideoFrames video = decodeLatent(estimate[0].cpu(), config.latent, config.defaults.fps);
  const ShapeSpec& main = scene.shapes.front();
  const MainShapeEstimate seen = estimateMainShape(video);
  b.detectorColourRight += seen.colour == main.colour;
  b.maskColourRight += maskColour(video, truth, main.colour) == main.colour;
  if (isTranslation(main.motion) || main.motion == Motion::Still)
    b.directionRight += seen.colour >= 0 && seen.direction == main.motion;
  if (isTranslation(main.motion)) b.drift += mainColourDrift(video, scene, direction);
}

void average(DenoisingBranch& b, int n, int translations) {
  b.velocityLoss /= n;
  b.estimateError /= n;
  b.drift /= std::max(translations, 1);
}

}  // namespace

DenoisingProbeReport probeDenoising(const Model& model, const DenoisingProbeOptions& options) {
  if (model.backend || !model.tokenizer)
    throw Error("the denoising probe needs a model with the built-in word tokenizer and pixel codec");
  if (options.samples < 1) throw Error("the denoising probe needs at least 1 sample, got " + std::to_string(options.samples));
  if (options.sigmas.empty()) throw Error("the denoising probe needs at least one sigma");
  for (double s : options.sigmas)
    if (!(s > 0 && s <= 1)) throw Error("probe sigma must be in (0, 1], got " + std::to_string(s));
  torch::NoGradGuard noGrad;
  const auto& d = model.config.defaults;
  const SceneSize size{d.frames, d.height, d.width};
  const int64_t T = model.config.text.maxTokens;
  // The model's device and dtype (Model::to), as in generate(): the latents stay float32.
  const torch::Tensor anyWeight = model.dit->parameters().front();
  const torch::Device device = anyWeight.device();
  const torch::ScalarType dtype = anyWeight.scalar_type();
  AttentionOp op(AttentionPlan{}, nullptr);

  DenoisingProbeReport report;
  report.modelId = model.config.modelId;
  report.guidance = options.guidance;
  for (double s : options.sigmas) {
    report.rows.emplace_back();
    report.rows.back().sigma = s;
  }

  for (int i = 0; i < options.samples; ++i) {
    const SceneSpec scene = sampleScene(kHeldOutSeedBase + options.seedOffset + uint64_t(i), size);
    const VideoFrames truth = renderScene(scene, size);
    ++report.truthSamples;
    report.truthColourRight += estimateMainShape(truth).colour == scene.shapes.front().colour;
    const Motion motion = scene.shapes.front().motion;
    const bool translates = isTranslation(motion);
    const std::array<double, 2> direction = translates ? mainShapeDirection(scene, size) : std::array<double, 2>{0, 0};
    if (translates) {
      report.truthDrift += mainColourDrift(truth, scene, direction);
      ++report.truthTranslations;
    }
    auto x0 = encodeFrames(truth, model.config.latent).unsqueeze(0).to(device);  // [1, C, F, h, w]
    Tokens cond = model.tokenizer->tokenize(scene.caption, T);
    auto ids = torch::stack({torch::zeros({T}, torch::kInt64), torch::tensor(cond.ids, torch::kInt64)}).to(device);
    auto context = model.textEncoder.ptr()->forward(ids).to(dtype);  // [2, T, textDim]: empty prompt, caption
    for (auto& row : report.rows) {
      // Noise fixed by (scene, sigma index) so runs are comparable.
      auto generator = at::detail::createCPUGenerator(procedural::mixHash(scene.seed, uint64_t(&row - &report.rows[0])));
      auto noise = at::normal(0.0, 1.0, x0.sizes(), generator, torch::TensorOptions().dtype(torch::kFloat64))
                       .to(torch::kFloat32)
                       .to(device);
      auto xt = (1.0 - row.sigma) * x0 + row.sigma * noise;
      auto target = noise - x0;
      auto t = torch::full({2}, row.sigma * 1000.0, torch::TensorOptions().dtype(torch::kFloat32).device(device));
      auto v = model.dit.ptr()->forward(torch::cat({xt, xt}).to(dtype), t, context, op).to(torch::kFloat32);  // [2, C, F, h, w]
      auto vu = v.slice(0, 0, 1), vc = v.slice(0, 1, 2);
      ++row.samples;
      row.directionSamples += translates || motion == Motion::Still;
      row.translationSamples += translates;
      score(row.uncond, vu, xt, x0, target, row.sigma, model.config, scene, truth, direction);
      score(row.cond, vc, xt, x0, target, row.sigma, model.config, scene, truth, direction);
      score(row.guided, vu + options.guidance * (vc - vu), xt, x0, target, row.sigma, model.config, scene, truth,
            direction);
    }
  }
  for (auto& row : report.rows) {
    average(row.uncond, row.samples, row.translationSamples);
    average(row.cond, row.samples, row.translationSamples);
    average(row.guided, row.samples, row.translationSamples);
  }
  report.truthDrift /= std::max(report.truthTranslations, 1);
  return report;
}

}  // namespace attnscope
