// The trainer's parts (objective, optimiser, schedule, EMA, differentiable
// attention, clip stream, loss log, checkpoints) against float64 references
// on random inputs, and whole tiny CPU runs: a run resumed from its
// checkpoint ends where an uninterrupted run ends.
// LibTorch first: Qt's `slots` macro must not reach its headers.
#include <torch/torch.h>

#include "engine/attention/AttentionKernels.h"
#include "engine/training/Trainer.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "engine/attention/AttentionOp.h"
#include "engine/attention/DifferentiableAttention.h"
#include "engine/core/Error.h"
#include "engine/model/DitModel.h"
#include "engine/model/LatentCodec.h"
#include "engine/model/Model.h"
#include "engine/pipeline/FlowMatchSchedule.h"
#include "engine/tensorio/TensorIO.h"
#include "engine/training/AdamW.h"
#include "engine/training/Checkpoint.h"
#include "engine/training/ClipStream.h"
#include "engine/training/Ema.h"
#include "engine/training/FlowMatching.h"
#include "engine/training/LearningRate.h"
#include "engine/training/LossLog.h"

#include "tests/support/ErrorMessage.h"
#include "tests/support/TinyModelConfig.h"

using namespace attnscope;
using namespace attnscope::testing;
namespace fs = std::filesystem;

namespace {

std::string vocabPath() { return defaultVocabPath(); }

ModelConfig tinyConfig() {
  ModelConfig c = tinyModelConfig("tiny-train-test");
  c.dim = 32;
  c.layers = 1;
  c.ffnDim = 64;
  c.text.ffnDim = 32;
  c.text.maxTokens = 24;
  c.defaults = {4, 16, 16, 3, 4.0, 3.0, 8.0};
  return c;
}

double relError(const torch::Tensor& a, const torch::Tensor& ref) {
  return (a.to(torch::kFloat64) - ref).norm().item<double>() / ref.norm().item<double>();
}

// Two samples of random latents on a 2x4x4 token grid, timesteps t0 and t1,
// and random prompt embeddings of 8 tokens.
std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> tinyBatch(const ModelConfig& c, double t0, double t1) {
  const auto& patch = c.patch;
  return {torch::randn({2, c.latentChannels(), 2 * patch[0], 4 * patch[1], 4 * patch[2]}), torch::tensor({t0, t1}),
          torch::randn({2, 8, c.textDim})};
}

TrainerSettings tinySettings(const QString& out) {
  TrainerSettings s;
  s.outDir = out.toStdString();
  s.config = tinyConfig();
  s.vocabPath = vocabPath();
  s.device = "cpu";
  s.workers = 2;
  s.measureInference = false;
  s.optionOverrides = {{"steps", 4}, {"batch", 4}, {"repeat", 2}, {"warmup_steps", 2}, {"log_every", 1},
                       {"checkpoint_every", 2}, {"lr", 1e-3}};
  return s;
}

// Three steps into dir/next from `started`, adding a layout prior `width` wide.
TrainerSettings layoutPriorRun(const QTemporaryDir& dir, const std::string& started, int64_t width,
                               const nlohmann::json& overrides) {
  TrainerSettings next = tinySettings(dir.filePath("next"));
  next.initFrom = started;
  next.layoutPrior = width;
  next.optionOverrides.update(overrides);
  next.optionOverrides["steps"] = 3;
  return next;
}

// A tiny model trained for two steps into dir/base; returns its model folder.
std::string trainedTinyModel(const QTemporaryDir& dir) {
  TrainerSettings base = tinySettings(dir.filePath("base"));
  base.optionOverrides["steps"] = 2;
  train(base, nullptr, nullptr);
  return dir.filePath("base/model").toStdString();
}

std::map<std::string, torch::Tensor> weightsOf(const std::string& file) {
  SafetensorsFile f(file);
  std::map<std::string, torch::Tensor> out;
  for (const auto& info : f.tensors()) out[info.name] = readTensor(f, info);
  return out;
}

// A tiny DiT with every parameter drawn at random (a trained-looking model,
// so that a zero-initialised path added to it is visible when it wakes).
DitModel randomTinyDit(uint64_t seed) {
  torch::manual_seed(seed);
  DitModel model(tinyConfig());
  torch::NoGradGuard ng;
  for (auto& p : model->parameters()) p.normal_(0, 0.2);
  return model;
}

// One dense forward pass without gradients.
torch::Tensor denseForward(DitModel& model, const torch::Tensor& latents, const torch::Tensor& t,
                           const torch::Tensor& ctx) {
  AttentionPlan plan;
  plan.grid = model->tokenGrid(latents.size(2), latents.size(3), latents.size(4));
  plan.grid.text = ctx.size(1);
  AttentionOp op(plan, nullptr);
  torch::NoGradGuard ng;
  return model->forward(latents, t, ctx, op);
}

}  // namespace

class TestTraining : public QObject {
  Q_OBJECT

 private slots:
  void shiftedSigmasMatchTheSampler() {
    FlowMatchSchedule schedule(10, 3.0);
    auto u = torch::linspace(1.0, 0.0, 11, torch::kFloat64);
    auto s = shiftedSigmas(u, 3.0);
    for (int i = 0; i <= 10; ++i) QVERIFY(std::abs(s[i].item<double>() - schedule.sigmas[i]) < 1e-12);
  }

  void eulerStepWithTheTargetVelocityLandsOnTheData() {
    // The sampler's step x += (0 - sigma) v with the training target v must give x0.
    auto x0 = torch::randn({3, 6, 2, 4, 4}, torch::kFloat64);
    auto noise = torch::randn({3, 6, 2, 4, 4}, torch::kFloat64);
    auto sigmas = torch::rand({3}, torch::kFloat64) * 0.9 + 0.05;
    FlowMatchingSample s = flowMatchingSample(x0, noise, sigmas);
    auto back = s.noisy - sigmas.view({-1, 1, 1, 1, 1}) * s.target;
    QVERIFY(relError(back, x0) < 1e-12);
    QVERIFY(relError(s.timesteps, sigmas * 1000.0) < 1e-12);
    auto expected = (1 - sigmas.view({-1, 1, 1, 1, 1})) * x0 + sigmas.view({-1, 1, 1, 1, 1}) * noise;
    QVERIFY(relError(s.noisy, expected) < 1e-12);
    QVERIFY(errorOf([&] { flowMatchingSample(x0, noise, torch::rand({2})); }).contains("one sigma per batch"));
  }

  void batchEncodingMatchesPerClipEncoding() {
    auto bytes = torch::randint(0, 256, {3, 2, 8, 12, 3}, torch::kUInt8);
    LatentConfig lc;
    lc.factor = 4;
    auto batch = encodeFrameBatch(bytes, lc);
    QCOMPARE(batch.sizes().vec(), (std::vector<int64_t>{3, 48, 2, 2, 3}));
    for (int64_t b = 0; b < 3; ++b) {
      VideoFrames v;
      v.frames = 2, v.height = 8, v.width = 12;
      auto clip = bytes[b].contiguous();
      v.rgb.assign(clip.data_ptr<uint8_t>(), clip.data_ptr<uint8_t>() + clip.numel());
      QVERIFY(torch::equal(batch[b], encodeFrames(v, lc)));
    }
  }

  void adamWMatchesTheReferenceUpdate() {
    torch::manual_seed(3);
    auto w = torch::randn({5, 4}).set_requires_grad(true);
    auto b = torch::randn({4}).set_requires_grad(true);
    NamedParameters params{{"layer.weight", w}, {"layer.bias", b}};
    AdamWSettings st{0.9, 0.99, 1e-8, 0.1};
    AdamW opt(params, st);
    auto rw = w.detach().to(torch::kFloat64), rb = b.detach().to(torch::kFloat64);
    auto mw = torch::zeros_like(rw), vw = torch::zeros_like(rw), mb = torch::zeros_like(rb), vb = torch::zeros_like(rb);
    for (int t = 1; t <= 3; ++t) {
      auto gw = torch::randn({5, 4}), gb = torch::randn({4});
      w.mutable_grad() = gw.clone();
      b.mutable_grad() = gb.clone();
      const double lr = 0.01 * t;
      opt.step(lr);
      auto ref = [&](torch::Tensor& p, torch::Tensor& m, torch::Tensor& v, const torch::Tensor& g, bool decay) {
        auto g64 = g.to(torch::kFloat64);
        m = 0.9 * m + 0.1 * g64;
        v = 0.99 * v + 0.01 * g64 * g64;
        if (decay) p = p * (1 - lr * 0.1);
        p = p - lr * (m / (1 - std::pow(0.9, t))) / ((v / (1 - std::pow(0.99, t))).sqrt() + 1e-8);
      };
      ref(rw, mw, vw, gw, true);
      ref(rb, mb, vb, gb, false);  // biases are not decayed
      QVERIFY2(relError(w.detach(), rw) < 1e-6, "weight");
      QVERIFY2(relError(b.detach(), rb) < 1e-6, "bias");
    }
    QCOMPARE(opt.steps(), int64_t(3));
  }

  void adamWScalesTheLearningRateByNamePrefix() {
    // Two copies of one parameter with the same gradients: the one under the
    // scaled prefix moves exactly `scale` times as far (decay included).
    torch::manual_seed(4);
    auto start = torch::randn({3, 4});
    auto plain = start.clone().set_requires_grad(true), scaled = start.clone().set_requires_grad(true);
    NamedParameters params{{"blocks.0.weight", plain}, {"text_pool.weight", scaled}};
    AdamW opt(params, {0.9, 0.99, 1e-8, 0.1, {{"text_pool.", 10.0}}});
    QCOMPARE(opt.lrScale("text_pool.bias"), 10.0);
    QCOMPARE(opt.lrScale("blocks.0.text_pool.weight"), 1.0);
    auto g = torch::randn({3, 4});
    plain.mutable_grad() = g.clone();
    scaled.mutable_grad() = g.clone();
    opt.step(1e-3);
    auto movedPlain = (plain.detach() - start).to(torch::kFloat64);
    auto movedScaled = (scaled.detach() - start).to(torch::kFloat64);
    QVERIFY(movedPlain.abs().max().item<double>() > 1e-4);
    QVERIFY(relError(movedScaled, movedPlain * 10.0) < 1e-3);  // float32 steps of ~1e-3 on values ~1
    // The option behind it is checked like the others.
    QVERIFY(errorOf([] { TrainingOptions::fromJson({{"text_pool_lr_scale", 0}}, "opts"); }).contains("text_pool_lr_scale"));
  }

  void adamWDecaysOnlyContentMatrices() {
    // Zero-initialised paths that must grow (the absolute position table)
    // and the modulation tables are exempt; so is anything of rank < 2.
    const auto matrix = torch::zeros({4, 3}), vector = torch::zeros({4});
    QVERIFY(AdamW::decays("blocks.0.self_attn.q.weight", matrix));
    QVERIFY(AdamW::decays("text_pool.weight", matrix));
    QVERIFY(!AdamW::decays("blocks.0.self_attn.q.bias", vector));
    QVERIFY(!AdamW::decays("pos_embedding.weight", matrix));
    QVERIFY(!AdamW::decays("text_encoder.position_embedding", matrix));
    QVERIFY(!AdamW::decays("blocks.3.modulation", torch::zeros({1, 6, 4})));
  }

  void adamWRestoreChecksNamesAndShapes() {
    NamedParameters params{{"a", torch::randn({2, 3}).set_requires_grad(true)}};
    AdamW opt(params, {});
    std::map<std::string, torch::Tensor> good{{"a", torch::randn({2, 3})}}, wrong{{"a", torch::randn({3, 2})}},
        other{{"b", torch::randn({2, 3})}};
    opt.restore(good, good, 7, "ckpt");
    QCOMPARE(opt.steps(), int64_t(7));
    QVERIFY(torch::equal(opt.firstMoments().at("a"), good.at("a")));
    QVERIFY(errorOf([&] { opt.restore(wrong, good, 1, "ckpt"); }).contains("[3, 2]"));
    QVERIFY(errorOf([&] { opt.restore(other, good, 1, "ckpt"); }).contains("unknown parameter b"));
    QVERIFY(errorOf([&] { opt.restore({}, good, 1, "ckpt"); }).contains("missing parameter a"));
  }

  void gradientClippingScalesToTheNorm() {
    auto a = torch::randn({3, 3}).set_requires_grad(true), b = torch::randn({4}).set_requires_grad(true);
    a.mutable_grad() = torch::randn({3, 3}) * 5;
    b.mutable_grad() = torch::randn({4}) * 5;
    const double norm = std::sqrt(a.grad().to(torch::kFloat64).pow(2).sum().item<double>() +
                                  b.grad().to(torch::kFloat64).pow(2).sum().item<double>());
    NamedParameters params{{"a", a}, {"b", b}};
    auto before = clipGradientNorm(params, 1.0);
    QVERIFY(std::abs(before.item<double>() - norm) < 1e-4 * norm);
    const double after = std::sqrt(a.grad().pow(2).sum().item<double>() + b.grad().pow(2).sum().item<double>());
    QVERIFY(std::abs(after - 1.0) < 1e-4);
  }

  void learningRateWarmsUpThenDecays() {
    TrainingOptions o;
    o.lr = 1e-3;
    o.steps = 1000;
    o.warmupSteps = 100;
    o.minLrRatio = 0.1;
    QVERIFY(std::abs(learningRateAt(o, 0) - 1e-5) < 1e-12);
    QVERIFY(std::abs(learningRateAt(o, 49) - 5e-4) < 1e-12);
    QVERIFY(std::abs(learningRateAt(o, 100) - 1e-3) < 1e-12);
    QVERIFY(std::abs(learningRateAt(o, 999) - 1e-4) < 1e-12);
    QVERIFY(learningRateAt(o, 500) < learningRateAt(o, 300));
    o.decay = "constant";
    QVERIFY(std::abs(learningRateAt(o, 999) - 1e-3) < 1e-12);
  }

  void emaFollowsTheReference() {
    QVERIFY(std::abs(emaDecayAt(0.999, 0) - 0.1) < 1e-12);
    QVERIFY(std::abs(emaDecayAt(0.999, 100000) - 0.999) < 1e-12);
    auto t = torch::randn({6}), s = torch::randn({6});
    auto expected = 0.7 * t.to(torch::kFloat64) + 0.3 * s.to(torch::kFloat64);
    emaUpdate({{"x", t}}, {{"x", s}}, 0.7);
    QVERIFY(relError(t, expected) < 1e-6);
  }

  void differentiableAttentionMatchesReferenceWithGradients() {
    auto q = torch::randn({2, 3, 10, 8}, torch::kFloat32).set_requires_grad(true);
    auto k = torch::randn({2, 3, 7, 8}, torch::kFloat32).set_requires_grad(true);
    auto v = torch::randn({2, 3, 7, 8}, torch::kFloat32).set_requires_grad(true);
    auto q64 = q.detach().to(torch::kFloat64).set_requires_grad(true);
    auto k64 = k.detach().to(torch::kFloat64).set_requires_grad(true);
    auto v64 = v.detach().to(torch::kFloat64).set_requires_grad(true);
    auto ref = torch::matmul(torch::softmax(torch::matmul(q64, k64.transpose(-1, -2)) / std::sqrt(8.0), -1), v64);
    auto out = differentiableAttention(q, k, v);
    QVERIFY(relError(out.detach(), ref.detach()) < 1e-5);
    auto weights = torch::randn(out.sizes(), torch::kFloat64);
    (out.to(torch::kFloat64) * weights).sum().backward();
    (ref * weights).sum().backward();
    QVERIFY(relError(q.grad(), q64.grad()) < 1e-4);
    QVERIFY(relError(k.grad(), k64.grad()) < 1e-4);
    QVERIFY(relError(v.grad(), v64.grad()) < 1e-4);
  }

  void attentionOpTakesTheDifferentiablePathOnlyWhenNeeded() {
    auto q = torch::randn({1, 2, 64, 8}), k = torch::randn({1, 2, 64, 8}), v = torch::randn({1, 2, 64, 8});
    AttentionPlan plan;
    plan.grid = TokenGrid{1, 8, 8, 0};
    AttentionOp dense(plan, nullptr);
    // Without gradients the CPU kernel runs: same bits as calling it directly.
    QVERIFY(torch::equal(dense.self(0, q, k, v), denseAttention(q, k, v, 256)));
    auto qg = q.clone().set_requires_grad(true);
    auto out = dense.self(0, qg, k, v);
    QVERIFY(out.requires_grad());
    out.sum().backward();
    QVERIFY(qg.grad().defined() && qg.grad().abs().sum().item<double>() > 0);
    AttentionAtlas atlas;
    plan.captureSteps = {0};
    AttentionOp capture(plan, &atlas);
    QVERIFY(errorOf([&] { capture.self(0, qg, k, v); }).contains("train with dense attention"));
  }

  void clipStreamIsOrderedAndSkipsHeldOutSeeds() {
    auto tokenizer = std::make_shared<const WordTokenizer>(WordTokenizer::load(vocabPath()));
    SceneSize size{4, 16, 16};
    ClipStream stream(tokenizer, 24, size, 99, 5, 3, 8);
    for (uint64_t i = 5; i < 15; ++i) {
      TrainingClip got = stream.next();
      TrainingClip want = makeTrainingClip(99, i, size, *tokenizer, 24);
      QCOMPARE(got.index, i);
      QCOMPARE(got.seed, want.seed);
      QVERIFY(got.seed < kHeldOutSeedBase);
      QVERIFY(got.rgb == want.rgb);
      QVERIFY(got.ids == want.ids);
      QCOMPARE(int64_t(got.rgb.size()), int64_t(4 * 16 * 16 * 3));
    }
    QCOMPARE(stream.position(), uint64_t(15));
    QVERIFY(clipSeed(99, 1) != clipSeed(99, 2));
    QVERIFY(clipSeed(99, 1) != clipSeed(100, 1));
  }

  void lossLogKeepsRowsUpToTheResumedStep() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("loss.csv").toStdString();
    {
      LossLog log(path, "", 0);
      for (int s = 1; s <= 5; ++s) log.append({s * 10, 1.0 / s, 1e-3, 100.0 + s, 2.0 * s});
    }
    LossLog resumed(path, path, 30);
    QCOMPARE(int(resumed.rows().size()), 3);
    resumed.append({40, 0.2, 1e-3, 100, 9});
    auto rows = LossLog::read(path);
    QCOMPARE(int(rows.size()), 4);
    QCOMPARE(rows.back().step, int64_t(40));
    QVERIFY(std::abs(rows[1].loss - 0.5) < 1e-9);
    std::ofstream(path, std::ios::app) << "50,oops\n";
    QVERIFY(errorOf([&] { LossLog::read(path); }).contains("line 6"));
  }

  void optionsFromJsonNameTheBadField() {
    QVERIFY(errorOf([] { TrainingOptions::fromJson({{"batch", 0}}, "x.json"); }).contains("batch"));
    QVERIFY(errorOf([] { TrainingOptions::fromJson({{"lr", "fast"}}, "x.json"); }).contains("lr"));
    QVERIFY(errorOf([] { TrainingOptions::fromJson({{"batch", 6}, {"repeat", 4}}, "x.json"); }).contains("repeat"));
    auto o = TrainingOptions::fromJson({{"steps", 7}, {"decay", "constant"}}, "x.json");
    QCOMPARE(o.steps, int64_t(7));
    QCOMPARE(TrainingOptions::fromJson(o.toJson(), "x").toJson(), o.toJson());
  }

  void resumedRunEndsWhereAnUninterruptedRunEnds() {
    QTemporaryDir dir;
    // One run of 4 steps.
    TrainerSettings whole = tinySettings(dir.filePath("whole"));
    TrainingReport a = train(whole, nullptr, nullptr);
    QVERIFY(a.finished);
    QCOMPARE(a.step, int64_t(4));
    // The same run stopped after 2 steps (as --minutes or Ctrl-C would), then resumed.
    TrainerSettings first = tinySettings(dir.filePath("split"));
    first.optionOverrides["steps"] = 4;
    std::atomic<bool> stop{false};
    int64_t logged = 0;
    auto stopAtTwo = [&](const LossRow& row, int64_t) {
      logged = row.step;
      if (row.step == 2) stop = true;
    };
    TrainingReport b = train(first, stopAtTwo, &stop);
    QCOMPARE(b.step, int64_t(2));
    QVERIFY(!b.finished);
    fs::copy_file(dir.filePath("split/model/model.safetensors").toStdString(), dir.filePath("stopped.safetensors").toStdString());
    TrainerSettings second = tinySettings(dir.filePath("split"));
    second.optionOverrides = nlohmann::json::object();
    second.resumeFrom = dir.filePath("split").toStdString();
    TrainingReport c = train(second, nullptr, nullptr);
    QVERIFY(c.finished);
    QCOMPARE(c.step, int64_t(4));

    auto wa = weightsOf(dir.filePath("whole/model/model.safetensors").toStdString());
    auto wc = weightsOf(dir.filePath("split/model/model.safetensors").toStdString());
    QCOMPARE(wa.size(), wc.size());
    // The moments travel as bfloat16, so the resumed run lands near, not on,
    // the uninterrupted one: within 2% of what the last two steps moved.
    auto wb = weightsOf(dir.filePath("stopped.safetensors").toStdString());
    double resumed = 0, moved = 0;
    for (const auto& [name, t] : wa) {
      resumed += (wc.at(name) - t).pow(2).sum().item<double>();
      moved += (wb.at(name) - t).pow(2).sum().item<double>();
    }
    QVERIFY(moved > 0);
    QVERIFY2(std::sqrt(resumed / moved) < 0.02, std::to_string(std::sqrt(resumed / moved)).c_str());
    auto rows = LossLog::read(dir.filePath("split/loss.csv").toStdString());
    QCOMPARE(int(rows.size()), 4);
    QCOMPARE(rows[3].step, int64_t(4));
    QVERIFY(std::isfinite(rows[3].loss) && rows[3].loss > 0);
    // The shipped folder is a loadable, trained model with its recipe.
    Model shipped = Model::load(dir.filePath("split/model").toStdString());
    QVERIFY(shipped.config.trained);
    QVERIFY(fs::exists(dir.filePath("split/model/recipe.json").toStdString()));
    std::ifstream recipeFile(dir.filePath("split/recipe.json").toStdString());
    auto recipe = nlohmann::json::parse(recipeFile);
    QCOMPARE(recipe.at("steps_done").get<int64_t>(), int64_t(4));
    QCOMPARE(recipe.at("options").at("batch").get<int64_t>(), int64_t(4));
  }

  void initFromStartsAFreshScheduleFromATrainedModel() {
    QTemporaryDir dir;
    const std::string shipped = trainedTinyModel(dir);
    // A vanishing learning rate: the optimiser moves nothing measurable, so
    // the new run's EMA must be the model it started from.
    TrainerSettings next = tinySettings(dir.filePath("next"));
    next.config = ModelConfig{};  // ignored: the architecture is the started-from model's
    next.initFrom = shipped;
    next.optionOverrides["steps"] = 2;
    next.optionOverrides["lr"] = 1e-30;
    TrainingReport r = train(next, nullptr, nullptr);
    QCOMPARE(r.step, int64_t(2));
    auto before = weightsOf(shipped + "/model.safetensors");
    auto after = weightsOf(dir.filePath("next/model/model.safetensors").toStdString());
    QCOMPARE(after.size(), before.size());
    for (const auto& [name, t] : before) QVERIFY2(torch::allclose(after.at(name), t, 1e-6, 1e-12), name.c_str());
    std::ifstream recipeFile(dir.filePath("next/recipe.json").toStdString());
    auto recipe = nlohmann::json::parse(recipeFile);
    QCOMPARE(recipe.at("steps_done").get<int64_t>(), int64_t(2));
    QCOMPARE(recipe.at("init_from").at("steps_done").get<int64_t>(), int64_t(2));
    QCOMPARE(recipe.at("init_from").at("folder").get<std::string>(), shipped);
    // Starting from a model and resuming a checkpoint at once is refused.
    TrainerSettings both = tinySettings(dir.filePath("both"));
    both.initFrom = shipped;
    both.resumeFrom = dir.filePath("base").toStdString();
    QVERIFY(errorOf([&] { train(both, nullptr, nullptr); }).contains("not both"));
  }

  void maskedTokenMeanMatchesTheReference() {
    torch::manual_seed(11);
    auto ctx = torch::randn({3, 6, 5});
    ctx.index_put_({0, torch::indexing::Slice(4)}, 0.0);  // two padding rows
    ctx.index_put_({2}, 0.0);                               // the empty prompt
    auto got = maskedTokenMean(ctx);
    auto ref = torch::zeros({3, 5}, torch::kFloat64);
    auto c64 = ctx.to(torch::kFloat64);
    ref[0] = c64[0].slice(0, 0, 4).mean(0);
    ref[1] = c64[1].mean(0);
    QVERIFY(relError(got, ref) < 1e-6);
    QCOMPARE(got[2].abs().max().item<float>(), 0.0f);
  }

  void pooledTextStartsSilentAndThenConditionsTheModel() {
    DitModel model = randomTinyDit(12);
    auto [latents, t, ctx] = tinyBatch(model->config, 700.0, 300.0);
    ctx.index_put_({1}, 0.0);  // sample 1: the empty prompt
    auto before = denseForward(model, latents, t, ctx);
    model->enablePooledText();
    QVERIFY(model->config.pooledText);
    QVERIFY(torch::equal(denseForward(model, latents, t, ctx), before));  // zero-initialised: nothing changes
    {
      torch::NoGradGuard ng;
      model->textPool->weight.normal_(0, 0.5);
    }
    auto after = denseForward(model, latents, t, ctx);
    QVERIFY((after[0] - before[0]).abs().max().item<float>() > 1e-3);
    // An all-padding context pools to zero: with a zero bias it is untouched.
    QVERIFY(torch::equal(after[1], before[1]));
  }

  void initFromAddsPooledTextAndTrainsIt() {
    QTemporaryDir dir;
    const std::string started = trainedTinyModel(dir);
    TrainerSettings next = tinySettings(dir.filePath("next"));
    next.initFrom = started;
    next.pooledText = true;
    next.optionOverrides["steps"] = 3;
    train(next, nullptr, nullptr);
    const std::string trained = dir.filePath("next/model").toStdString();
    auto weights = weightsOf(trained + "/model.safetensors");
    QVERIFY(weights.count("text_pool.weight"));
    QVERIFY(weights.at("text_pool.weight").abs().max().item<float>() > 0);  // it learned something
    Model loaded = Model::load(trained);
    QVERIFY(loaded.config.pooledText);
    QVERIFY(torch::equal(loaded.dit->textPool->weight, weights.at("text_pool.weight")));
    // Resuming keeps the pooled path (the checkpoint's config has it).
    TrainerSettings resumed = tinySettings(dir.filePath("next"));
    resumed.resumeFrom = dir.filePath("next").toStdString();
    resumed.optionOverrides = {{"steps", 4}};
    train(resumed, nullptr, nullptr);
    QVERIFY(Model::load(trained).config.pooledText);
    // A config that asks for the path without its weights is refused, naming them.
    ModelConfig claim = ModelConfig::load(started + "/config.json");
    claim.pooledText = true;
    claim.save(started + "/config.json");
    const QString error = errorOf([&] { Model::load(started); });
    QVERIFY2(error.contains("text_pool.weight"), qPrintable(error));
  }

  void gridPositionFeaturesMatchTheReference() {
    const TokenGrid grid{3, 4, 5, 0};
    auto got = gridPositionFeatures(grid, torch::kCPU);
    QCOMPARE(got.size(0), int64_t(3 * 4 * 5));
    QCOMPARE(got.size(1), 6 * kPositionFrequencies);
    // Float64, token by token in patch_embedding's order (frame, row, column).
    const int64_t K = kPositionFrequencies;
    auto ref = torch::zeros({60, 6 * K}, torch::kFloat64);
    const int64_t sizes[3] = {3, 4, 5};
    for (int64_t f = 0; f < 3; ++f)
      for (int64_t y = 0; y < 4; ++y)
        for (int64_t x = 0; x < 5; ++x) {
          const int64_t token = (f * 4 + y) * 5 + x, at[3] = {f, y, x};
          for (int a = 0; a < 3; ++a)
            for (int64_t k = 1; k <= K; ++k) {
              const double angle = M_PI * double(k) * (double(at[a]) + 0.5) / double(sizes[a]);
              ref[token][a * 2 * K + k - 1] = std::sin(angle);
              ref[token][a * 2 * K + K + k - 1] = std::cos(angle);
            }
        }
    QVERIFY(relError(got, ref) < 1e-6);
    // Every token's features differ from every other's: positions are told apart.
    auto distances = torch::cdist(got, got) + torch::eye(60) * 1e3;
    QVERIFY(distances.min().item<float>() > 1e-2);
  }

  void absolutePositionStartsSilentAndThenTellsTokensApart() {
    DitModel model = randomTinyDit(13);
    const ModelConfig& c = model->config;
    const auto& patch = c.patch;
    // The same latent in every frame and patch: without absolute positions
    // (RoPE is relative) only the borders can tell tokens apart.
    auto latents = torch::randn({1, c.latentChannels(), 1, patch[1], patch[2]})
                       .repeat({2, 1, 2 * patch[0], 4, 4});
    auto t = torch::tensor({990.0, 500.0});
    auto ctx = torch::randn({2, 8, c.textDim});
    auto before = denseForward(model, latents, t, ctx);
    model->enableAbsolutePosition();
    QVERIFY(model->config.absolutePosition);
    QVERIFY(torch::equal(denseForward(model, latents, t, ctx), before));  // zero-initialised: nothing changes
    {
      torch::NoGradGuard ng;
      model->positionEmbedding->weight.normal_(0, 0.5);
    }
    QVERIFY((denseForward(model, latents, t, ctx) - before).abs().max().item<float>() > 1e-3);
    // A different grid size works: the features are normalised coordinates.
    auto smaller = latents.slice(3, 0, 2 * patch[1]);
    QCOMPARE(denseForward(model, smaller, t, ctx).size(3), 2 * patch[1]);
  }

  void initFromAddsAbsolutePositionAndTrainsIt() {
    QTemporaryDir dir;
    const std::string started = trainedTinyModel(dir);
    TrainerSettings next = tinySettings(dir.filePath("next"));
    next.initFrom = started;
    next.absolutePosition = true;
    next.optionOverrides["steps"] = 3;
    next.optionOverrides["position_lr_scale"] = 10.0;
    train(next, nullptr, nullptr);
    const std::string trained = dir.filePath("next/model").toStdString();
    auto weights = weightsOf(trained + "/model.safetensors");
    QVERIFY(weights.count("pos_embedding.weight"));
    QVERIFY(weights.at("pos_embedding.weight").abs().max().item<float>() > 0);
    Model loaded = Model::load(trained);
    QVERIFY(loaded.config.absolutePosition);
    QVERIFY(torch::equal(loaded.dit->positionEmbedding->weight, weights.at("pos_embedding.weight")));
    QVERIFY(!loaded.config.pooledText);  // one path does not bring the other
    // Resuming keeps it, and the learning-rate factor is the checkpoint's.
    TrainerSettings resumed = tinySettings(dir.filePath("next"));
    resumed.resumeFrom = dir.filePath("next").toStdString();
    resumed.optionOverrides = {{"steps", 4}};
    train(resumed, nullptr, nullptr);
    QVERIFY(Model::load(trained).config.absolutePosition);
    std::ifstream recipeFile(dir.filePath("next/recipe.json").toStdString());
    QCOMPARE(nlohmann::json::parse(recipeFile).at("options").at("position_lr_scale").get<double>(), 10.0);
    // A config that asks for the path without its weights is refused, naming them.
    ModelConfig claim = ModelConfig::load(started + "/config.json");
    claim.absolutePosition = true;
    claim.save(started + "/config.json");
    const QString error = errorOf([&] { Model::load(started); });
    QVERIFY2(error.contains("pos_embedding.weight"), qPrintable(error));
    QVERIFY(errorOf([] { TrainingOptions::fromJson({{"position_lr_scale", -1}}, "opts"); })
                .contains("position_lr_scale"));
  }

  void layoutPriorStartsSilentThenDependsOnPlaceAndCaption() {
    DitModel model = randomTinyDit(17);
    const ModelConfig& c = model->config;
    auto [latents, t, ctx] = tinyBatch(c, 999.0, 400.0);
    auto before = denseForward(model, latents, t, ctx);
    model->enableLayoutPrior(16);
    QCOMPARE(model->config.layoutPrior, int64_t(16));
    QVERIFY(torch::equal(denseForward(model, latents, t, ctx), before));  // zero last layer: nothing changes
    {
      torch::NoGradGuard ng;
      model->layoutPrior->out->weight.normal_(0, 0.5);
    }
    // The prior's own term differs between places and between conditions,
    // which is what a "moves right" smear needs.
    auto positions = gridPositionFeatures(TokenGrid{2, 4, 4, 0}, torch::kCPU);
    auto e = torch::randn({2, c.dim}), caption = torch::randn({2, c.textDim});
    auto term = model->layoutPrior->forward(positions, e, caption);
    QCOMPARE(term.sizes().vec(), (std::vector<int64_t>{2, 32, c.tokenOutFeatures()}));
    QVERIFY((term[0][0] - term[0][31]).abs().max().item<float>() > 1e-3);
    QVERIFY((term[0] - term[1]).abs().max().item<float>() > 1e-3);
    // The caption alone moves it too (e held fixed).
    auto otherCaption = model->layoutPrior->forward(positions, e, torch::randn({2, c.textDim}));
    QVERIFY((otherCaption - term).abs().max().item<float>() > 1e-3);
    // Against a float64 reference of the same layers.
    auto lin = [](const torch::nn::Linear& l, const torch::Tensor& x) {
      auto y = x.matmul(l->weight.to(torch::kFloat64).t());
      return l->bias.defined() ? y + l->bias.to(torch::kFloat64) : y;
    };
    auto& prior = *model->layoutPrior;
    auto h = torch::silu(lin(prior.position, positions.to(torch::kFloat64)).unsqueeze(0) +
                         (lin(prior.condition, e.to(torch::kFloat64)) + lin(prior.caption, caption.to(torch::kFloat64)))
                             .unsqueeze(1));
    auto ref = lin(prior.out, torch::silu(lin(prior.hidden, h)));
    QVERIFY(relError(term, ref) < 1e-5);
    QVERIFY((denseForward(model, latents, t, ctx) - before).abs().max().item<float>() > 1e-3);
    QVERIFY(errorOf([&] { randomTinyDit(3)->enableLayoutPrior(0); }).contains("hidden width"));
  }

  void initFromAddsLayoutPriorAndTrainsIt() {
    QTemporaryDir dir;
    const std::string started = trainedTinyModel(dir);
    train(layoutPriorRun(dir, started, 24, {{"layout_prior_lr_scale", 4.0}}), nullptr, nullptr);
    const std::string trained = dir.filePath("next/model").toStdString();
    auto weights = weightsOf(trained + "/model.safetensors");
    QVERIFY(weights.count("layout_prior.out.weight"));
    QVERIFY(weights.at("layout_prior.out.weight").abs().max().item<float>() > 0);  // it learned from zero
    Model loaded = Model::load(trained);
    QCOMPARE(loaded.config.layoutPrior, int64_t(24));
    QVERIFY(torch::equal(loaded.dit->layoutPrior->out->weight, weights.at("layout_prior.out.weight")));
    QVERIFY(!loaded.config.absolutePosition);  // one path does not bring the other
    std::ifstream recipeFile(dir.filePath("next/recipe.json").toStdString());
    QCOMPARE(nlohmann::json::parse(recipeFile).at("options").at("layout_prior_lr_scale").get<double>(), 4.0);
    // A config that asks for the prior without its weights is refused, naming them.
    ModelConfig claim = ModelConfig::load(started + "/config.json");
    claim.layoutPrior = 24;
    claim.save(started + "/config.json");
    const QString error = errorOf([&] { Model::load(started); });
    QVERIFY2(error.contains("layout_prior."), qPrintable(error));
    claim.layoutPrior = -1;
    QVERIFY(errorOf([&] { claim.validate(); }).contains("layout_prior"));
    QVERIFY(errorOf([] { TrainingOptions::fromJson({{"layout_prior_lr_scale", 0}}, "opts"); })
                .contains("layout_prior_lr_scale"));
  }

  void trainOnlyKeepsTheRestAsLoaded() {
    QTemporaryDir dir;
    const std::string started = trainedTinyModel(dir);
    train(layoutPriorRun(dir, started, 16, {{"train_only", "layout_prior."}}), nullptr, nullptr);
    auto before = weightsOf(started + "/model.safetensors");
    auto after = weightsOf(dir.filePath("next/model/model.safetensors").toStdString());
    for (const auto& [name, w] : before)
      QVERIFY2(torch::equal(after.at(name), w), name.c_str());  // the EMA of a frozen weight is that weight
    QVERIFY(after.at("layout_prior.out.weight").abs().max().item<float>() > 0);
    // Resuming keeps the choice: the checkpoint's moments are the prior's alone.
    TrainerSettings resumed = tinySettings(dir.filePath("next"));
    resumed.resumeFrom = dir.filePath("next").toStdString();
    resumed.optionOverrides = {{"steps", 4}};
    train(resumed, nullptr, nullptr);
    auto resumedWeights = weightsOf(dir.filePath("next/model/model.safetensors").toStdString());
    QVERIFY(torch::equal(resumedWeights.at("blocks.0.self_attn.q.weight"), before.at("blocks.0.self_attn.q.weight")));
    // A prefix that names nothing is refused before any step.
    TrainerSettings wrong = tinySettings(dir.filePath("wrong"));
    wrong.initFrom = started;
    wrong.optionOverrides["train_only"] = "layout_prior.";
    QVERIFY(errorOf([&] { train(wrong, nullptr, nullptr); }).contains("matches no parameter"));
  }

  void modelIdNeverClaimsAShippedModelUnasked() {
    // Plans and atlases made for the shipped model accept any model of its
    // id, so a trained run takes a shipped id (attnscope-default-*) only from
    // modelId (--model-id).
    QVERIFY(isShippedModelId("attnscope-default-v1") && isShippedModelId("attnscope-default-untrained"));
    QVERIFY(!isShippedModelId("attnscope-train-seed7") && !isShippedModelId("tiny-train-test"));
    QCOMPARE(trainedModelId(7), std::string("attnscope-train-seed7"));
    QTemporaryDir dir;
    auto run = [&](const char* name, const std::string& configId, const std::string& modelId, const std::string& from) {
      TrainerSettings s = tinySettings(dir.filePath(name));
      s.config.modelId = configId;
      s.modelId = modelId;
      s.initFrom = from;
      s.optionOverrides["steps"] = 1;
      s.optionOverrides["seed"] = 7;
      train(s, nullptr, nullptr);
      const std::string id = Model::load(dir.filePath(name).toStdString() + "/model").config.modelId;
      std::ifstream recipeFile(dir.filePath(name).toStdString() + "/recipe.json");
      const std::string recipeId = nlohmann::json::parse(recipeFile).at("model_id").get<std::string>();
      if (recipeId != id) return "recipe says " + recipeId + ", model " + id;
      return id;
    };
    // Fresh runs: no id (attnscope-train without --config), a shipped
    // model's config (--config assets/default/config.json), a config's own id.
    QCOMPARE(run("none", "", "", ""), std::string("attnscope-train-seed7"));
    QCOMPARE(run("copied", "attnscope-default-v2", "", ""), std::string("attnscope-train-seed7"));
    QCOMPARE(run("own", "tiny-train-test", "", ""), std::string("tiny-train-test"));
    QCOMPARE(run("asked", "tiny-train-test", "attnscope-default-v9", ""), std::string("attnscope-default-v9"));
    // --init-from: the started-from model's id unless it is a shipped one.
    const std::string own = dir.filePath("own/model").toStdString(), asked = dir.filePath("asked/model").toStdString();
    QCOMPARE(run("fromOwn", "", "", own), std::string("tiny-train-test"));
    QCOMPARE(run("fromShipped", "", "", asked), std::string("attnscope-train-seed7"));
    QCOMPARE(run("fromShippedAsked", "", "attnscope-default-v10", asked), std::string("attnscope-default-v10"));
    // A resumed run keeps its checkpoint's id and refuses another.
    TrainerSettings resumed = tinySettings(dir.filePath("asked"));
    resumed.resumeFrom = dir.filePath("asked").toStdString();
    resumed.modelId = "something-else";
    QString msg = errorOf([&] { train(resumed, nullptr, nullptr); });
    QVERIFY2(msg.contains("keeps its model id 'attnscope-default-v9'") && msg.contains("something-else"), qPrintable(msg));
  }

  void badCheckpointsAreRefusedWithTheirFault() {
    QTemporaryDir dir;
    TrainerSettings s = tinySettings(dir.filePath("run"));
    s.optionOverrides["steps"] = 1;
    train(s, nullptr, nullptr);
    const fs::path ck = dir.filePath("run/checkpoint").toStdString();
    QVERIFY(fs::exists(ck / "state.json"));
    Checkpoint loaded = loadCheckpoint(dir.filePath("run").toStdString());
    QCOMPARE(loaded.state.step, int64_t(1));

    // A different architecture asked for on resume.
    TrainerSettings other = tinySettings(dir.filePath("run"));
    other.resumeFrom = dir.filePath("run").toStdString();
    other.config.dim = 48;
    other.configGiven = true;
    QVERIFY(errorOf([&] { train(other, nullptr, nullptr); }).contains("dim is 32 in the checkpoint but 48"));
    // Not a checkpoint at all.
    QVERIFY(errorOf([&] { loadCheckpoint(dir.path().toStdString()); }).contains("holds no training checkpoint"));
    // Corrupt state.
    fs::copy(ck, dir.filePath("corrupt").toStdString(), fs::copy_options::recursive);
    const fs::path bad = dir.filePath("corrupt").toStdString();
    std::ofstream(bad / "state.json") << "{ not json";
    QVERIFY(errorOf([&] { loadCheckpoint(bad.string()); }).contains("state.json is not valid JSON"));
    std::ofstream(bad / "state.json") << R"({"format": "attnscope.train-checkpoint", "version": 9})";
    QVERIFY(errorOf([&] { loadCheckpoint(bad.string()); }).contains("version 9"));
    // A truncated optimiser file.
    fs::copy_file(ck / "state.json", bad / "state.json", fs::copy_options::overwrite_existing);
    fs::resize_file(bad / "adam_m.safetensors", 20);
    QVERIFY(errorOf([&] { loadCheckpoint(bad.string()); }).contains("adam_m.safetensors"));
    // Moments saved for other parameters.
    fs::remove(bad / "adam_m.safetensors");
    saveTensors((bad / "adam_m.safetensors").string(), {{"nonsense", torch::randn({2})}});
    TrainerSettings resumeBad = tinySettings(dir.filePath("elsewhere"));
    resumeBad.resumeFrom = bad.string();
    QVERIFY(errorOf([&] { train(resumeBad, nullptr, nullptr); }).contains("unknown parameter nonsense"));
    // Weights that do not fit the config.
    fs::remove(bad / "adam_m.safetensors");
    QVERIFY(errorOf([&] { loadCheckpoint(bad.string()); }).contains("adam_m.safetensors is missing"));
  }
};

QTEST_GUILESS_MAIN(TestTraining)
#include "test_training.moc"
