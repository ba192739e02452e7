// Parity with the reference Wan 2.1 implementation on a tiny random
// checkpoint: umT5 encoder, first DiT block, DiT, VAE decoder and UniPC
// sampler outputs within relative error 1e-3 (float32) of golden tensors
// produced once on the GPU machine by tests/bench/wan/run_golden.sh
// (tests/data/wan-golden/README.md). Every tensor of the golden file must be
// compared by one of the tests below. Skipped while the golden tensors are absent.
#include "engine/model/wan/WanModel.h"  // LibTorch before Qt: Qt's "slots" macro

#include <QtTest>

#include <algorithm>
#include <filesystem>
#include <set>

#include "engine/attention/AttentionOp.h"
#include "engine/model/wan/WanModel.h"
#include "engine/pipeline/FlowUniPc.h"
#include "engine/tensorio/TensorIO.h"

using namespace attnscope;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(ATTNSCOPE_SOURCE_DIR) / "tests" / "data" / "wan-golden";

torch::Tensor tensorOf(const SafetensorsFile& f, const std::string& name) { return readTensor(f, f.at(name)); }

constexpr double kBar = 1e-3;  // max |ours - ref| / max |ref|

// Empty when `ours` matches golden tensor `name` within the bar, else why not.
QString mismatch(const SafetensorsFile& golden, const std::string& name, const torch::Tensor& ours) {
  auto ref = tensorOf(golden, name).to(torch::kFloat64);
  auto shape = [](const torch::Tensor& t) {
    QStringList s;
    for (auto d : t.sizes()) s << QString::number(d);
    return s.join("x");
  };
  if (!ours.sizes().equals(ref.sizes()))
    return QString("%1: shape %2, reference %3").arg(name.c_str(), shape(ours), shape(ref));
  const double scale = ref.abs().max().item<double>();
  const double err = (ours.detach().cpu().to(torch::kFloat64) - ref).abs().max().item<double>() / std::max(scale, 1e-30);
  if (!(err < kBar))
    return QString("%1: relative error %2 over the bar %3 (max |ref| %4, shape %5)")
        .arg(name.c_str()).arg(err, 0, 'g', 3).arg(kBar).arg(scale, 0, 'g', 4).arg(shape(ref));
  qInfo("%s: relative error %.3g (bar %.0e)", name.c_str(), err, kBar);
  return {};
}

#define COMPARE(name, ours)                                  \
  do {                                                       \
    QString why = mismatch(*golden_, name, ours);            \
    QVERIFY2(why.isEmpty(), qPrintable(why));                \
  } while (0)

// The names make_golden.py records; a new one needs a comparison here.
const std::set<std::string> kCompared = {"t5.python_ids", "t5.out",      "dit.block0",  "dit.out",
                                         "vae.out",       "unipc.sigmas", "unipc.final"};

// Dense attention over the latents' token grid (with the model's text tokens).
AttentionPlan densePlan(const DitModel& dit, const ModelConfig& c, const torch::Tensor& latents) {
  AttentionPlan plan;
  plan.grid = dit->tokenGrid(latents.size(2), latents.size(3), latents.size(4));
  plan.grid.text = c.contextTokens();
  return plan;
}

}  // namespace

class TestWanGolden : public QObject {
  Q_OBJECT
  std::unique_ptr<SafetensorsFile> inputs_, golden_;
  WanFiles files_;

  // The unpadded context, zero-padded to text_len as WanModel.forward does.
  torch::Tensor paddedContext(const ModelConfig& c) const {
    auto context = tensorOf(*inputs_, "dit.context");
    auto padded = torch::zeros({1, c.contextTokens(), context.size(2)});
    padded.slice(1, 0, context.size(1)).copy_(context);
    return padded;
  }

 private slots:
  void initTestCase() {
    if (!fs::exists(kDir / "golden.safetensors"))
      QSKIP("no golden tensors in tests/data/wan-golden (see its README.md: produced on a GPU machine)");
    inputs_ = std::make_unique<SafetensorsFile>((kDir / "inputs.safetensors").string());
    golden_ = std::make_unique<SafetensorsFile>((kDir / "golden.safetensors").string());
    files_ = findWanFiles((kDir / "model").string());
  }

  void everyGoldenTensorIsCompared() {
    QStringList unknown;
    for (const auto& t : golden_->tensors())
      if (!kCompared.count(t.name)) unknown << t.name.c_str();
    QVERIFY2(unknown.isEmpty(), qPrintable("golden tensors no test compares: " + unknown.join(", ")));
    for (const char* required : {"t5.out", "dit.block0", "dit.out", "vae.out", "unipc.sigmas", "unipc.final"})
      QVERIFY2(golden_->find(required), qPrintable(QString("the golden file lacks %1: rerun run_golden.sh").arg(required)));
  }

  void tokenizerMatchesSentencepiece() {
    if (!golden_->find("t5.python_ids")) QSKIP("the golden set has no Python sentencepiece ids");
    auto ours = tensorOf(*inputs_, "t5.ids");
    auto ref = tensorOf(*golden_, "t5.python_ids");
    const int64_t differing = ours.ne(ref).sum().item<int64_t>();
    QVERIFY2(differing == 0, qPrintable(QString("t5.python_ids: %1 of %2 token ids differ from Python sentencepiece's")
                                            .arg(differing).arg(ref.numel())));
  }

  void encoderMatchesReference() {
    torch::NoGradGuard g;
    Umt5Encoder t5 = loadUmt5(files_, umt5ConfigFor(files_));
    auto ids = tensorOf(*inputs_, "t5.ids").to(torch::kInt64), mask = tensorOf(*inputs_, "t5.mask").to(torch::kInt64);
    auto out = t5->forward(ids, mask) * mask.unsqueeze(-1).to(torch::kFloat32);
    COMPARE("t5.out", out);
  }

  void ditFirstBlockMatchesReference() {
    torch::NoGradGuard g;
    ModelConfig c = readWanDitConfig(files_);
    DitModel dit = loadWanDit(files_, c);
    auto latents = tensorOf(*inputs_, "dit.latents");
    const AttentionPlan plan = densePlan(dit, c, latents);
    AttentionOp op(plan, nullptr);
    // DitModel::forward up to the first block, step by step.
    auto x = dit->patchEmbedding(latents).flatten(2).transpose(1, 2).contiguous();
    auto e = dit->timeEmbedding->forward(sinusoidalEmbedding(tensorOf(*inputs_, "dit.t"), c.freqDim));
    auto e0 = dit->timeProjection->forward(e).view({1, 6, c.dim});
    auto ctx = dit->textEmbedding->forward(paddedContext(c));
    auto out = dit->blocks->ptr<DitBlockImpl>(0)->forward(x, e0, ctx, makeRope3d(plan.grid, c.headDim()), op, 0);
    COMPARE("dit.block0", out);
  }

  void ditMatchesReference() {
    torch::NoGradGuard g;
    ModelConfig c = readWanDitConfig(files_);
    DitModel dit = loadWanDit(files_, c);
    auto latents = tensorOf(*inputs_, "dit.latents");
    const AttentionPlan plan = densePlan(dit, c, latents);
    AttentionOp op(plan, nullptr);
    auto out = dit->forward(latents, tensorOf(*inputs_, "dit.t"), paddedContext(c), op);
    COMPARE("dit.out", out);
  }

  void vaeDecoderMatchesReference() {
    torch::NoGradGuard g;
    WanVaeDecoder vae = loadWanVae(files_, wanVaeConfigFor(files_));
    auto out = vae->decode(tensorOf(*inputs_, "vae.z"), 1);
    COMPARE("vae.out", out);
  }

  void samplerMatchesReference() {
    FlowUniPc s(10, 5.0);
    COMPARE("unipc.sigmas", torch::tensor(s.sigmas(), torch::kFloat64));
    // A fixed velocity sequence through both samplers: the final samples agree.
    auto x = tensorOf(*inputs_, "vae.z");
    for (int i = 0; i < 10; ++i) x = s.step(torch::sin(x * (i + 1)), x);
    COMPARE("unipc.final", x);
  }
};

QTEST_APPLESS_MAIN(TestWanGolden)
#include "test_wan_golden.moc"
