// Wan 2.1 checkpoints: layout detection, the missing-file message, .pth
// reading, name translation, strict loading, and the tiny checkpoints of both
// layouts loading into the same modules (same seed -> identical outputs).
#include "engine/model/wan/WanModel.h"  // LibTorch before Qt: Qt's "slots" macro

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>

#include "engine/attention/AttentionOp.h"
#include "engine/model/wan/TensorSource.h"
#include "engine/model/wan/TinyWan.h"
#include "engine/model/wan/WanConfig.h"
#include "engine/model/wan/WanKeyNames.h"
#include "engine/model/wan/WanModel.h"
#include "engine/pipeline/Pipeline.h"
#include "engine/tensorio/TensorIO.h"
#include "tests/support/ErrorMessage.h"

using namespace attnscope;
using attnscope::testing::errorOf;
namespace fs = std::filesystem;

namespace {

torch::Tensor ditOutput(Model& m, const torch::Tensor& latents, const torch::Tensor& context) {
  torch::NoGradGuard g;
  TokenGrid grid = m.dit->tokenGrid(latents.size(2), latents.size(3), latents.size(4));
  grid.text = context.size(1);
  AttentionPlan plan;
  plan.grid = grid;
  AttentionOp op(plan, nullptr);
  return m.dit->forward(latents, torch::full({latents.size(0)}, 731.0), context, op);
}

}  // namespace

class TestWanLoading : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  std::string official_, diffusers_;

 private slots:
  void initTestCase() {
    official_ = (fs::path(tmp_.path().toStdString()) / "official").string();
    diffusers_ = (fs::path(tmp_.path().toStdString()) / "diffusers").string();
    writeTinyWan(official_, WanLayoutKind::Official, 11);
    writeTinyWan(diffusers_, WanLayoutKind::Diffusers, 11);
  }

  void detectsBothLayouts() {
    QVERIFY(looksLikeWanFolder(official_));
    QVERIFY(looksLikeWanFolder(diffusers_));
    QVERIFY(findWanFiles(official_).kind == WanLayoutKind::Official);
    WanFiles d = findWanFiles(diffusers_);
    QVERIFY(d.kind == WanLayoutKind::Diffusers);
    QCOMPARE(int(d.ditWeights.size()), 2);  // shards named by the index
    QCOMPARE(int(d.textEncoderWeights.size()), 2);
    QVERIFY(!looksLikeWanFolder(tmp_.path().toStdString()));
  }

  void namesEveryMissingFile() {
    std::string dir = (fs::path(tmp_.path().toStdString()) / "broken").string();
    fs::create_directories(dir);
    fs::copy(official_, dir, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    fs::remove(fs::path(dir) / "Wan2.1_VAE.pth");
    fs::remove(fs::path(dir) / "google" / "umt5-xxl" / "spiece.model");
    QString msg = errorOf([&] { findWanFiles(dir); });
    QVERIFY2(msg.contains("missing 2 file") && msg.contains("Wan2.1_VAE.pth") && msg.contains("spiece.model"),
             qPrintable(msg));
    std::string dd = (fs::path(tmp_.path().toStdString()) / "broken-diffusers").string();
    fs::copy(diffusers_, dd, fs::copy_options::recursive);
    fs::remove(fs::path(dd) / "transformer" / "diffusion_pytorch_model-00002-of-00002.safetensors");
    msg = errorOf([&] { findWanFiles(dd); });
    QVERIFY2(msg.contains("diffusion_pytorch_model-00002-of-00002.safetensors") && msg.contains("diffusers layout"),
             qPrintable(msg));
  }

  void readsBothConfigs() {
    ModelConfig a = readWanDitConfig(findWanFiles(official_));
    ModelConfig b = readWanDitConfig(findWanFiles(diffusers_));
    for (const ModelConfig* c : {&a, &b}) {
      QCOMPARE(c->dim, int64_t(32));
      QCOMPARE(c->heads, int64_t(2));
      QCOMPARE(c->layers, int64_t(2));
      QCOMPARE(c->latentChannels(), int64_t(16));
      QCOMPARE(c->contextTokens(), int64_t(512));
      QCOMPARE(c->latentFrames(81), int64_t(21));
      QCOMPARE(c->defaults.sampler, std::string("unipc"));
    }
    std::ofstream(fs::path(official_) / "config-i2v.json") << R"({"model_type": "i2v", "dim": 8})";
    WanFiles f = findWanFiles(official_);
    f.ditConfig = (fs::path(official_) / "config-i2v.json").string();
    QVERIFY(errorOf([&] { readWanDitConfig(f); }).contains("i2v"));
  }

  void translatesNamesBothWays() {
    QCOMPARE(*ditNameFromDiffusers("blocks.3.attn1.to_out.0.weight"), std::string("blocks.3.self_attn.o.weight"));
    QCOMPARE(*ditNameFromDiffusers("blocks.0.norm2.bias"), std::string("blocks.0.norm3.bias"));
    QCOMPARE(*ditNameFromDiffusers("scale_shift_table"), std::string("head.modulation"));
    QCOMPARE(*ditNameFromDiffusers("condition_embedder.time_proj.weight"), std::string("time_projection.1.weight"));
    QCOMPARE(*umt5NameFromTransformers("encoder.block.5.layer.1.DenseReluDense.wi_0.weight", true),
             std::string("blocks.5.ffn.gate.0.weight"));
    QVERIFY(!umt5NameFromTransformers("encoder.embed_tokens.weight", true));
    QCOMPARE(*vaeNameFromDiffusers("decoder.up_blocks.1.resnets.0.conv_shortcut.weight", 2),
             std::string("decoder.upsamples.4.shortcut.weight"));
    QCOMPARE(*vaeNameFromDiffusers("decoder.up_blocks.2.upsamplers.0.resample.1.bias", 2),
             std::string("decoder.upsamples.11.resample.1.bias"));
    QVERIFY(!vaeNameFromDiffusers("encoder.conv_in.weight", 2));
    // Every engine name survives the round trip.
    Model m = loadWanModel(official_);
    for (const auto& p : m.dit->named_parameters()) QCOMPARE(*ditNameFromDiffusers(ditNameToDiffusers(p.key())), p.key());
    WanVaeDecoder vae(officialWanVaeConfig(4, 16));
    for (const auto& p : vae->named_parameters())
      QCOMPARE(*vaeNameFromDiffusers(vaeNameToDiffusers(p.key(), 2), 2), p.key());
  }

  void readsPthFilesOfBothWriters() {
    std::map<std::string, torch::Tensor> t{{"a.weight", torch::randn({3, 4})},
                                           {"b", torch::randn({5}).to(torch::kFloat64)}};
    std::string lib = (fs::path(tmp_.path().toStdString()) / "lib.pth").string();
    std::string py = (fs::path(tmp_.path().toStdString()) / "py.pth").string();
    writePthWithLibTorch(lib, t);
    writePthLikePython(py, t, /*bfloat16=*/true);
    TensorSource a = openPth(lib), b = openPth(py);
    QVERIFY(torch::equal(a.at("a.weight").read(), t["a.weight"]));
    QVERIFY(torch::allclose(a.at("b").read().to(torch::kFloat64), t["b"]));
    // bf16 storage: 8 mantissa bits.
    QVERIFY(torch::allclose(b.at("a.weight").read(), t["a.weight"], 1e-2, 1e-2));
    QCOMPARE(b.at("b").shape, std::vector<int64_t>{5});
    std::string legacy = (fs::path(tmp_.path().toStdString()) / "legacy.pth").string();
    writePthLegacy(legacy, t);
    TensorSource c = openPth(legacy);
    QVERIFY(torch::equal(c.at("a.weight").read(), t["a.weight"]));
    QVERIFY(torch::allclose(c.at("b").read().to(torch::kFloat64), t["b"]));
    std::string junk = (fs::path(tmp_.path().toStdString()) / "junk.pth").string();
    std::ofstream(junk) << "not a zip";
    QVERIFY(errorOf([&] { openPth(junk); }).contains("junk.pth"));
    std::string broken = (fs::path(tmp_.path().toStdString()) / "broken.pth").string();
    std::ofstream(broken) << "PK\x03\x04 a zip header and nothing else";
    QString msg = errorOf([&] { openPth(broken); });
    QVERIFY2(msg.contains("broken.pth") && msg.contains("not a readable torch.save archive"), qPrintable(msg));
  }

  void strictLoadingListsProblems() {
    WanFiles f = findWanFiles(official_);
    ModelConfig c = readWanDitConfig(f);
    c.ffnDim = 48;  // every ffn tensor now has the wrong shape
    QString msg = errorOf([&] { loadWanDit(f, c); });
    QVERIFY2(msg.contains("wrong shapes") && msg.contains("blocks.0.ffn.0.weight"), qPrintable(msg));
    Umt5Config t = umt5ConfigFor(f);
    t.layers = 3;
    msg = errorOf([&] { loadUmt5(f, t); });
    QVERIFY2(msg.contains("missing tensors") && msg.contains("blocks.2.attn.q.weight"), qPrintable(msg));
  }

  void bothLayoutsLoadTheSameWeights() {
    Model a = loadWanModel(official_), b = loadWanModel(diffusers_);
    torch::manual_seed(3);
    auto latents = torch::randn({1, 16, 2, 4, 6});
    auto context = torch::randn({1, 512, 32});
    auto va = ditOutput(a, latents, context), vb = ditOutput(b, latents, context);
    QCOMPARE(va.sizes().vec(), latents.sizes().vec());
    QVERIFY(torch::isfinite(va).all().item<bool>());
    QVERIFY(torch::equal(va, vb));

    auto ca = a.backend->encodeText({"", "a red circle moves left"}, nullptr);
    std::vector<std::string> pieces;
    auto cb = b.backend->encodeText({"", "a red circle moves left"}, &pieces);
    QCOMPARE(ca.sizes().vec(), (std::vector<int64_t>{2, 512, 32}));
    QVERIFY(torch::equal(ca, cb));
    QCOMPARE(pieces.back(), std::string("<pad>"));
    QVERIFY(ca[1].abs().sum(-1).gt(0).sum().item<int64_t>() >= 2);     // prompt tokens + </s>
    QVERIFY(ca[1].slice(0, 100).abs().max().item<float>() == 0.0f);    // padding zeroed like Wan

    auto latent = torch::randn({16, 3, 2, 3});
    VideoFrames fa = a.backend->decode(latent, 16), fb = b.backend->decode(latent, 16);
    QCOMPARE(fa.frames, int64_t(9));  // 1 + 4 * (3 - 1)
    QCOMPARE(fa.height, int64_t(16));
    QCOMPARE(fa.width, int64_t(24));
    QVERIFY(fa.rgb == fb.rgb);
  }

  void textEncoderUnloadsAndReloads() {
    Model m = loadWanModel(official_, WanLoadOptions{true});
    auto* backend = dynamic_cast<WanBackend*>(m.backend.get());
    QVERIFY(backend);
    auto first = backend->encodeText({"a blue square"}, nullptr);
    QVERIFY(!backend->textEncoderLoaded());
    auto again = backend->encodeText({"a blue square"}, nullptr);
    QVERIFY(torch::equal(first, again));
  }

  void generatesThroughTheSameJob() {
    Model m = Model::load(diffusers_);  // the engine's entry point dispatches to Wan
    QVERIFY(m.backend);
    GenerationRequest r;
    r.prompt = "a red circle moves left";
    r.frames = 5, r.height = 32, r.width = 48, r.steps = 3, r.seed = 4;
    RunOptions o;
    o.captureSteps = {1};
    o.captureLayout = BlockLayout::linear(4);
    GenerationResult res = generate(m, r, o);
    QCOMPARE(res.request.sampler, std::string("unipc"));
    QVERIFY(!res.request.negativePrompt.empty());  // Wan's default negative prompt
    QCOMPARE(res.grid.str(), std::string("2x2x3"));
    QCOMPARE(res.grid.text, int64_t(512));
    QCOMPARE(res.video.frames, int64_t(5));
    QCOMPARE(res.video.height, int64_t(32));
    QCOMPARE(res.video.width, int64_t(48));
    QVERIFY(!res.atlas.entries.empty());
    QCOMPARE(int(res.atlas.textTokens.size()), 512);
    r.frames = 6;
    QVERIFY(errorOf([&] { resolveRequest(m, r); }).contains("4k+1"));
    r.frames = 5;
    r.sampler = "ddim";
    QVERIFY(errorOf([&] { resolveRequest(m, r); }).contains("sampler"));
  }
};

QTEST_APPLESS_MAIN(TestWanLoading)
#include "test_wan_loading.moc"
