// The Wan-style DiT, its text side and the generation pipeline, on a tiny
// configuration so the suite runs in seconds.
// LibTorch first: Qt's `slots` macro must not reach its headers.
#include "engine/model/Model.h"

#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "engine/core/Error.h"
#include "engine/io/Safetensors.h"
#include "engine/model/LatentCodec.h"
#include "engine/model/Model.h"
#include "engine/model/Rope3d.h"
#include "engine/pipeline/FlowMatchSchedule.h"
#include "engine/pipeline/GuidanceInterval.h"
#include "engine/pipeline/Pipeline.h"
#include "engine/tensorio/TensorIO.h"

#include "tests/support/ErrorMessage.h"
#include "tests/support/TinyModelConfig.h"

using namespace attnscope;
using namespace attnscope::testing;
namespace fs = std::filesystem;

namespace {

std::string vocabPath() { return defaultVocabPath(); }

ModelConfig tinyConfig() { return tinyModelConfig("tiny-test"); }

// Wan block written out directly in float64 from the same parameters.
torch::Tensor referenceBlock(DitBlockImpl& b, const torch::Tensor& x, const torch::Tensor& e0,
                             const torch::Tensor& ctx, const TokenGrid& grid, int64_t heads) {
  auto d = [](const torch::Tensor& t) { return t.to(torch::kFloat64); };
  auto lin = [&](torch::nn::Linear& l, const torch::Tensor& in) { return torch::matmul(in, d(l->weight).t()) + d(l->bias); };
  auto rms = [&](RmsNorm& n, const torch::Tensor& in) {
    return in / torch::sqrt(in.pow(2).mean(-1, true) + 1e-6) * d(n->weight);
  };
  auto ln = [](const torch::Tensor& in) {
    auto mu = in.mean(-1, true);
    auto var = (in - mu).pow(2).mean(-1, true);
    return (in - mu) / torch::sqrt(var + 1e-6);
  };
  auto attend = [&](const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
    // [B, L, C] -> heads
    int64_t B = q.size(0), C = q.size(2), D = C / heads;
    auto qh = q.view({B, -1, heads, D}).transpose(1, 2), kh = k.view({B, -1, heads, D}).transpose(1, 2),
         vh = v.view({B, -1, heads, D}).transpose(1, 2);
    auto p = torch::softmax(torch::matmul(qh, kh.transpose(-1, -2)) / std::sqrt(double(D)), -1);
    return torch::matmul(p, vh).transpose(1, 2).reshape({B, -1, C});
  };
  auto rope = [&](const torch::Tensor& t) {
    // Pair (2i, 2i+1) of each head rotates by its axis position times its frequency.
    int64_t B = t.size(0), N = t.size(1), C = t.size(2), D = C / heads, c = D / 2;
    int64_t ch = c / 3, cf = c - 2 * ch;
    auto out = t.clone().view({B, N, heads, c, 2});
    auto src = t.view({B, N, heads, c, 2});
    for (int64_t n = 0; n < N; ++n) {
      TokenCoord pos = tokenCoord(grid, n);
      for (int64_t i = 0; i < c; ++i) {
        double angle;
        if (i < cf) angle = pos.f * std::pow(10000.0, -2.0 * i / (2.0 * cf));
        else if (i < cf + ch) angle = pos.y * std::pow(10000.0, -2.0 * (i - cf) / (2.0 * ch));
        else angle = pos.x * std::pow(10000.0, -2.0 * (i - cf - ch) / (2.0 * ch));
        auto a = src.index({torch::indexing::Slice(), n, torch::indexing::Slice(), i, 0});
        auto bb = src.index({torch::indexing::Slice(), n, torch::indexing::Slice(), i, 1});
        out.index_put_({torch::indexing::Slice(), n, torch::indexing::Slice(), i, 0}, a * std::cos(angle) - bb * std::sin(angle));
        out.index_put_({torch::indexing::Slice(), n, torch::indexing::Slice(), i, 1}, a * std::sin(angle) + bb * std::cos(angle));
      }
    }
    return out.view({B, N, C});
  };
  auto X = d(x), E = d(b.modulation) + d(e0), CTX = d(ctx);
  auto m = [&](int i) { return E.select(1, i).unsqueeze(1); };
  auto h = ln(X) * (1 + m(1)) + m(0);
  auto& sa = *b.selfAttn;
  auto y = lin(sa.o, attend(rope(rms(sa.normQ, lin(sa.q, h))), rope(rms(sa.normK, lin(sa.k, h))), lin(sa.v, h)));
  X = X + y * m(2);
  auto n3 = ln(X) * d(b.norm3->weight) + d(b.norm3->bias);
  auto& ca = *b.crossAttn;
  X = X + lin(ca.o, attend(rms(ca.normQ, lin(ca.q, n3)), rms(ca.normK, lin(ca.k, CTX)), lin(ca.v, CTX)));
  auto f = ln(X) * (1 + m(4)) + m(3);
  auto ff = lin(b.ffn->fc2, torch::gelu(lin(b.ffn->fc1, f), "tanh"));
  return X + ff * m(5);
}

}  // namespace

class TestModel : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { torch::manual_seed(7); }

  void tokenizerReportsUnknownWords() {
    WordTokenizer tok = WordTokenizer::load(vocabPath());
    Tokens t = tok.tokenize("A red Circle moves left!", 8);
    QCOMPARE(t.length, int64_t(5));
    QCOMPARE(t.words[1], std::string("red"));
    QCOMPARE(t.words[5], std::string("<pad>"));
    QCOMPARE(t.ids[7], int64_t(0));
    QString msg = errorOf([&] { tok.tokenize("a red zebra moves", 8); });
    QVERIFY2(msg.contains("'zebra'"), qPrintable(msg));
    Tokens dropped = tok.tokenize("a red zebra moves", 8, true);
    QCOMPARE(dropped.unknown.size(), size_t(1));
    QCOMPARE(dropped.length, int64_t(3));
    msg = errorOf([&] { tok.tokenize("a a a a a a a a a", 8); });
    QVERIFY2(msg.contains("at most 8"), qPrintable(msg));
  }

  void configErrorsNameTheField() {
    QTemporaryDir dir;
    std::string path = dir.filePath("config.json").toStdString();
    QVERIFY(errorOf([&] { ModelConfig::load(path); }).contains("cannot open"));
    std::ofstream(path) << "{\"model_id\": \"x\", \"dim\": 50, \"heads\": 4}";
    QVERIFY(errorOf([&] { ModelConfig::load(path); }).contains("'dim'"));
    std::ofstream(path) << "{\"model_id\": \"x\", \"dim\": \"wide\"}";
    QVERIFY(errorOf([&] { ModelConfig::load(path); }).contains("'dim' has the wrong type"));
    std::ofstream(path) << "{\"dim\": 48";
    QVERIFY(errorOf([&] { ModelConfig::load(path); }).contains("not valid JSON"));
    std::ofstream(path) << "{\"dim\": 48}";
    QVERIFY(errorOf([&] { ModelConfig::load(path); }).contains("model_id"));
  }

  void ditBlockMatchesFloat64Reference() {
    ModelConfig c = tinyConfig();
    DitBlock block(c.dim, c.heads, c.ffnDim, c.eps);
    for (auto& p : block->parameters()) p.data().normal_(0, 0.2);  // non-trivial norms and biases too
    TokenGrid grid{2, 4, 4, 8};
    auto x = torch::randn({2, grid.videoTokens(), c.dim});
    auto e0 = torch::randn({2, 6, c.dim}) * 0.3;
    auto ctx = torch::randn({2, 8, c.dim});
    AttentionPlan plan;
    plan.grid = grid;
    AttentionOp op(plan, nullptr);
    torch::NoGradGuard ng;
    auto out = block->forward(x, e0, ctx, makeRope3d(grid, c.headDim()), op, 0).to(torch::kFloat64);
    auto ref = referenceBlock(*block, x, e0, ctx, grid, c.heads);
    double rel = ((out - ref).abs().max() / ref.abs().max()).item<double>();
    QVERIFY2(rel < 1e-5, qPrintable(QString("relative error %1").arg(rel)));
    QVERIFY(op.attentionSeconds() > 0);
  }

  void ropeTablesAreCachedPerGridAndDevice() {
    // Three grids of 64 tokens each: a cache keyed by the token count alone
    // would hand one the other's table (same shape, other angles).
    ModelConfig c = tinyConfig();
    const TokenGrid a{4, 4, 4, 0}, b{2, 4, 8, 0}, d{4, 8, 2, 0};
    const int64_t hd = c.headDim();
    QVERIFY(!torch::equal(makeRope3d(a, hd).rotation, makeRope3d(b, hd).rotation));
    QVERIFY(!torch::equal(makeRope3d(a, hd).rotation, makeRope3d(d, hd).rotation));

    RopeCache cache;
    for (const TokenGrid& g : {a, b, d, a, d, b}) {
      RopeTables cached = cache.get(g, hd, torch::kCPU);
      QVERIFY2(torch::equal(cached.rotation, makeRope3d(g, hd).rotation), g.str().c_str());
    }
    QCOMPARE(cache.size(), size_t(3));
    QVERIFY(cache.get(b, hd, torch::kCPU).rotation.is_same(cache.get(b, hd, torch::kCPU).rotation));  // reused, not rebuilt
    QVERIFY(torch::equal(cache.get(a, hd, torch::kCPU, 500.0).rotation, makeRope3d(a, hd, 500.0).rotation));
    QVERIFY(torch::equal(cache.get(a, 2 * hd, torch::kCPU).rotation, makeRope3d(a, 2 * hd).rotation));
    QCOMPARE(cache.size(), RopeCache::kCapacity);  // five keys seen, the oldest gone
    QVERIFY(torch::equal(cache.get(a, hd, torch::kCPU).rotation, makeRope3d(a, hd).rotation));

    // Through the model: the same grid twice is bit-identical, and every grid
    // after another matches a twin with the same weights whose tables are
    // built fresh (its cache emptied before each forward).
    DitModel model(c), twin(c);
    torch::NoGradGuard ng;
    for (auto& p : model->parameters()) p.normal_(0, 0.2);
    auto twinParams = twin->named_parameters();
    for (const auto& p : model->named_parameters()) twinParams[p.key()].copy_(p.value());
    const auto& patch = c.patch;
    auto t = torch::tensor({700.0});
    auto ctx = torch::randn({1, 8, c.textDim});
    auto latentsFor = [&](const TokenGrid& g) {
      return torch::randn({1, c.latentChannels(), g.frames * patch[0], g.height * patch[1], g.width * patch[2]});
    };
    auto run = [&](DitModelImpl& m, const torch::Tensor& latents) {
      AttentionPlan plan;
      plan.grid = m.tokenGrid(latents.size(2), latents.size(3), latents.size(4));
      plan.grid.text = ctx.size(1);
      AttentionOp op(plan, nullptr);
      return m.forward(latents, t, ctx, op);
    };
    auto xa = latentsFor(a), xb = latentsFor(b), xd = latentsFor(d);
    auto ya = run(*model, xa);
    QVERIFY(torch::equal(ya, run(*model, xa)));
    QCOMPARE(model->ropeCache.size(), size_t(1));
    for (const auto& x : {xb, xd, xa, xd}) {
      auto y = run(*model, x);
      twin->ropeCache.clear();
      QVERIFY(torch::equal(y, run(*twin, x)));
    }
    QVERIFY(torch::equal(ya, run(*model, xa)));
    QCOMPARE(model->ropeCache.size(), size_t(3));
    model->to(torch::kCPU);  // moving the model empties the cache
    QCOMPARE(model->ropeCache.size(), size_t(0));
    QVERIFY(torch::equal(ya, run(*model, xa)));
  }

  void latentCodecIsLossless() {
    auto video = torch::rand({3, 4, 16, 24}) * 2 - 1;
    auto back = pixelShuffle3d(pixelUnshuffle3d(video, 4), 4, 3);
    QVERIFY(torch::equal(video, back));
    // Channel layout: channel c*16 + i*4 + j holds pixel (4y+i, 4x+j) of colour c.
    auto latent = pixelUnshuffle3d(video, 4);
    QCOMPARE(latent.size(0), int64_t(48));
    QCOMPARE(latent[1 * 16 + 2 * 4 + 3][1][2][3].item<float>(), video[1][1][2 * 4 + 2][3 * 4 + 3].item<float>());
  }

  void scheduleFollowsShiftFormula() {
    FlowMatchSchedule s(10, 3.0);
    QCOMPARE(s.steps(), 10);
    for (int i = 0; i <= 10; ++i) {
      double u = 1.0 - i / 10.0;
      QVERIFY(std::abs(s.sigmas[i] - 3.0 * u / (1.0 + 2.0 * u)) < 1e-12);
    }
    QCOMPARE(s.sigmas.back(), 0.0);
    QVERIFY(!errorOf([] { FlowMatchSchedule(0, 3.0); }).isEmpty());
  }

  void saveLoadRoundTripAndStrictLoading() {
    QTemporaryDir dir;
    std::string folder = dir.filePath("m").toStdString();
    Model made = Model::create(tinyConfig(), vocabPath(), 3);
    made.save(folder);
    Model loaded = Model::load(folder);
    QCOMPARE(loaded.config.modelId, std::string("tiny-test"));
    for (const auto& p : made.dit->named_parameters())
      QVERIFY2(torch::equal(p.value(), loaded.dit->named_parameters()[p.key()]), p.key().c_str());

    // Rewrite the weights with one tensor missing, one extra, one mis-shaped.
    SafetensorsFile file(folder + "/model.safetensors");
    std::map<std::string, torch::Tensor> tensors;
    for (const auto& info : file.tensors()) tensors[info.name] = readTensor(file, info);
    auto rewrite = [&](std::map<std::string, torch::Tensor> t) {
      std::string other = dir.filePath("bad").toStdString();
      fs::create_directories(other);
      fs::copy(folder + "/config.json", other + "/config.json", fs::copy_options::overwrite_existing);
      fs::copy(folder + "/vocab.txt", other + "/vocab.txt", fs::copy_options::overwrite_existing);
      saveTensors(other + "/model.safetensors", t);
      return errorOf([&] { Model::load(other); });
    };
    auto missing = tensors;
    missing.erase("blocks.1.self_attn.q.weight");
    QString msg = rewrite(missing);
    QVERIFY2(msg.contains("missing") && msg.contains("blocks.1.self_attn.q.weight"), qPrintable(msg));
    auto extra = tensors;
    extra["blocks.9.ffn.0.weight"] = torch::zeros({2});
    msg = rewrite(extra);
    QVERIFY2(msg.contains("unexpected") && msg.contains("blocks.9.ffn.0.weight"), qPrintable(msg));
    auto misshaped = tensors;
    misshaped["head.head.weight"] = torch::zeros({3, 3});
    msg = rewrite(misshaped);
    QVERIFY2(msg.contains("head.head.weight is [3, 3]"), qPrintable(msg));
    QVERIFY(errorOf([&] { Model::load(dir.filePath("nowhere").toStdString()); }).contains("does not exist"));
  }

  void guidanceIntervalLeavesTheNoisiestStepsUnguided() {
    QCOMPARE(guidanceAt(4.0, 0.95, 1.0), 1.0);
    QCOMPARE(guidanceAt(4.0, 0.95, 0.95), 4.0);
    QCOMPARE(guidanceAt(4.0, 1.0, 1.0), 4.0);
    Model model = Model::create(tinyConfig(), vocabPath(), 5);
    QCOMPARE(model.config.defaults.guidanceMaxSigma, 1.0);  // guidance at every step unless a model says otherwise
    GenerationRequest req;
    req.prompt = "a blue square moves up";
    req.seed = 11;
    req.guidance = 1.0;
    const GenerationResult plain = generate(model, req);
    QCOMPARE(plain.request.guidanceMaxSigma, 1.0);
    req.guidance = 6.0;
    const GenerationResult guided = generate(model, req);
    QVERIFY(guided.video.rgb != plain.video.rgb);
    // Every step of a 3-step run has sigma > 0: an interval ending at 0 guides none of them.
    req.guidanceMaxSigma = 0.0;
    QVERIFY(generate(model, req).video.rgb == plain.video.rgb);
    // Only the first step (sigma 1) unguided: neither of the two.
    req.guidanceMaxSigma = 0.99;
    const GenerationResult interval = generate(model, req);
    QVERIFY(interval.video.rgb != plain.video.rgb && interval.video.rgb != guided.video.rgb);
    // The model's default comes from config.json and survives a save / load.
    model.config.defaults.guidanceMaxSigma = 0.9;
    QTemporaryDir dir;
    model.save(dir.path().toStdString());
    QCOMPARE(Model::load(dir.path().toStdString()).config.defaults.guidanceMaxSigma, 0.9);
  }

  void generationIsDeterministicCancellableAndCaptures() {
    Model model = Model::create(tinyConfig(), vocabPath(), 5);
    model.dit->eval();
    GenerationRequest req;
    req.prompt = "a blue square moves up";
    req.seed = 11;
    int calls = 0;
    RunOptions options;
    options.progress = [&](int done, int total) {
      ++calls;
      QCOMPARE(total, 3);
      QCOMPARE(done, calls);
    };
    GenerationResult a = generate(model, req, options);
    QCOMPARE(calls, 3);
    QCOMPARE(a.video.frames, int64_t(4));
    QCOMPARE(a.video.height, int64_t(32));
    QCOMPARE(a.grid.str(), std::string("4x4x4"));
    QVERIFY(a.timings.attention > 0 && a.timings.attention < a.timings.total);
    GenerationResult b = generate(model, req);
    QVERIFY(a.video.rgb == b.video.rgb);
    req.seed = 12;
    QVERIFY(generate(model, req).video.rgb != a.video.rgb);
    req.seed = 11;

    // Capture is exact, so the video matches the dense one to the byte (or a
    // rounding step), and every requested (step, layer) is in the atlas.
    RunOptions capture;
    capture.captureSteps = {0, 2};
    capture.captureLayout = BlockLayout::linear(16);
    GenerationResult c = generate(model, req, capture);
    QCOMPARE(c.atlas.entries.size(), size_t(4));
    const AtlasEntry& e = c.atlas.entries[0];
    QCOMPARE(e.pooled.size(), size_t(2 * 4 * 4));
    QCOMPARE(e.cross.size(), size_t(2 * 64 * 8));
    int maxDiff = 0;
    for (size_t i = 0; i < a.video.rgb.size(); ++i) maxDiff = std::max(maxDiff, std::abs(a.video.rgb[i] - c.video.rgb[i]));
    QVERIFY2(maxDiff <= 1, qPrintable(QString("capture changed the video by %1 levels").arg(maxDiff)));

    std::atomic<bool> cancel{false};
    RunOptions cancelling;
    cancelling.cancel = &cancel;
    cancelling.progress = [&](int, int) { cancel = true; };
    bool cancelled = false;
    try {
      generate(model, req, cancelling);
    } catch (const Cancelled&) {
      cancelled = true;
    }
    QVERIFY(cancelled);

    // A plan for another grid is refused before any work.
    MaskPlan other = MaskPlan::full("tiny-test", TokenGrid{8, 4, 4, 8}, BlockLayout::linear(16), 2, 2);
    RunOptions withPlan;
    withPlan.mask = &other;
    QString msg = errorOf([&] { generate(model, req, withPlan); });
    QVERIFY2(msg.contains("8x4x4") && msg.contains("4x4x4"), qPrintable(msg));
    req.height = 36;
    QVERIFY(errorOf([&] { generate(model, req); }).contains("multiples of 8"));
  }
};

QTEST_APPLESS_MAIN(TestModel)
#include "test_model.moc"
