// Atlas queries the GUI draws ("where does this pixel look", cross-attention
// of a text token) on atlases built in the test, against direct sums.
#include <QtTest>

#include <cmath>
#include <numeric>
#include <random>

#include "engine/atlas/AtlasQueries.h"
#include "engine/core/Error.h"

#include "tests/support/ErrorMessage.h"

using namespace attnscope;
using namespace attnscope::testing;

namespace {

// Rows of random positive values normalised to 1; cross maps random too.
AttentionAtlas makeAtlas(const std::string& layout, std::vector<int> steps) {
  AttentionAtlas a;
  a.modelId = "tiny";
  a.grid = TokenGrid::parse("4x4x4");
  a.grid.text = 3;
  a.layout = BlockLayout::parse(layout);
  a.layers = 2;
  a.heads = 2;
  a.totalSteps = 4;
  a.textTokens = {"red", "circle", "<pad>"};
  const int64_t nb = a.numBlocks(), n = a.grid.videoTokens();
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0.01f, 1.0f);
  for (int s : steps)
    for (int l = 0; l < 2; ++l) {
      AtlasEntry e;
      e.step = s;
      e.layer = l;
      e.pooled.resize(a.heads * nb * nb);
      for (int64_t r = 0; r < a.heads * nb; ++r) {
        float sum = 0;
        for (int64_t k = 0; k < nb; ++k) sum += (e.pooled[r * nb + k] = u(rng));
        for (int64_t k = 0; k < nb; ++k) e.pooled[r * nb + k] /= sum;
      }
      e.sink.assign(a.heads * n, 1.0f / n);
      e.entropy.assign(a.heads * n, 1.0f);
      e.cross.resize(a.heads * n * a.grid.text);
      for (float& x : e.cross) x = u(rng);
      a.entries.push_back(std::move(e));
    }
  return a;
}

}  // namespace

class TestAtlasQueries : public QObject {
  Q_OBJECT
 private slots:
  void pixelToToken() {
    TokenGrid g = TokenGrid::parse("4x4x4");
    // 8 video frames of 32x32 onto 4 token frames of 4x4 patches.
    QCOMPARE(tokenAtPixel(g, 0, 0, 0, 8, 32, 32), int64_t(0));
    QCOMPARE(tokenAtPixel(g, 3, 31.5, 8.2, 8, 32, 32), int64_t((1 * 4 + 1) * 4 + 3));
    QCOMPARE(tokenAtPixel(g, 7, 0, 31, 8, 32, 32), int64_t((3 * 4 + 3) * 4 + 0));
    QVERIFY(errorOf([&] { tokenAtPixel(g, 8, 0, 0, 8, 32, 32); }).contains("outside the 8-frame 32x32 video"));
  }

  void blocksOfTokens() {
    TokenGrid g = TokenGrid::parse("4x4x4");
    QCOMPARE(blockOfToken(BlockLayout::linear(8), g, 17), int64_t(2));
    // tiled(2,2,2): tiles 2x2x2 over (f, y, x); token (f=3, y=1, x=2) -> tile (1, 0, 1).
    BlockLayout tiled = BlockLayout::tiled(2, 2, 2);
    int64_t token = (3 * 4 + 1) * 4 + 2;
    QCOMPARE(blockOfToken(tiled, g, token), int64_t((1 * 2 + 0) * 2 + 1));
    // Against the layout's own permutation for every token.
    std::vector<int64_t> order = tiled.permutation(g);
    for (int64_t p = 0; p < int64_t(order.size()); ++p) QCOMPARE(blockOfToken(tiled, g, order[p]), p / 8);
  }

  void pixelHeatSpreadsTheRow_data() {
    QTest::addColumn<QString>("layout");
    QTest::newRow("linear") << "linear(8)";
    QTest::newRow("tiled") << "tiled(2,2,2)";
  }
  void pixelHeatSpreadsTheRow() {
    QFETCH(QString, layout);
    AttentionAtlas a = makeAtlas(layout.toStdString(), {1, 3});
    const int64_t nb = a.numBlocks(), n = a.grid.videoTokens(), query = 37;
    const int64_t q = blockOfToken(a.layout, a.grid, query);
    std::vector<float> heat = pixelHeat(a, 3, 1, 0, query);
    QCOMPARE(int64_t(heat.size()), n);
    QVERIFY(std::abs(std::accumulate(heat.begin(), heat.end(), 0.0) - 1.0) < 1e-5);
    const float* row = a.find(3, 1)->pooled.data() + q * nb;  // head 0
    for (int64_t t = 0; t < n; ++t) QVERIFY(std::abs(heat[t] - row[blockOfToken(a.layout, a.grid, t)] / 8.0f) < 1e-6f);

    // Head mean over both steps.
    std::vector<float> avg = pixelHeat(a, -1, 1, -1, query);
    for (int64_t t = 0; t < n; t += 5) {
      int64_t b = blockOfToken(a.layout, a.grid, t);
      double sum = 0;
      for (int s : {1, 3})
        for (int h = 0; h < 2; ++h) sum += a.find(s, 1)->pooled[(h * nb + q) * nb + b];
      QVERIFY(std::abs(avg[t] - sum / 4.0 / 8.0) < 1e-6);
    }
  }

  void crossHeatOfAToken() {
    AttentionAtlas a = makeAtlas("linear(8)", {2});
    const int64_t n = a.grid.videoTokens();
    std::vector<float> heat = crossHeat(a, 2, 0, 1, 1);
    for (int64_t i = 0; i < n; ++i) QCOMPARE(heat[i], a.find(2, 0)->cross[(1 * n + i) * 3 + 1]);
    std::vector<float> avg = crossHeat(a, -1, 0, -1, 0);
    for (int64_t i = 0; i < n; ++i) {
      const auto& c = a.find(2, 0)->cross;
      QVERIFY(std::abs(avg[i] - (c[i * 3] + c[(n + i) * 3]) / 2.0f) < 1e-6f);
    }
  }

  void badQueriesThrow() {
    AttentionAtlas a = makeAtlas("linear(8)", {2});
    QVERIFY(errorOf([&] { pixelHeat(a, 5, 0, 0, 0); }).contains("no capture of layer 0 at step 5"));
    QVERIFY(errorOf([&] { pixelHeat(a, 2, 2, 0, 0); }).contains("outside the atlas' 2 layers"));
    QVERIFY(errorOf([&] { pixelHeat(a, 2, 0, 2, 0); }).contains("outside the atlas' 2 heads"));
    QVERIFY(errorOf([&] { pixelHeat(a, 2, 0, 0, 64); }).contains("token 64 is outside"));
    QVERIFY(errorOf([&] { crossHeat(a, 2, 0, 0, 3); }).contains("text token 3 is outside"));
    a.entries[0].cross.clear();
    QVERIFY(errorOf([&] { crossHeat(a, 2, 0, 0, 0); }).contains("no cross-attention"));
  }
};

QTEST_APPLESS_MAIN(TestAtlasQueries)
#include "test_atlasqueries.moc"
