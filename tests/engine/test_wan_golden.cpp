// Parity with the reference Wan 2.1 implementation on a tiny random
// checkpoint: umT5 encoder, DiT and VAE decoder outputs within relative error
// 1e-3 (float32) of golden tensors produced once on a GPU machine by
// tests/data/wan-golden/make_golden.py (README.md there). Skipped while the
// golden tensors are absent.
#include "engine/model/wan/WanModel.h"  // LibTorch before Qt: Qt's "slots" macro

#include <QtTest>

#include <filesystem>

#include "engine/attention/AttentionOp.h"
#include "engine/model/wan/WanModel.h"
#include "engine/pipeline/FlowUniPc.h"
#include "engine/tensorio/TensorIO.h"

using namespace attnscope;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(ATTNSCOPE_SOURCE_DIR) / "tests" / "data" / "wan-golden";

torch::Tensor tensorOf(const SafetensorsFile& f, const std::string& name) { return readTensor(f, f.at(name)); }

double relError(const torch::Tensor& ours, const torch::Tensor& ref) {
  return ((ours.to(torch::kFloat64) - ref.to(torch::kFloat64)).abs().max() / ref.to(torch::kFloat64).abs().max())
      .item<double>();
}

}  // namespace

class TestWanGolden : public QObject {
  Q_OBJECT
  std::unique_ptr<SafetensorsFile> inputs_, golden_;
  WanFiles files_;

 private slots:
  void initTestCase() {
    if (!fs::exists(kDir / "golden.safetensors"))
      QSKIP("no golden tensors in tests/data/wan-golden (see its README.md: produced on a GPU machine)");
    inputs_ = std::make_unique<SafetensorsFile>((kDir / "inputs.safetensors").string());
    golden_ = std::make_unique<SafetensorsFile>((kDir / "golden.safetensors").string());
    files_ = findWanFiles((kDir / "model").string());
  }

  void tokenizerMatchesSentencepiece() {
    if (!golden_->find("t5.python_ids")) QSKIP("the golden set has no Python sentencepiece ids");
    auto ours = tensorOf(*inputs_, "t5.ids");
    QVERIFY(torch::equal(ours, tensorOf(*golden_, "t5.python_ids")));
  }

  void encoderMatchesReference() {
    torch::NoGradGuard g;
    Umt5Encoder t5 = loadUmt5(files_, umt5ConfigFor(files_));
    auto ids = tensorOf(*inputs_, "t5.ids").to(torch::kInt64), mask = tensorOf(*inputs_, "t5.mask").to(torch::kInt64);
    auto out = t5->forward(ids, mask) * mask.unsqueeze(-1).to(torch::kFloat32);
    double err = relError(out, tensorOf(*golden_, "t5.out"));
    QVERIFY2(err < 1e-3, qPrintable(QString("relative error %1").arg(err)));
  }

  void ditMatchesReference() {
    torch::NoGradGuard g;
    ModelConfig c = readWanDitConfig(files_);
    DitModel dit = loadWanDit(files_, c);
    auto latents = tensorOf(*inputs_, "dit.latents");
    auto context = tensorOf(*inputs_, "dit.context");
    auto padded = torch::zeros({1, c.contextTokens(), context.size(2)});
    padded.slice(1, 0, context.size(1)).copy_(context);
    TokenGrid grid = dit->tokenGrid(latents.size(2), latents.size(3), latents.size(4));
    grid.text = c.contextTokens();
    AttentionPlan plan;
    plan.grid = grid;
    AttentionOp op(plan, nullptr);
    auto out = dit->forward(latents, tensorOf(*inputs_, "dit.t"), padded, op);
    double err = relError(out, tensorOf(*golden_, "dit.out"));
    QVERIFY2(err < 1e-3, qPrintable(QString("relative error %1").arg(err)));
  }

  void vaeDecoderMatchesReference() {
    torch::NoGradGuard g;
    WanVaeDecoder vae = loadWanVae(files_, wanVaeConfigFor(files_));
    auto out = vae->decode(tensorOf(*inputs_, "vae.z"), 1);
    double err = relError(out, tensorOf(*golden_, "vae.out"));
    QVERIFY2(err < 1e-3, qPrintable(QString("relative error %1").arg(err)));
  }

  void samplerMatchesReference() {
    if (!golden_->find("unipc.sigmas")) QSKIP("the golden set has no sampler trace");
    FlowUniPc s(10, 5.0);
    auto sigmas = torch::tensor(s.sigmas(), torch::kFloat64).to(torch::kFloat32);
    QVERIFY(torch::allclose(sigmas, tensorOf(*golden_, "unipc.sigmas"), 0, 1e-6));
    // A fixed velocity sequence through both samplers: the final samples agree.
    auto x = tensorOf(*inputs_, "vae.z");
    for (int i = 0; i < 10; ++i) x = s.step(torch::sin(x * (i + 1)), x);
    double err = relError(x, tensorOf(*golden_, "unipc.final"));
    QVERIFY2(err < 1e-4, qPrintable(QString("relative error %1").arg(err)));
  }
};

QTEST_APPLESS_MAIN(TestWanGolden)
#include "test_wan_golden.moc"
