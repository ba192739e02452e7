// CPU attention kernels and AttentionOp against a float64 reference that
// builds the full N x N probabilities naively: dense, capture (output, pooled
// map in layout order, sinks, entropy, offset histogram), sparse (full and random per-head
// masks, an empty q-block row, padding of a short last block, tiled layouts),
// cross attention with capture, and the per-step mode choice of AttentionOp.
// Tolerances: outputs 1e-5 relative to the largest reference value, pooled
// and sink 1e-5 absolute, entropy 1e-4 absolute (nats, values near log N).
// LibTorch first: Qt's `slots` macro must not reach its headers.
#include <torch/torch.h>

#include "engine/attention/AttentionKernels.h"
#include "engine/attention/AttentionOp.h"

#include <QtTest>

#include <cmath>
#include <limits>
#include <random>

#include "engine/core/Error.h"
#include "engine/mask/MaskPlan.h"

#include "tests/support/ErrorMessage.h"

using namespace attnscope;
using namespace attnscope::testing;

namespace {

constexpr double kOutputTolerance = 1e-5;
constexpr double kMassTolerance = 1e-5;
constexpr double kEntropyTolerance = 1e-4;

struct Qkv {
  torch::Tensor q, k, v;  // [B, H, N, D] float32
};

Qkv randomQkv(int64_t B, int64_t H, int64_t N, int64_t D, uint64_t seed, int64_t keys = -1) {
  auto gen = at::detail::createCPUGenerator(seed);
  const int64_t M = keys < 0 ? N : keys;
  // Scaled up so that softmax rows are far from uniform.
  return {at::normal(0.0, 2.0, {B, H, N, D}, gen), at::normal(0.0, 2.0, {B, H, M, D}, gen),
          at::normal(0.0, 1.0, {B, H, M, D}, gen)};
}

// Layout position of every natural token, and the tokens' block ids.
std::vector<int64_t> layoutPositions(const TokenGrid& grid, const BlockLayout& layout) {
  std::vector<int64_t> order = layout.permutation(grid);
  const int64_t n = grid.videoTokens();
  std::vector<int64_t> position(n);
  for (int64_t p = 0; p < n; ++p) position[order.empty() ? p : order[p]] = p;
  return position;
}

// Naive float64 attention probabilities [B, H, N, M]; `allowed` [H, N, M]
// (optional) masks keys out; rows with nothing allowed are all zero.
torch::Tensor referenceProbs(const Qkv& x, const torch::Tensor& allowed = {}) {
  auto q = x.q.to(torch::kFloat64), k = x.k.to(torch::kFloat64);
  auto scores = torch::matmul(q, k.transpose(2, 3)) / std::sqrt(double(q.size(3)));
  if (!allowed.defined()) return torch::softmax(scores, -1);
  auto keep = allowed.unsqueeze(0).expand_as(scores);
  scores = scores.masked_fill(keep.logical_not(), -std::numeric_limits<double>::infinity());
  auto rowHasKey = keep.any(-1, true);
  auto probs = torch::softmax(scores.masked_fill(rowHasKey.logical_not(), 0.0), -1);
  return probs.masked_fill(keep.logical_not(), 0.0);
}

torch::Tensor referenceOutput(const Qkv& x, const torch::Tensor& probs) {
  return torch::matmul(probs, x.v.to(torch::kFloat64));
}

// Largest |a - ref| relative to the largest |ref|.
double relativeError(const torch::Tensor& a, const torch::Tensor& ref) {
  auto r = ref.to(torch::kFloat64);
  double scale = std::max(r.abs().max().item<double>(), 1e-12);
  return (a.to(torch::kFloat64) - r).abs().max().item<double>() / scale;
}

double absoluteError(const torch::Tensor& a, const torch::Tensor& ref) {
  return (a.to(torch::kFloat64) - ref.to(torch::kFloat64)).abs().max().item<double>();
}

torch::Tensor fromVector(const std::vector<float>& values, std::vector<int64_t> shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  if (static_cast<int64_t>(values.size()) != n) return torch::full(shape, std::nan(""), torch::kFloat64);
  return torch::tensor(values, torch::kFloat32).view(shape).to(torch::kFloat64);
}

// Reference pooled map [H, nb, nb] in layout order for one batch element.
torch::Tensor referencePooled(const torch::Tensor& probs, const TokenGrid& grid, const BlockLayout& layout) {
  const int64_t H = probs.size(0), n = grid.videoTokens(), nb = layout.numBlocks(grid);
  std::vector<int64_t> position = layoutPositions(grid, layout);
  auto pooled = torch::zeros({H, nb, nb}, torch::kFloat64);
  auto p = probs.accessor<double, 3>();
  auto out = pooled.accessor<double, 3>();
  for (int64_t h = 0; h < H; ++h)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) {
        const int64_t qb = position[i] / layout.blockSize(), kb = position[j] / layout.blockSize();
        out[h][qb][kb] += p[h][i][j] / double(layout.blockTokens(grid, qb));
      }
  return pooled;
}

// Reference offset histogram [H, 2F-1, 2H-1, 2W-1]: every (query, key) pair's
// probability in the bin of key - query coordinates, divided by N.
torch::Tensor referenceOffsets(const torch::Tensor& probs, const TokenGrid& grid) {
  const int64_t H = probs.size(0), n = grid.videoTokens();
  auto hist = torch::zeros({H, 2 * grid.frames - 1, 2 * grid.height - 1, 2 * grid.width - 1}, torch::kFloat64);
  auto p = probs.accessor<double, 3>();
  auto out = hist.accessor<double, 4>();
  for (int64_t h = 0; h < H; ++h)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) {
        TokenCoord a = tokenCoord(grid, i), b = tokenCoord(grid, j);
        out[h][b.f - a.f + grid.frames - 1][b.y - a.y + grid.height - 1][b.x - a.x + grid.width - 1] +=
            p[h][i][j] / double(n);
      }
  return hist;
}

// Per-head block masks keeping the diagonal and random blocks; head 0's
// q-block 1 keeps nothing (its queries must output zeros).
std::vector<BlockMask> randomMasks(int64_t heads, int64_t nb, double keepProbability, unsigned seed) {
  std::mt19937 rng(seed);
  std::bernoulli_distribution keep(keepProbability);
  std::vector<BlockMask> masks;
  for (int64_t h = 0; h < heads; ++h) {
    BlockMask m(nb, nb, false);
    for (int64_t i = 0; i < nb; ++i)
      for (int64_t j = 0; j < nb; ++j) m.set(i, j, i == j || keep(rng));
    masks.push_back(m);
  }
  for (int64_t j = 0; j < nb; ++j) masks[0].set(1, j, false);
  return masks;
}

// Token-level [H, N, N] allowed matrix of block masks (natural order).
torch::Tensor allowedTokens(const std::vector<BlockMask>& masks, const TokenGrid& grid, const BlockLayout& layout) {
  const int64_t n = grid.videoTokens();
  std::vector<int64_t> position = layoutPositions(grid, layout);
  auto allowed = torch::zeros({int64_t(masks.size()), n, n}, torch::kBool);
  auto a = allowed.accessor<bool, 3>();
  for (size_t h = 0; h < masks.size(); ++h)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j)
        a[h][i][j] = masks[h].get(position[i] / layout.blockSize(), position[j] / layout.blockSize());
  return allowed;
}

std::vector<const BlockMask*> pointers(const std::vector<BlockMask>& masks) {
  std::vector<const BlockMask*> p;
  for (const auto& m : masks) p.push_back(&m);
  return p;
}

bool contains(const QString& text, const QString& part) {
  if (text.contains(part)) return true;
  qWarning("message \"%s\" lacks \"%s\"", qPrintable(text), qPrintable(part));
  return false;
}

}  // namespace

class TestAttention : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { torch::manual_seed(1); }

  void denseMatchesReference_data() {
    QTest::addColumn<int>("tokens");
    QTest::addColumn<int>("chunk");
    QTest::newRow("96 tokens, one chunk") << 96 << 256;
    QTest::newRow("100 tokens, chunk 32 does not divide") << 100 << 32;
    QTest::newRow("128 tokens, chunk 37") << 128 << 37;
    QTest::newRow("128 tokens, chunk 1") << 128 << 1;
  }
  void denseMatchesReference() {
    QFETCH(int, tokens);
    QFETCH(int, chunk);
    Qkv x = randomQkv(2, 3, tokens, 16, 11 + tokens);
    auto out = denseAttention(x.q, x.k, x.v, chunk);
    QCOMPARE(out.sizes(), x.q.sizes());
    QVERIFY(relativeError(out, referenceOutput(x, referenceProbs(x))) < kOutputTolerance);
    // A kept workspace gives the same numbers on reuse.
    AttentionWorkspace workspace;
    denseAttention(x.k, x.q, x.v, chunk, workspace);
    QVERIFY(torch::equal(denseAttention(x.q, x.k, x.v, chunk, workspace), out));
  }

  void denseTakesNonContiguousInputs() {
    Qkv x = randomQkv(2, 3, 64, 16, 5);
    auto vT = x.v.transpose(1, 2).contiguous().transpose(1, 2);  // same values, other strides
    QVERIFY(!vT.is_contiguous());
    QVERIFY(torch::equal(denseAttention(x.q, x.k, vT), denseAttention(x.q, x.k, x.v)));
  }

  void captureMatchesReference_data() {
    QTest::addColumn<QString>("grid");
    QTest::addColumn<QString>("layout");
    QTest::newRow("96 tokens linear(16)") << "6x4x4" << "linear(16)";
    QTest::newRow("100 tokens linear(16), short last block") << "4x5x5" << "linear(16)";
    QTest::newRow("128 tokens linear(32)") << "8x4x4" << "linear(32)";
    QTest::newRow("128 tokens linear(128), one block") << "8x4x4" << "linear(128)";
    QTest::newRow("4x4x8 tiled(2,2,4)") << "4x4x8" << "tiled(2,2,4)";
    QTest::newRow("4x4x8 tiled(1,4,2)") << "4x4x8" << "tiled(1,4,2)";
    QTest::newRow("315 tokens linear(32), several chunks, short last") << "5x7x9" << "linear(32)";
    QTest::newRow("4x8x16 tiled(2,2,4), several chunks") << "4x8x16" << "tiled(2,2,4)";
    QTest::newRow("1280 tokens linear(48), more chunks than sink segments") << "5x16x16" << "linear(48)";
  }
  void captureMatchesReference() {
    QFETCH(QString, grid);
    QFETCH(QString, layout);
    const TokenGrid g = TokenGrid::parse(grid.toStdString());
    const BlockLayout l = BlockLayout::parse(layout.toStdString());
    const int64_t H = 3, n = g.videoTokens(), nb = l.numBlocks(g);
    Qkv x = randomQkv(2, H, n, 16, 100 + n);
    auto probs = referenceProbs(x);
    AtlasEntry entry;
    entry.pooled.assign(3, 7.0f);  // stale contents must be replaced
    auto out = captureAttention(x.q, x.k, x.v, g, l, 1, entry);
    QVERIFY(relativeError(out, referenceOutput(x, probs)) < kOutputTolerance);

    auto mine = probs[1];  // [H, N, N] of the captured batch element
    auto pooled = fromVector(entry.pooled, {H, nb, nb});
    QVERIFY(absoluteError(pooled, referencePooled(mine, g, l)) < kMassTolerance);
    QVERIFY(absoluteError(pooled.sum(2), torch::ones({H, nb}, torch::kFloat64)) < kMassTolerance);
    QVERIFY(absoluteError(fromVector(entry.sink, {H, n}), mine.mean(1)) < kMassTolerance);
    auto entropy = -(mine * mine.clamp_min(1e-300).log()).sum(2);
    QVERIFY(absoluteError(fromVector(entry.entropy, {H, n}), entropy) < kEntropyTolerance);
    auto offsets = fromVector(entry.offsets, {H, 2 * g.frames - 1, 2 * g.height - 1, 2 * g.width - 1});
    QVERIFY(absoluteError(offsets, referenceOffsets(mine, g)) < kMassTolerance);
    QVERIFY(absoluteError(offsets.sum({1, 2, 3}), torch::ones({H}, torch::kFloat64)) < kMassTolerance);

    // The other batch element is described when asked for.
    AtlasEntry first;
    captureAttention(x.q, x.k, x.v, g, l, 0, first);
    QVERIFY(absoluteError(fromVector(first.sink, {H, n}), probs[0].mean(1)) < kMassTolerance);
  }

  void captureOutputIsBitIdenticalToDense() {
    // Same chunks and calls as dense: a captured run renders the same video.
    for (const char* grid : {"4x4x8", "5x16x16"}) {
      const TokenGrid g = TokenGrid::parse(grid);
      Qkv x = randomQkv(2, 2, g.videoTokens(), 16, 3);
      AtlasEntry entry;
      auto dense = denseAttention(x.q, x.k, x.v);
      for (const char* layout : {"linear(16)", "tiled(1,4,4)"}) {
        QVERIFY2(torch::equal(captureAttention(x.q, x.k, x.v, g, BlockLayout::parse(layout), 0, entry), dense), layout);
        QVERIFY2(torch::equal(captureAttention(x.q, x.k, x.v, g, BlockLayout::parse(layout), 1, entry), dense), layout);
      }
    }
  }

  void sparseFullMaskEqualsDense_data() {
    QTest::addColumn<QString>("grid");
    QTest::addColumn<QString>("layout");
    QTest::newRow("96 tokens linear(16)") << "6x4x4" << "linear(16)";
    QTest::newRow("100 tokens linear(16), padded") << "4x5x5" << "linear(16)";
    QTest::newRow("4x4x8 tiled(2,2,4)") << "4x4x8" << "tiled(2,2,4)";
  }
  void sparseFullMaskEqualsDense() {
    QFETCH(QString, grid);
    QFETCH(QString, layout);
    const TokenGrid g = TokenGrid::parse(grid.toStdString());
    const BlockLayout l = BlockLayout::parse(layout.toStdString());
    const int64_t nb = l.numBlocks(g);
    Qkv x = randomQkv(2, 3, g.videoTokens(), 16, 7);
    std::vector<BlockMask> full(3, BlockMask(nb, nb, true));
    auto out = sparseAttention(x.q, x.k, x.v, g, l, pointers(full));
    QVERIFY(relativeError(out, denseAttention(x.q, x.k, x.v)) < kOutputTolerance);
  }

  void sparseRandomMasksMatchReference_data() {
    QTest::addColumn<QString>("grid");
    QTest::addColumn<QString>("layout");
    QTest::addColumn<double>("keep");
    QTest::newRow("96 tokens linear(16), 30%") << "6x4x4" << "linear(16)" << 0.3;
    QTest::newRow("100 tokens linear(16), padded, 50%") << "4x5x5" << "linear(16)" << 0.5;
    QTest::newRow("100 tokens linear(16), padded, diagonal only") << "4x5x5" << "linear(16)" << 0.0;
    QTest::newRow("128 tokens linear(32), 40%") << "8x4x4" << "linear(32)" << 0.4;
    QTest::newRow("4x4x8 tiled(2,2,4), 30%") << "4x4x8" << "tiled(2,2,4)" << 0.3;
    QTest::newRow("4x4x8 tiled(1,2,2), 20%") << "4x4x8" << "tiled(1,2,2)" << 0.2;
  }
  void sparseRandomMasksMatchReference() {
    QFETCH(QString, grid);
    QFETCH(QString, layout);
    QFETCH(double, keep);
    const TokenGrid g = TokenGrid::parse(grid.toStdString());
    const BlockLayout l = BlockLayout::parse(layout.toStdString());
    const int64_t H = 3, n = g.videoTokens(), nb = l.numBlocks(g);
    Qkv x = randomQkv(2, H, n, 16, 40 + n);
    std::vector<BlockMask> masks = randomMasks(H, nb, keep, 9);
    AttentionWorkspace workspace;
    auto out = sparseAttention(x.q, x.k, x.v, g, l, pointers(masks), workspace);
    auto allowed = allowedTokens(masks, g, l);
    auto ref = referenceOutput(x, referenceProbs(x, allowed));
    QVERIFY(relativeError(out, ref) < kOutputTolerance);

    // Queries of head 0's empty q-block output exactly zero, in both batch elements.
    std::vector<int64_t> position = layoutPositions(g, l);
    int64_t emptyQueries = 0;
    for (int64_t i = 0; i < n; ++i)
      if (position[i] / l.blockSize() == 1) {
        ++emptyQueries;
        QCOMPARE(out.index({torch::indexing::Slice(), 0, i}).abs().max().item<float>(), 0.0f);
      }
    QCOMPARE(emptyQueries, l.blockTokens(g, 1));
    // Reusing the workspace for other masks still gives exact answers.
    std::vector<BlockMask> other = randomMasks(H, nb, 0.6, 10);
    auto again = sparseAttention(x.q, x.k, x.v, g, l, pointers(other), workspace);
    QVERIFY(relativeError(again, referenceOutput(x, referenceProbs(x, allowedTokens(other, g, l)))) <
            kOutputTolerance);
  }

  void crossAttentionWithCapture() {
    const int64_t H = 3, n = 100, T = 7;
    Qkv x = randomQkv(2, H, n, 16, 77, T);
    auto probs = referenceProbs(x);  // [B, H, N, T]
    std::vector<float> cross;
    auto out = crossAttention(x.q, x.k, x.v, &cross, 1);
    QVERIFY(relativeError(out, referenceOutput(x, probs)) < kOutputTolerance);
    QVERIFY(absoluteError(fromVector(cross, {H, n, T}), probs[1]) < kMassTolerance);
    QVERIFY(torch::equal(crossAttention(x.q, x.k, x.v), out));
  }

  void opPicksModesPerStep() {
    const TokenGrid g = TokenGrid::parse("4x4x8+5");
    const BlockLayout layout = BlockLayout::parse("tiled(2,2,4)");
    const int64_t H = 3, nb = layout.numBlocks(g);
    MaskPlan plan = MaskPlan::full("tiny", g, layout, 2, H);
    plan.denseWarmupSteps = 2;
    std::vector<BlockMask> masks = randomMasks(H, nb, 0.3, 4);
    for (int64_t h = 0; h < H; ++h) plan.mask(0, h) = masks[h];  // layer 1 stays full

    AttentionPlan p;
    p.grid = g;
    p.captureSteps = {1};
    p.captureLayout = BlockLayout::linear(16);
    p.mask = &plan;
    p.captureBatch = 1;
    AttentionAtlas atlas;
    AttentionOp op(p, &atlas);
    QVERIFY(op.modeFor(0, 0) == AttentionMode::Dense);    // warm-up
    QVERIFY(op.modeFor(1, 0) == AttentionMode::Capture);  // captured step, even in warm-up
    QVERIFY(op.modeFor(2, 0) == AttentionMode::Sparse);
    QVERIFY(op.modeFor(2, 1) == AttentionMode::Dense);  // all heads full
    QVERIFY(op.modeFor(5, 0) == AttentionMode::Sparse);

    AttentionPlan densePlan = p;
    densePlan.mask = nullptr;
    densePlan.captureSteps.clear();
    QVERIFY(AttentionOp(densePlan, nullptr).modeFor(5, 0) == AttentionMode::Dense);

    Qkv x = randomQkv(2, H, g.videoTokens(), 16, 8);
    Qkv text = randomQkv(2, H, g.videoTokens(), 16, 9, g.text);
    // Step 1: both layers captured, layer 1 first to check ordering.
    op.beginStep(1);
    for (int layer : {1, 0}) {
      auto out = op.self(layer, x.q, x.k, x.v);
      QVERIFY(relativeError(out, referenceOutput(x, referenceProbs(x))) < kOutputTolerance);
      op.cross(layer, x.q, text.k, text.v);
    }
    QCOMPARE(atlas.heads, H);
    QCOMPARE(atlas.entries.size(), size_t(2));
    const int64_t captureBlocks = p.captureLayout.numBlocks(g), n = g.videoTokens();
    for (int layer : {0, 1}) {
      const AtlasEntry& e = atlas.entries[layer];
      QCOMPARE(e.step, 1);
      QCOMPARE(e.layer, layer);
      QCOMPARE(int64_t(e.pooled.size()), H * captureBlocks * captureBlocks);
      QCOMPARE(int64_t(e.sink.size()), H * n);
      QCOMPARE(int64_t(e.entropy.size()), H * n);
      QCOMPARE(int64_t(e.cross.size()), H * n * g.text);
    }
    auto pooled = fromVector(atlas.entries[0].pooled, {H, captureBlocks, captureBlocks});
    QVERIFY(absoluteError(pooled, referencePooled(referenceProbs(x)[1], g, p.captureLayout)) < kMassTolerance);

    // Step 2: layer 0 runs the masks, layer 1 runs dense; nothing new is captured.
    op.beginStep(2);
    auto sparse = op.self(0, x.q, x.k, x.v);
    auto ref = referenceOutput(x, referenceProbs(x, allowedTokens(masks, g, layout)));
    QVERIFY(relativeError(sparse, ref) < kOutputTolerance);
    QVERIFY(relativeError(op.self(1, x.q, x.k, x.v), referenceOutput(x, referenceProbs(x))) < kOutputTolerance);
    op.cross(0, x.q, text.k, text.v);
    QCOMPARE(atlas.entries.size(), size_t(2));
    QVERIFY(op.attentionSeconds() > 0);
    op.resetTimer();
    QCOMPARE(op.attentionSeconds(), 0.0);
  }

  void badInputsAreNamed() {
    const TokenGrid g = TokenGrid::parse("4x4x8");
    const BlockLayout l = BlockLayout::linear(16);
    Qkv x = randomQkv(2, 3, g.videoTokens(), 16, 1);
    AtlasEntry e;
    QVERIFY(contains(errorOf([&] { captureAttention(x.q, x.k, x.v, TokenGrid::parse("4x4x4"), l, 0, e); }),
                     "token grid 4x4x4 has 64 video tokens but the input has 128"));
    QVERIFY(contains(errorOf([&] { captureAttention(x.q, x.k, x.v, g, l, 2, e); }), "capture batch 2"));
    QVERIFY(contains(errorOf([&] { captureAttention(x.q, x.k, x.v, g, BlockLayout::tiled(3, 2, 2), 0, e); }),
                     "does not divide the token grid 4x4x8"));
    QVERIFY(contains(errorOf([&] { denseAttention(x.q.to(torch::kFloat64), x.k, x.v); }), "q must be float32"));
    QVERIFY(contains(errorOf([&] { denseAttention(x.q, x.k.narrow(2, 0, 5), x.v); }), "have different token counts"));
    QVERIFY(contains(errorOf([&] { denseAttention(x.q, x.k, x.v.flatten(0, 1)); }), "v must be [B, H, N, D]"));
    QVERIFY(contains(errorOf([&] { denseAttention(x.q, x.k, x.v, 0); }), "query chunk must be positive"));

    std::vector<BlockMask> two(2, BlockMask(8, 8, true));
    QVERIFY(contains(errorOf([&] { sparseAttention(x.q, x.k, x.v, g, l, pointers(two)); }),
                     "2 head masks given for 3 heads"));
    std::vector<BlockMask> wrongSize(3, BlockMask(4, 4, true));
    QVERIFY(contains(errorOf([&] { sparseAttention(x.q, x.k, x.v, g, l, pointers(wrongSize)); }),
                     "mask of head 0 is 4x4 blocks but layout linear(16) on grid 4x4x8 has 8x8"));
    std::vector<const BlockMask*> missing(3, nullptr);
    QVERIFY(contains(errorOf([&] { sparseAttention(x.q, x.k, x.v, g, l, missing); }), "mask of head 0 is missing"));

    AttentionPlan p;
    p.grid = g;
    p.captureSteps = {0, 3};
    QVERIFY(contains(errorOf([&] { AttentionOp(p, nullptr); }), "capture 2 steps but no atlas"));
    MaskPlan plan = MaskPlan::full("tiny", g, l, 1, 2);
    plan.mask(0, 0).set(0, 1, false);
    p.captureSteps.clear();
    p.mask = &plan;
    AttentionOp op(p, nullptr);
    QVERIFY(contains(errorOf([&] { op.self(0, x.q, x.k, x.v); }), "masks for 2 heads but the model has 3"));
    QVERIFY(contains(errorOf([&] { op.self(4, x.q, x.k, x.v); }), "layer 4 has no masks"));
  }
};

QTEST_APPLESS_MAIN(TestAttention)
#include "test_attention.moc"
