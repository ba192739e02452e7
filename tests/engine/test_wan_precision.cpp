// The Wan bf16 path on the CPU: the tiny checkpoint's DiT, umT5 encoder and
// VAE decoder loaded in bf16 track their float32 selves within bf16
// tolerance, the DiT keeps the reference's float32 parameters, and bad
// device/dtype options are refused with a clear message.
#include "engine/model/wan/WanModel.h"  // LibTorch before Qt: Qt's "slots" macro

#include <QtTest>

#include <filesystem>

#include "engine/attention/AttentionOp.h"
#include "engine/core/Error.h"
#include "engine/model/wan/WanConfig.h"
#include "engine/tensorio/TensorIO.h"

using namespace attnscope;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(ATTNSCOPE_SOURCE_DIR) / "tests" / "data" / "wan-golden";

// ||ours - ref|| / ||ref||. Not the max-abs ratio: how a few elements of a
// tiny random network round in bf16 depends on the CPU's bf16 kernels (on an
// AMD EPYC without avx512_bf16 umT5's max-abs ratio was 0.050 and the VAE's
// 0.25, where the RMS ratios were 0.025 and 0.15); a broken path is off by ~1.
double relError(const torch::Tensor& ours, const torch::Tensor& ref) {
  auto a = ours.to(torch::kFloat64), b = ref.to(torch::kFloat64);
  return ((a - b).norm() / b.norm()).item<double>();
}

torch::Tensor input(const char* name) {
  SafetensorsFile f((kDir / "inputs.safetensors").string());
  return readTensor(f, f.at(name));
}

// bf16 keeps 8 bits of mantissa; a few layers of rounding stay well under this.
constexpr double kBf16Bar = 5e-2;
// The VAE's ~30 convolutions over 4-channel tiny layers round more; bf16 is
// its opt-in dtype only (the reference, and our default, decode in float32).
constexpr double kVaeBf16Bar = 2e-1;

}  // namespace

class TestWanPrecision : public QObject {
  Q_OBJECT
  WanFiles files_ = findWanFiles((kDir / "model").string());

 private slots:
  void ditBf16KeepsTheReferenceFloat32Parameters() {
    DitModel dit = loadWanDit(files_, readWanDitConfig(files_), torch::kCPU, torch::kBFloat16);
    for (const auto& p : dit->named_parameters()) {
      const auto want = keepsFloat32(p.key()) ? torch::kFloat32 : torch::kBFloat16;
      QVERIFY2(p.value().scalar_type() == want, qPrintable(QString::fromStdString(p.key())));
    }
    QVERIFY(dit->blocks->ptr<DitBlockImpl>(0)->modulation.scalar_type() == torch::kFloat32);
    QVERIFY(dit->blocks->ptr<DitBlockImpl>(0)->selfAttn->q->weight.scalar_type() == torch::kBFloat16);
    // Module::to applies the same policy.
    dit->to(torch::kFloat32);
    QVERIFY(dit->blocks->ptr<DitBlockImpl>(0)->selfAttn->q->weight.scalar_type() == torch::kFloat32);
    dit->to(torch::kCPU, torch::kBFloat16);
    QVERIFY(dit->head->head->weight.scalar_type() == torch::kFloat32);
    QVERIFY(dit->computeDtype() == torch::kBFloat16);
  }

  void ditBf16TracksFloat32() {
    torch::NoGradGuard g;
    ModelConfig c = readWanDitConfig(files_);
    DitModel f32 = loadWanDit(files_, c), bf16 = loadWanDit(files_, c, torch::kCPU, torch::kBFloat16);
    auto latents = input("dit.latents");
    auto context = torch::zeros({1, c.contextTokens(), c.textDim});
    context.slice(1, 0, 7).copy_(input("dit.context"));
    TokenGrid grid = f32->tokenGrid(latents.size(2), latents.size(3), latents.size(4));
    grid.text = c.contextTokens();
    AttentionPlan plan;
    plan.grid = grid;
    AttentionOp op(plan, nullptr);
    auto ref = f32->forward(latents, input("dit.t"), context, op);
    auto out = bf16->forward(latents, input("dit.t"), context.to(torch::kBFloat16), op);
    QCOMPARE(out.scalar_type(), torch::kFloat32);  // the velocity is float32, as the reference returns it
    const double err = relError(out, ref);
    QVERIFY2(err < kBf16Bar, qPrintable(QString("DiT bf16 vs float32: relative error %1").arg(err)));
    QVERIFY2(err > 0, "bf16 gave float32's exact bits: the weights were not cast");
  }

  void encoderBf16TracksFloat32() {
    torch::NoGradGuard g;
    Umt5Config c = umt5ConfigFor(files_);
    auto ids = input("t5.ids").to(torch::kInt64), mask = input("t5.mask").to(torch::kInt64);
    auto ref = loadUmt5(files_, c)->forward(ids, mask);
    auto out = loadUmt5(files_, c, torch::kCPU, torch::kBFloat16)->forward(ids, mask);
    QCOMPARE(out.scalar_type(), torch::kBFloat16);
    const double err = relError(out, ref);
    QVERIFY2(err < kBf16Bar && err > 0, qPrintable(QString("umT5 bf16 vs float32: relative error %1").arg(err)));
  }

  void vaeBf16TracksFloat32() {
    torch::NoGradGuard g;
    WanVaeConfig c = wanVaeConfigFor(files_);
    auto z = input("vae.z");
    auto ref = loadWanVae(files_, c)->decode(z, 1);
    auto out = loadWanVae(files_, c, torch::kCPU, torch::kBFloat16)->decode(z.to(torch::kBFloat16), 1);
    QCOMPARE(out.scalar_type(), torch::kFloat32);
    const double err = relError(out, ref);
    QVERIFY2(err < kVaeBf16Bar && err > 0, qPrintable(QString("VAE bf16 vs float32: relative error %1").arg(err)));
  }

  void backendMovesItsModules() {
    Model m = loadWanModel((kDir / "model").string());
    auto* backend = dynamic_cast<WanBackend*>(m.backend.get());
    QVERIFY(backend);
    backend->to(torch::kCPU, torch::kBFloat16);
    auto context = backend->encodeText({"a red circle"}, nullptr);
    QCOMPARE(context.scalar_type(), torch::kBFloat16);
    // The VAE keeps float32 (the reference decodes in float32).
    QCOMPARE(backend->vae()->postQuant->weight.scalar_type(), torch::kFloat32);
    backend->unloadTextEncoder();
    QVERIFY(!backend->textEncoderLoaded());
  }

  void badPlacementIsRefused() {
    WanLoadOptions intDtype;
    intDtype.dtype = torch::kInt64;
    try {
      loadWanModel((kDir / "model").string(), intDtype);
      QFAIL("an int64 model dtype was accepted");
    } catch (const Error& e) {
      QVERIFY2(QString(e.what()).contains("bfloat16"), e.what());
    }
    if (torch::cuda::is_available()) QSKIP("this machine has CUDA: the no-device message cannot be checked");
    WanLoadOptions cuda;
    cuda.device = torch::Device(torch::kCUDA, 0);
    cuda.dtype = torch::kBFloat16;
    try {
      loadWanModel((kDir / "model").string(), cuda);
      QFAIL("a CUDA device was accepted on a machine without one");
    } catch (const Error& e) {
      QVERIFY2(QString(e.what()).contains("no CUDA device"), e.what());
    }
  }
};

QTEST_APPLESS_MAIN(TestWanPrecision)
#include "test_wan_precision.moc"
