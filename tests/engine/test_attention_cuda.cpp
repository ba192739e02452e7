// AttentionOp on a CUDA device (bfloat16) against the CPU kernels (float32)
// on the same bf16-rounded inputs: dense (fused SDPA), sparse (the engine's
// block-sparse kernel; linear and tiled layouts, a q-block that keeps
// nothing, head dim 24 zero-padded to 64 and head dim 128) and capture (its
// output and every statistic in the atlas entry). A plan whose block size the
// kernel lacks runs on a CPU copy and still matches. Skipped without a CUDA
// device. Tolerances: outputs 2e-2 relative to the largest reference value
// (bf16 products and P.V); pooled, sink and offsets 2e-3 absolute; entropy
// 2e-2 nats.
// LibTorch first: Qt's `slots` macro must not reach its headers.
#include <torch/torch.h>

#include "engine/attention/AttentionKernels.h"
#include "engine/attention/AttentionOp.h"

#include <QtTest>

#include <random>

#include "engine/cuda/CudaRuntime.h"
#include "engine/mask/MaskPlan.h"

using namespace attnscope;

namespace {

struct Qkv {
  torch::Tensor q, k, v;  // [B, H, N, D] float32 on the CPU, exactly representable in bf16
};

Qkv randomQkv(int64_t B, int64_t H, int64_t N, int64_t D, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  auto rounded = [](const torch::Tensor& t) { return t.to(torch::kBFloat16).to(torch::kFloat32); };
  return {rounded(at::normal(0.0, 1.5, {B, H, N, D}, gen)), rounded(at::normal(0.0, 1.5, {B, H, N, D}, gen)),
          rounded(at::normal(0.0, 1.0, {B, H, N, D}, gen))};
}

torch::Tensor gpu(const torch::Tensor& t) { return t.to(torch::kCUDA, torch::kBFloat16); }

double relativeError(const torch::Tensor& a, const torch::Tensor& ref) {
  auto r = ref.to(torch::kCPU, torch::kFloat64);
  return (a.to(torch::kCPU, torch::kFloat64) - r).abs().max().item<double>() / std::max(r.abs().max().item<double>(), 1e-12);
}

double absoluteError(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return 1e9;
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(double(a[i]) - double(b[i])));
  return worst;
}

// A plan of `layers` layers whose layer 0 keeps the diagonal and random blocks
// per head (head 0's q-block 1 keeps nothing); the other layers stay full.
MaskPlan randomPlan(const TokenGrid& grid, const BlockLayout& layout, int64_t layers, int64_t heads, unsigned seed) {
  MaskPlan plan = MaskPlan::full("cuda-test", grid, layout, layers, heads);
  const int64_t nb = layout.numBlocks(grid);
  std::mt19937 rng(seed);
  std::bernoulli_distribution keep(0.3);
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < nb; ++i)
      for (int64_t j = 0; j < nb; ++j) plan.mask(0, h).set(i, j, i == j || keep(rng));
  for (int64_t j = 0; j < nb; ++j) plan.mask(0, 0).set(1, j, false);
  return plan;
}

}  // namespace

class TestAttentionCuda : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    if (!cuda::deviceAvailable()) QSKIP("no CUDA device (or a build without CUDA)");
  }

  void denseMatchesCpu_data() {
    QTest::addColumn<int64_t>("headDim");
    QTest::newRow("d24") << int64_t(24);
    QTest::newRow("d64") << int64_t(64);
    QTest::newRow("d128") << int64_t(128);
  }
  void denseMatchesCpu() {
    QFETCH(int64_t, headDim);
    const TokenGrid grid = TokenGrid::parse("4x8x8");
    Qkv x = randomQkv(2, 4, grid.videoTokens(), headDim, 1);
    AttentionPlan p;
    p.grid = grid;
    p.timeStages = true;
    AttentionOp op(p, nullptr);
    auto out = op.self(0, gpu(x.q), gpu(x.k), gpu(x.v));
    QCOMPARE(out.scalar_type(), torch::kBFloat16);
    QVERIFY(out.is_cuda());
    const double err = relativeError(out, denseAttention(x.q, x.k, x.v));
    QVERIFY2(err < 2e-2, qPrintable(QString("dense relative error %1").arg(err)));
    QVERIFY(!op.denseKernelName().empty());
    QVERIFY(op.attentionSeconds() > 0);
  }

  void sparseMatchesCpu_data() {
    QTest::addColumn<QString>("layout");
    QTest::addColumn<int64_t>("headDim");
    QTest::newRow("linear64-d24") << QString("linear(64)") << int64_t(24);
    QTest::newRow("linear128-d64") << QString("linear(128)") << int64_t(64);
    QTest::newRow("tiled-d128") << QString("tiled(2,4,8)") << int64_t(128);
    QTest::newRow("linear32-fallback") << QString("linear(32)") << int64_t(64);
  }
  void sparseMatchesCpu() {
    QFETCH(QString, layout);
    QFETCH(int64_t, headDim);
    const TokenGrid grid = TokenGrid::parse("4x16x16");
    const BlockLayout l = BlockLayout::parse(layout.toStdString());
    const int64_t H = 3;
    MaskPlan plan = randomPlan(grid, l, 2, H, 5);
    AttentionPlan p;
    p.grid = grid;
    p.mask = &plan;
    AttentionOp op(p, nullptr);
    QVERIFY(op.modeFor(0, 0) == AttentionMode::Sparse);
    Qkv x = randomQkv(2, H, grid.videoTokens(), headDim, 2);
    std::vector<const BlockMask*> masks;
    for (int64_t h = 0; h < H; ++h) masks.push_back(&plan.mask(0, h));
    auto ref = sparseAttention(x.q, x.k, x.v, grid, l, masks);
    for (int repeat = 0; repeat < 2; ++repeat) {  // the second call uses the cached kernel masks
      auto out = op.self(0, gpu(x.q), gpu(x.k), gpu(x.v));
      QVERIFY(out.is_cuda());
      const double err = relativeError(out, ref);
      QVERIFY2(err < 2e-2, qPrintable(QString("sparse relative error %1").arg(err)));
    }
    // Head 0's q-block 1 keeps nothing: its queries output zeros.
    auto out = op.self(0, gpu(x.q), gpu(x.k), gpu(x.v)).to(torch::kCPU, torch::kFloat32);
    std::vector<int64_t> order = l.permutation(grid);
    for (int64_t i = 0; i < l.blockSize(); ++i) {
      const int64_t position = l.blockSize() + i, token = order.empty() ? position : order[position];
      QCOMPARE(out[0][0][token].abs().max().item<float>(), 0.0f);
    }
  }

  void captureMatchesCpu_data() {
    QTest::addColumn<QString>("layout");
    QTest::addColumn<int64_t>("headDim");
    QTest::newRow("linear64-d24") << QString("linear(64)") << int64_t(24);
    QTest::newRow("linear48-d64") << QString("linear(48)") << int64_t(64);  // short last block
    QTest::newRow("tiled-d128") << QString("tiled(2,4,4)") << int64_t(128);
  }
  void captureMatchesCpu() {
    QFETCH(QString, layout);
    QFETCH(int64_t, headDim);
    const TokenGrid grid = TokenGrid::parse("4x8x8");
    const BlockLayout l = BlockLayout::parse(layout.toStdString());
    const int64_t H = 2, n = grid.videoTokens();
    Qkv x = randomQkv(2, H, n, headDim, 3);
    AttentionPlan p;
    p.grid = grid;
    p.captureSteps = {0};
    p.captureLayout = l;
    p.captureBatch = 1;
    AttentionAtlas atlas;
    AttentionOp op(p, &atlas);
    auto out = op.self(0, gpu(x.q), gpu(x.k), gpu(x.v));
    AtlasEntry ref;
    auto refOut = captureAttention(x.q, x.k, x.v, grid, l, 1, ref);
    QVERIFY2(relativeError(out, refOut) < 2e-2, "capture output");
    QCOMPARE(atlas.entries.size(), size_t(1));
    const AtlasEntry& e = atlas.entries[0];
    QCOMPARE(e.pooled.size(), ref.pooled.size());
    QVERIFY2(absoluteError(e.pooled, ref.pooled) < 2e-3, "pooled");
    QVERIFY2(absoluteError(e.sink, ref.sink) < 2e-3, "sink");
    QVERIFY2(absoluteError(e.entropy, ref.entropy) < 2e-2, "entropy");
    QVERIFY2(absoluteError(e.offsets, ref.offsets) < 2e-3, "offsets");
  }

  void crossCaptureOnACpuCopy() {
    const TokenGrid grid = TokenGrid::parse("2x4x4+8");
    AttentionPlan p;
    p.grid = grid;
    p.captureSteps = {0};
    p.captureLayout = BlockLayout::linear(16);
    AttentionAtlas atlas;
    AttentionOp op(p, &atlas);
    Qkv x = randomQkv(2, 2, grid.videoTokens(), 64, 4);
    Qkv text = randomQkv(2, 2, 8, 64, 5);
    auto out = op.cross(0, gpu(x.q), gpu(text.k), gpu(text.v));
    QVERIFY(out.is_cuda());
    std::vector<float> cross;
    auto ref = crossAttention(x.q, text.k, text.v, &cross, 0);
    QVERIFY(relativeError(out, ref) < 2e-2);
    QVERIFY(absoluteError(atlas.entries.at(0).cross, cross) < 1e-6);
  }
};

QTEST_APPLESS_MAIN(TestAttentionCuda)
#include "test_attention_cuda.moc"
