// Strategies, PooledMaps and derivePlan on synthetic atlases built in memory,
// each checked against a brute-force float64 reference.
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <array>
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/core/Error.h"
#include "engine/strategies/Strategy.h"
#include "engine/strategies/StrategySupport.h"

#include "tests/support/ErrorMessage.h"

using namespace attnscope;
using namespace attnscope::testing;

namespace {

// Random pooled rows (skewed, strictly positive, normalized to sum 1) and sink
// vectors for every (step, layer).
AttentionAtlas makeAtlas(const std::string& grid, const std::string& layout, int64_t layers, int64_t heads,
                         std::vector<int> steps, unsigned seed) {
  AttentionAtlas atlas;
  atlas.modelId = "tiny-dit";
  atlas.grid = TokenGrid::parse(grid);
  atlas.layout = BlockLayout::parse(layout);
  atlas.layers = layers;
  atlas.heads = heads;
  atlas.totalSteps = 10;
  int64_t n = atlas.numBlocks(), tokens = atlas.grid.videoTokens();
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.05, 1.0);
  for (int s : steps)
    for (int64_t l = 0; l < layers; ++l) {
      AtlasEntry e;
      e.step = s;
      e.layer = int(l);
      e.pooled.resize(heads * n * n);
      for (int64_t row = 0; row < heads * n; ++row) {
        std::vector<double> v(n);
        double sum = 0;
        for (double& x : v) sum += (x = std::pow(u(rng), 4.0));
        for (int64_t k = 0; k < n; ++k) e.pooled[row * n + k] = float(v[k] / sum);
      }
      e.sink.resize(heads * tokens);
      for (float& x : e.sink) x = float(u(rng));
      atlas.entries.push_back(std::move(e));
    }
  return atlas;
}

bool contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return true;
  qWarning("message \"%s\" lacks \"%s\"", text.c_str(), part.c_str());
  return false;
}

// Indices of a row sorted by descending value, in float64.
std::vector<int64_t> descending(const float* row, int64_t n) {
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [row](int64_t a, int64_t b) { return double(row[a]) > double(row[b]); });
  return order;
}

std::set<int64_t> keptIn(const BlockMask& m, int64_t q) {
  std::set<int64_t> kept;
  for (int64_t k = 0; k < m.nk(); ++k)
    if (m.get(q, k)) kept.insert(k);
  return kept;
}

// Reference block of a natural-order token in tiled(tf,ty,tx), without BlockLayout.
int64_t tiledBlockOf(const TokenGrid& g, int64_t tf, int64_t ty, int64_t tx, int64_t token) {
  TokenCoord c = tokenCoord(g, token);
  return ((c.f / tf) * (g.height / ty) + c.y / ty) * (g.width / tx) + c.x / tx;
}

// Reference geometry of a layout from its token sets: the block of every
// natural token, and per block pair the smallest |df|, |dy|, |dx| over their
// tokens (each axis on its own). Only tiled(tf,ty,tx) and linear(B) with B a
// multiple of the width (whole rows) are used, where this is exact.
struct ReferenceGeometry {
  int64_t blocks = 0;
  std::vector<std::array<int64_t, 3>> gaps;  // [q * blocks + k] -> (f, y, x)
  std::vector<int64_t> blockOf;              // natural token -> block

  ReferenceGeometry(const TokenGrid& g, const std::string& layout) {
    int64_t n = g.videoTokens();
    blockOf.resize(n);
    int tf = 0, ty = 0, tx = 0, b = 0;
    if (std::sscanf(layout.c_str(), "tiled(%d,%d,%d)", &tf, &ty, &tx) == 3) {
      for (int64_t t = 0; t < n; ++t) blockOf[t] = tiledBlockOf(g, tf, ty, tx, t);
    } else {
      QVERIFY(std::sscanf(layout.c_str(), "linear(%d)", &b) == 1);
      for (int64_t t = 0; t < n; ++t) blockOf[t] = t / b;
    }
    blocks = *std::max_element(blockOf.begin(), blockOf.end()) + 1;
    gaps.assign(blocks * blocks, {INT64_MAX, INT64_MAX, INT64_MAX});
    for (int64_t a = 0; a < n; ++a)
      for (int64_t c = 0; c < n; ++c) {
        TokenCoord ca = tokenCoord(g, a), cc = tokenCoord(g, c);
        auto& gap = gaps[blockOf[a] * blocks + blockOf[c]];
        gap[0] = std::min(gap[0], std::abs(ca.f - cc.f));
        gap[1] = std::min(gap[1], std::abs(ca.y - cc.y));
        gap[2] = std::min(gap[2], std::abs(ca.x - cc.x));
      }
  }
  const std::array<int64_t, 3>& gap(int64_t q, int64_t k) const { return gaps[q * blocks + k]; }
};

// Reference sink order of one head: mean received mass per block, descending, ties to the lower block.
std::vector<int64_t> referenceSinkOrder(const PooledMaps& maps, const ReferenceGeometry& geo, int64_t l, int64_t h) {
  std::vector<double> sum(geo.blocks, 0.0), count(geo.blocks, 0.0);
  const float* sink = maps.sinkOf(l, h);
  for (size_t t = 0; t < geo.blockOf.size(); ++t) {
    sum[geo.blockOf[t]] += sink[t];
    count[geo.blockOf[t]] += 1;
  }
  std::vector<float> mean(geo.blocks);
  for (int64_t b = 0; b < geo.blocks; ++b) mean[b] = float(sum[b] / count[b]);
  std::vector<int64_t> order(geo.blocks);
  for (int64_t b = 0; b < geo.blocks; ++b) order[b] = b;
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return mean[a] > mean[b]; });
  return order;
}

double referenceKept(const float* map, int64_t n, const std::vector<std::vector<bool>>& keep) {
  double kept = 0;
  for (int64_t q = 0; q < n; ++q)
    for (int64_t k = 0; k < n; ++k)
      if (keep[q][k]) kept += map[q * n + k];
  return kept / double(n);
}

double referenceDensity(const std::vector<std::vector<bool>>& keep) {
  double kept = 0, cells = 0;
  for (const auto& row : keep)
    for (bool b : row) kept += b, cells += 1;
  return kept / cells;
}

void compareMask(const BlockMask& m, const std::vector<std::vector<bool>>& expected, const char* what) {
  for (int64_t q = 0; q < m.nq(); ++q)
    for (int64_t k = 0; k < m.nk(); ++k)
      if (m.get(q, k) != bool(expected[q][k]))
        QFAIL(qPrintable(QString("%1: block (%2, %3) is %4").arg(what).arg(q).arg(k).arg(m.get(q, k))));
}

// Plants a temporal pattern in head (layer 0, head 1): each row's mass sits on
// key blocks with the same (y, x) tile in other frames.
void plantTemporalHead(AttentionAtlas& atlas, const ReferenceGeometry& geo) {
  int64_t n = geo.blocks;
  for (AtlasEntry& e : atlas.entries) {
    if (e.layer != 0) continue;
    float* map = e.pooled.data() + 1 * n * n;
    for (int64_t q = 0; q < n; ++q) {
      double sum = 0;
      for (int64_t k = 0; k < n; ++k) {
        auto g = geo.gap(q, k);
        map[q * n + k] = (g[1] == 0 && g[2] == 0) ? 1.0f : 0.01f;
        sum += map[q * n + k];
      }
      for (int64_t k = 0; k < n; ++k) map[q * n + k] = float(map[q * n + k] / sum);
    }
  }
}

}  // namespace

class TestStrategies : public QObject {
  Q_OBJECT

 private slots:
  void registryListsAndRefuses() {
    QCOMPARE(allStrategies().size(), size_t(9));
    for (const Strategy& s : allStrategies()) {
      QCOMPARE(findStrategy(s.name).name, s.name);
      bool knobDeclared = false;
      for (const StrategyParam& p : s.params) knobDeclared |= p.name == s.densityKnob;
      QVERIFY(knobDeclared);
    }
    std::string message = errorText([] { findStrategy("radial-decay-v9"); });
    QVERIFY(contains(message, "'radial-decay-v9'"));
    QVERIFY(contains(message, "threshold, topk, sink-window, window3d, spatial-temporal, antidiagonal, window-anchors, "
                              "radial, head-budget"));
  }

  // buildPerHead fills heads on several threads: every mask lands at layer *
  // heads + head, gets its diagonal, and an error of any head reaches the caller.
  void buildPerHeadKeepsOrderAndErrors() {
    PooledMaps maps;
    maps.layers = 7;
    maps.heads = 5;
    maps.nq = 6;
    maps.nk = 9;
    auto masks = buildPerHead(maps, [&](int64_t l, int64_t h, BlockMask& m) { m.set(l % maps.nq, (l + h) % maps.nk, true); });
    QCOMPARE(masks.size(), size_t(35));
    for (int64_t l = 0; l < maps.layers; ++l)
      for (int64_t h = 0; h < maps.heads; ++h) {
        const BlockMask& m = masks[size_t(l * maps.heads + h)];
        QCOMPARE(m.nq(), int64_t(6));
        for (int64_t q = 0; q < m.nq(); ++q)
          for (int64_t k = 0; k < m.nk(); ++k)
            QCOMPARE(m.get(q, k), q == k || (q == l % maps.nq && k == (l + h) % maps.nk));
      }
    const std::string message = errorText([&] {
      buildPerHead(maps, [](int64_t l, int64_t h, BlockMask&) {
        if (l == 4 && h == 2) throw Error("head 4/2 cannot be built");
      });
    });
    QVERIFY(contains(message, "head 4/2 cannot be built"));
  }

  void fromAtlasAveragesSteps() {
    AttentionAtlas atlas = makeAtlas("4x8x8", "linear(32)", 2, 3, {2, 7}, 11);
    PooledMaps mean = PooledMaps::fromAtlas(atlas);
    PooledMaps only7 = PooledMaps::fromAtlas(atlas, 7);
    QCOMPARE(mean.nq, int64_t(8));
    for (int64_t l = 0; l < 2; ++l) {
      const AtlasEntry &a = atlas.entries[l], &b = atlas.entries[2 + l];  // steps 2 and 7
      QCOMPARE(a.step, 2);
      QCOMPARE(b.step, 7);
      int64_t per = 3 * 8 * 8;
      for (int64_t i = 0; i < per; ++i) {
        double expected = (double(a.pooled[i]) + double(b.pooled[i])) / 2.0;
        QVERIFY(std::abs(mean.pooled[l * per + i] - expected) <= 1e-7);
        QCOMPARE(only7.pooled[l * per + i], b.pooled[i]);
      }
      int64_t sinkPer = 3 * 256;
      for (int64_t i = 0; i < sinkPer; ++i)
        QVERIFY(std::abs(mean.sink[l * sinkPer + i] - (double(a.sink[i]) + double(b.sink[i])) / 2.0) <= 1e-7);
    }
  }

  void fromAtlasNamesWhatIsMissing() {
    AttentionAtlas atlas = makeAtlas("4x8x8", "linear(32)", 3, 2, {0, 5}, 4);
    atlas.entries.erase(atlas.entries.begin() + 4);  // step 5, layer 1
    std::string missing = errorText([&] { PooledMaps::fromAtlas(atlas); });
    QVERIFY(contains(missing, "step 5, layer 1"));
    PooledMaps::fromAtlas(atlas, 0);  // step 0 is complete
    QVERIFY(contains(errorText([&] { PooledMaps::fromAtlas(atlas, 3); }), "no captured step 3 (captured: 0, 5)"));
    atlas.entries.clear();
    QVERIFY(contains(errorText([&] { PooledMaps::fromAtlas(atlas); }), "no captured entries"));
  }

  void thresholdKeepsFewestBlocksReachingP_data() {
    QTest::addColumn<double>("p");
    QTest::newRow("p=0.5") << 0.5;
    QTest::newRow("p=0.9") << 0.9;
    QTest::newRow("p=0.99") << 0.99;
  }
  void thresholdKeepsFewestBlocksReachingP() {
    QFETCH(double, p);
    AttentionAtlas atlas = makeAtlas("8x8x8", "linear(16)", 2, 3, {0}, 21);  // 32 blocks
    PooledMaps maps = PooledMaps::fromAtlas(atlas);
    std::vector<BlockMask> masks = findStrategy("threshold").build(maps, {{"p", p}});
    QCOMPARE(int64_t(masks.size()), int64_t(6));
    int64_t sparseRows = 0;
    for (int64_t i = 0; i < 6; ++i) {
      const float* map = maps.map(i / 3, i % 3);
      for (int64_t q = 0; q < maps.nq; ++q) {
        const float* row = map + q * maps.nk;
        std::vector<int64_t> order = descending(row, maps.nk);
        // Brute force: the shortest heaviest-first prefix whose mass reaches p.
        std::set<int64_t> expected;
        double mass = 0;
        for (int64_t k : order) {
          if (mass >= p) break;
          expected.insert(k);
          mass += row[k];
        }
        QVERIFY(mass >= p);
        double withoutSmallest = mass - row[*std::min_element(expected.begin(), expected.end(),
                                                              [row](int64_t a, int64_t b) { return row[a] < row[b]; })];
        QVERIFY(withoutSmallest < p);
        expected.insert(q);  // the diagonal is always kept
        QVERIFY(keptIn(masks[i], q) == expected);
        sparseRows += int64_t(expected.size()) < maps.nk;
      }
    }
    QVERIFY(sparseRows > 0);
  }

  void topkKeepsTheKLargest_data() {
    QTest::addColumn<int>("k");
    QTest::newRow("k=3") << 3;
    QTest::newRow("k=1") << 1;
    QTest::newRow("k>nk") << 40;
  }
  void topkKeepsTheKLargest() {
    QFETCH(int, k);
    AttentionAtlas atlas = makeAtlas("8x8x8", "tiled(2,4,4)", 2, 2, {0}, 5);  // 16 blocks
    PooledMaps maps = PooledMaps::fromAtlas(atlas);
    std::vector<BlockMask> masks = findStrategy("topk").build(maps, {{"k", double(k)}});
    for (int64_t i = 0; i < 4; ++i) {
      const float* map = maps.map(i / 2, i % 2);
      for (int64_t q = 0; q < maps.nq; ++q) {
        std::vector<int64_t> order = descending(map + q * maps.nk, maps.nk);
        std::set<int64_t> expected(order.begin(), order.begin() + std::min<int64_t>(k, maps.nk));
        expected.insert(q);
        QVERIFY(keptIn(masks[i], q) == expected);
      }
    }
  }

  void sinkWindowKeepsSinksAndBand() {
    AttentionAtlas atlas = makeAtlas("8x8x8", "tiled(2,4,4)", 2, 2, {0, 1}, 9);  // 16 blocks
    PooledMaps maps = PooledMaps::fromAtlas(atlas);
    std::vector<BlockMask> masks = findStrategy("sink-window").build(maps, {{"sinks", 2}, {"window", 1}});
    TokenGrid g = atlas.grid;
    for (int64_t l = 0; l < 2; ++l)
      for (int64_t h = 0; h < 2; ++h) {
        // Reference: mean received mass per tile, from the natural-order sinks.
        std::vector<double> sum(16, 0.0);
        const float* sink = maps.sinkOf(l, h);
        for (int64_t t = 0; t < g.videoTokens(); ++t) sum[tiledBlockOf(g, 2, 4, 4, t)] += sink[t];
        std::vector<float> mean(16);
        for (int64_t b = 0; b < 16; ++b) mean[b] = float(sum[b] / 32.0);
        std::vector<int64_t> order = descending(mean.data(), 16);
        const BlockMask& m = masks[l * 2 + h];
        for (int64_t q = 0; q < 16; ++q)
          for (int64_t k = 0; k < 16; ++k) {
            bool expected = std::abs(q - k) <= 1 || k == order[0] || k == order[1];
            QCOMPARE(m.get(q, k), expected);
          }
      }
  }

  void window3dMatchesDistanceCheck_data() {
    QTest::addColumn<QString>("layout");
    QTest::addColumn<double>("frames");
    QTest::addColumn<double>("height");
    QTest::addColumn<double>("width");
    QTest::addColumn<double>("scale");
    QTest::newRow("tiled, defaults") << "tiled(2,4,4)" << 1.0 << 2.0 << 2.0 << 1.0;
    QTest::newRow("tiled, scale 2.5") << "tiled(2,4,4)" << 1.0 << 2.0 << 2.0 << 2.5;
    QTest::newRow("tiled, scale 0") << "tiled(2,4,4)" << 1.0 << 2.0 << 2.0 << 0.0;
    // Neighbouring tiles are exactly 1 token apart: the edge case of <=.
    QTest::newRow("tiled, gap equals half-width") << "tiled(2,4,4)" << 1.0 << 1.0 << 1.0 << 1.0;
    QTest::newRow("tiled, x only") << "tiled(2,4,4)" << 0.0 << 0.0 << 1.0 << 1.0;
    QTest::newRow("tiled, time only") << "tiled(2,4,4)" << 3.0 << 0.0 << 0.0 << 1.0;
    QTest::newRow("linear rows, defaults") << "linear(8)" << 1.0 << 2.0 << 2.0 << 1.0;
    QTest::newRow("linear rows, scale 2") << "linear(8)" << 1.0 << 2.0 << 2.0 << 2.0;
    QTest::newRow("linear rows, x 0") << "linear(8)" << 1.0 << 1.0 << 0.0 << 1.0;
  }
  void window3dMatchesDistanceCheck() {
    QFETCH(QString, layout);
    QFETCH(double, frames);
    QFETCH(double, height);
    QFETCH(double, width);
    QFETCH(double, scale);
    AttentionAtlas atlas = makeAtlas("8x8x8", layout.toStdString(), 1, 2, {0}, 3);
    PooledMaps maps = PooledMaps::fromAtlas(atlas);
    std::vector<BlockMask> masks = findStrategy("window3d")
                                       .build(maps, {{"frames", frames}, {"height", height}, {"width", width},
                                                     {"scale", scale}});
    double hf = frames * scale, hy = height * scale, hx = width * scale;
    bool tiled = layout.startsWith("tiled");
    int64_t kept = 0;
    for (int64_t q = 0; q < maps.nq; ++q)
      for (int64_t k = 0; k < maps.nk; ++k) {
        bool expected;
        if (tiled) {
          // Brute force over every token pair of the two tiles, per axis.
          TokenGrid g = atlas.grid;
          double df = 1e9, dy = 1e9, dx = 1e9;
          for (int64_t a = 0; a < g.videoTokens(); ++a) {
            if (tiledBlockOf(g, 2, 4, 4, a) != q) continue;
            for (int64_t b = 0; b < g.videoTokens(); ++b) {
              if (tiledBlockOf(g, 2, 4, 4, b) != k) continue;
              TokenCoord ca = tokenCoord(g, a), cb = tokenCoord(g, b);
              df = std::min(df, double(std::abs(ca.f - cb.f)));
              dy = std::min(dy, double(std::abs(ca.y - cb.y)));
              dx = std::min(dx, double(std::abs(ca.x - cb.x)));
            }
          }
          expected = df <= hf && dy <= hy && dx <= hx;
        } else {
          // linear(8) on width 8: block b is row (b % 8) of frame (b / 8), spanning all x.
          expected = std::abs(q / 8 - k / 8) <= hf && std::abs(q % 8 - k % 8) <= hy;
        }
        expected |= q == k;
        for (const BlockMask& m : masks) QCOMPARE(m.get(q, k), expected);
        kept += expected;
      }
    if (scale > 0) QVERIFY(kept > maps.nq && kept < maps.nq * maps.nk);  // neither diagonal-only nor full
  }

  void spatialTemporalPicksTheBetterTypePerHead_data() {
    QTest::addColumn<QString>("layout");
    QTest::addColumn<double>("scale");
    QTest::newRow("tiled, scale 1") << "tiled(2,4,4)" << 1.0;
    QTest::newRow("tiled, scale 0") << "tiled(2,4,4)" << 0.0;
    QTest::newRow("tiled, scale 0.4") << "tiled(2,4,4)" << 0.4;
    QTest::newRow("tiled(1,2,2), scale 2") << "tiled(1,2,2)" << 2.0;
    QTest::newRow("linear rows") << "linear(8)" << 1.0;
    QTest::newRow("linear whole frames: temporal is full") << "linear(64)" << 1.0;
  }
  void spatialTemporalPicksTheBetterTypePerHead() {
    QFETCH(QString, layout);
    QFETCH(double, scale);
    AttentionAtlas atlas = makeAtlas("8x8x8", layout.toStdString(), 2, 3, {0}, 31);
    ReferenceGeometry geo(atlas.grid, layout.toStdString());
    plantTemporalHead(atlas, geo);
    PooledMaps maps = PooledMaps::fromAtlas(atlas);
    const double frames = 1, radius = 2, sinks = 1;
    std::vector<BlockMask> masks = findStrategy("spatial-temporal")
                                       .build(maps, {{"frames", frames}, {"radius", radius}, {"sinks", sinks},
                                                     {"scale", scale}});
    int64_t n = geo.blocks, temporalHeads = 0;
    for (int64_t l = 0; l < 2; ++l)
      for (int64_t h = 0; h < 3; ++h) {
        std::vector<int64_t> order = referenceSinkOrder(maps, geo, l, h);
        std::vector<std::vector<bool>> spatial(n, std::vector<bool>(n)), temporal = spatial;
        for (int64_t q = 0; q < n; ++q)
          for (int64_t k = 0; k < n; ++k) {
            auto g = geo.gap(q, k);
            bool sink = k == order[0], diag = q == k;
            spatial[q][k] = g[0] <= frames * scale || sink || diag;
            temporal[q][k] = (g[1] <= radius * scale && g[2] <= radius * scale) || sink || diag;
          }
        const float* map = maps.map(l, h);
        double liftS = referenceKept(map, n, spatial) - referenceDensity(spatial);
        double liftT = referenceKept(map, n, temporal) - referenceDensity(temporal);
        const bool fullS = referenceDensity(spatial) == 1.0, fullT = referenceDensity(temporal) == 1.0;
        const bool isTemporal = fullS != fullT ? fullS : liftT > liftS;
        compareMask(masks[l * 3 + h], isTemporal ? temporal : spatial, "spatial-temporal");
        temporalHeads += isTemporal;
        // The planted head, wherever both candidates are proper masks.
        if (l == 0 && h == 1 && referenceDensity(spatial) < 0.9 && referenceDensity(temporal) < 0.9 &&
            layout != "linear(8)")
          QVERIFY(liftT > liftS);
      }
    if (layout == "tiled(2,4,4)" && scale == 0.4) QVERIFY(temporalHeads >= 1 && temporalHeads < 6);
    if (layout == "linear(64)") QCOMPARE(temporalHeads, int64_t(0));
  }

  void antidiagonalKeepsGroupsUpToTau_data() {
    QTest::addColumn<int>("stride");
    QTest::addColumn<double>("tau");
    QTest::newRow("stride 1 = threshold") << 1 << 0.8;
    QTest::newRow("stride 2") << 2 << 0.7;
    QTest::newRow("stride 3, partial groups") << 3 << 0.9;
    QTest::newRow("tau 0") << 2 << 0.0;
  }
  void antidiagonalKeepsGroupsUpToTau() {
    QFETCH(int, stride);
    QFETCH(double, tau);
    AttentionAtlas atlas = makeAtlas("8x8x8", "linear(32)", 2, 2, {0}, 41);  // 16 blocks
    PooledMaps maps = PooledMaps::fromAtlas(atlas);
    std::vector<BlockMask> masks = findStrategy("antidiagonal").build(maps, {{"stride", stride}, {"tau", tau}});
    const int64_t n = 16, groups = (n + stride - 1) / stride;
    for (int64_t i = 0; i < 4; ++i) {
      const float* map = maps.map(i / 2, i % 2);
      std::vector<std::vector<bool>> expected(n, std::vector<bool>(n, false));
      for (int64_t q = 0; q < n; ++q) expected[q][q] = true;
      for (int64_t r = 0; r < groups; ++r) {
        std::vector<double> score(groups, 0.0);
        double total = 0;
        for (int64_t c = 0; c < groups; ++c) {
          for (int64_t j = 0; j < stride; ++j) {
            int64_t q = r * stride + j, k = c * stride + stride - 1 - j;
            if (q < n && k < n) score[c] += map[q * n + k];
          }
          total += score[c];
        }
        std::vector<int64_t> order(groups);
        for (int64_t c = 0; c < groups; ++c) order[c] = c;
        std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return score[a] > score[b]; });
        double kept = 0;
        for (int64_t c : order) {
          if (kept >= tau * total) break;
          kept += score[c];
          for (int64_t q = r * stride; q < std::min(n, (r + 1) * stride); ++q)
            for (int64_t k = c * stride; k < std::min(n, (c + 1) * stride); ++k) expected[q][k] = true;
        }
      }
      compareMask(masks[i], expected, "antidiagonal");
    }
    if (stride == 1) {  // the block-level rule is the threshold strategy
      std::vector<BlockMask> threshold = findStrategy("threshold").build(maps, {{"p", tau}});
      for (int64_t i = 0; i < 4; ++i) QVERIFY(masks[i] == threshold[i]);
    }
  }

  void windowAnchorsRotate() {
    AttentionAtlas atlas = makeAtlas("8x8x8", "tiled(2,4,4)", 2, 3, {0}, 51);  // 16 blocks
    ReferenceGeometry geo(atlas.grid, "tiled(2,4,4)");
    PooledMaps maps = PooledMaps::fromAtlas(atlas);
    const int64_t n = 16, anchors = 3, frames = 1;
    std::vector<BlockMask> masks = findStrategy("window-anchors").build(maps, {{"anchors", anchors}, {"frames", frames}});
    for (int64_t l = 0; l < 2; ++l)
      for (int64_t h = 0; h < 3; ++h) {
        std::vector<std::vector<bool>> expected(n, std::vector<bool>(n, false));
        std::set<int64_t> anchored;
        for (int64_t q = 0; q < n; ++q) {
          std::set<int64_t> rowAnchors;
          for (int64_t i = 0; i < anchors; ++i) {
            int64_t k = (i * n / anchors + q + l * 3 + h) % n;
            rowAnchors.insert(k);
            expected[q][k] = true;
          }
          QCOMPARE(int64_t(rowAnchors.size()), anchors);  // spread: no two anchors coincide
          anchored.insert(rowAnchors.begin(), rowAnchors.end());
          for (int64_t k = 0; k < n; ++k) expected[q][k] = expected[q][k] || geo.gap(q, k)[0] <= frames;
        }
        QCOMPARE(int64_t(anchored.size()), n);  // rotation reaches every key block
        compareMask(masks[l * 3 + h], expected, "window-anchors");
      }
    QVERIFY(!(masks[0] == masks[1]));  // anchors move between heads
  }

  void radialWindowDecaysWithDistance_data() {
    QTest::addColumn<QString>("layout");
    QTest::addColumn<double>("radius");
    QTest::addColumn<double>("decay");
    QTest::newRow("tiled(1,2,2) r4 d.5") << "tiled(1,2,2)" << 4.0 << 0.5;
    QTest::newRow("tiled(1,2,2) r2.5 d.7") << "tiled(1,2,2)" << 2.5 << 0.7;
    QTest::newRow("tiled(2,4,4) r2 d.5") << "tiled(2,4,4)" << 2.0 << 0.5;
    QTest::newRow("linear rows r3 d.5") << "linear(8)" << 3.0 << 0.5;
  }
  void radialWindowDecaysWithDistance() {
    QFETCH(QString, layout);
    QFETCH(double, radius);
    QFETCH(double, decay);
    AttentionAtlas atlas = makeAtlas("8x8x8", layout.toStdString(), 1, 2, {0}, 61);
    ReferenceGeometry geo(atlas.grid, layout.toStdString());
    PooledMaps maps = PooledMaps::fromAtlas(atlas);
    std::vector<BlockMask> masks = findStrategy("radial").build(maps, {{"radius", radius}, {"decay", decay}});
    int64_t n = geo.blocks, kept = 0;
    std::vector<std::vector<bool>> expected(n, std::vector<bool>(n));
    for (int64_t q = 0; q < n; ++q)
      for (int64_t k = 0; k < n; ++k) {
        auto g = geo.gap(q, k);
        double w = radius;
        for (int64_t d = 1; 2 * d <= g[0] + 1; d *= 2) w *= decay;  // one factor per doubling
        expected[q][k] = q == k || (w >= 0.5 && g[1] <= w && g[2] <= w);
        kept += expected[q][k];
      }
    for (const BlockMask& m : masks) compareMask(m, expected, "radial");
    QVERIFY(kept > n && kept < n * n);
  }

  void headBudgetTakesTheHeaviestCells_data() {
    QTest::addColumn<double>("density");
    QTest::addColumn<int>("acrossLayers");
    QTest::newRow("0.2 per layer") << 0.2 << 0;
    QTest::newRow("0.35 across layers") << 0.35 << 1;
    QTest::newRow("below the diagonal") << 0.01 << 0;
  }
  void headBudgetTakesTheHeaviestCells() {
    QFETCH(double, density);
    QFETCH(int, acrossLayers);
    AttentionAtlas atlas = makeAtlas("8x8x8", "linear(32)", 3, 2, {0}, 71);  // 16 blocks
    for (AtlasEntry& e : atlas.entries) {  // head 0 peaked (2 heavy blocks a row), head 1 diffuse
      for (int64_t i = 0; i < 256; ++i) {
        int64_t q = i / 16, k = i % 16;
        e.pooled[i] = (k == (q + 1) % 16 || k == (q + 5) % 16) ? 0.45f : 0.1f / 14.0f + 1e-5f * float(i % 5);
      }
      for (int64_t i = 256; i < 512; ++i) e.pooled[i] = 1.0f / 16.0f + 1e-4f * float(i % 7);
    }
    PooledMaps maps = PooledMaps::fromAtlas(atlas);
    std::vector<BlockMask> masks =
        findStrategy("head-budget").build(maps, {{"density", density}, {"across-layers", acrossLayers}});
    const int64_t n = 16, cells = n * n;
    const int64_t poolLayers = acrossLayers ? 3 : 1;
    for (int64_t first = 0; first < 3; first += poolLayers) {
      struct Cell {
        double value;
        int64_t index;
      };
      std::vector<Cell> candidates;
      int64_t pool = poolLayers * 2 * cells, diagonal = poolLayers * 2 * n;
      for (int64_t i = 0; i < poolLayers * 2; ++i)
        for (int64_t c = 0; c < cells; ++c)
          if (c / n != c % n) candidates.push_back({maps.pooled[(first * 2 + i) * cells + c], i * cells + c});
      std::sort(candidates.begin(), candidates.end(), [](const Cell& a, const Cell& b) {
        return a.value != b.value ? a.value > b.value : a.index < b.index;
      });
      int64_t take = std::max<int64_t>(0, std::llround(density * double(pool)) - diagonal);
      std::set<int64_t> chosen;
      for (int64_t i = 0; i < take; ++i) chosen.insert(candidates[i].index);
      for (int64_t i = 0; i < poolLayers * 2; ++i)
        for (int64_t c = 0; c < cells; ++c) {
          bool expected = c / n == c % n || chosen.count(i * cells + c);
          QCOMPARE(masks[first * 2 + i].get(c / n, c % n), expected);
        }
    }
    double reached = 0;
    for (const BlockMask& m : masks) reached += m.density() / 6.0;
    QVERIFY(std::abs(reached - std::max(density, 1.0 / 16.0)) < 1.0 / 256.0);
    if (density > 0.1) QVERIFY(masks[1].density() > masks[0].density());  // the diffuse head gets more
    if (density > 0.1)
      for (int64_t q = 0; q < n; ++q) QVERIFY(masks[0].get(q, (q + 1) % 16) && masks[0].get(q, (q + 5) % 16));
  }

  void newStrategiesReachTargetDensities() {
    AttentionAtlas atlas = makeAtlas("8x8x8", "tiled(1,2,2)", 2, 2, {0, 3}, 81);  // 128 blocks
    for (const char* name : {"spatial-temporal", "antidiagonal", "window-anchors", "radial", "head-budget"}) {
      DeriveRequest request;
      request.strategy = name;
      request.targetDensity = 0.2;
      DeriveResult r = derivePlan(atlas, request);
      QVERIFY2(std::abs(r.density - 0.2) < 0.08, qPrintable(QString("%1 reached %2").arg(name).arg(r.density)));
      QVERIFY2(r.keptMass > 0 && r.keptMass <= 1.0 + 1e-6, name);
    }
  }

  void keptMassPerHeadMatchesReference() {
    AttentionAtlas atlas = makeAtlas("8x8x8", "linear(32)", 2, 3, {0, 4}, 91);
    DeriveRequest request;
    request.strategy = "topk";
    request.params = {{"k", 3}};
    DeriveResult r = derivePlan(atlas, request);
    std::vector<double> perHead = keptMassPerHead(atlas, r.plan);
    std::vector<double> step4 = keptMassPerHead(atlas, r.plan, 4);
    QCOMPARE(perHead.size(), size_t(6));
    double mean = 0;
    for (int64_t l = 0; l < 2; ++l)
      for (int64_t h = 0; h < 3; ++h) {
        double both = 0, only4 = 0;
        for (int64_t q = 0; q < 16; ++q)
          for (int64_t k = 0; k < 16; ++k)
            if (r.plan.mask(l, h).get(q, k)) {
              int64_t i = (h * 16 + q) * 16 + k;
              both += (double(atlas.entries[l].pooled[i]) + double(atlas.entries[2 + l].pooled[i])) / 2.0;
              only4 += atlas.entries[2 + l].pooled[i];
            }
        QVERIFY(std::abs(perHead[l * 3 + h] - both / 16.0) < 1e-6);
        QVERIFY(std::abs(step4[l * 3 + h] - only4 / 16.0) < 1e-6);
        mean += both / 16.0 / 6.0;
      }
    QVERIFY(std::abs(keptMass(atlas, r.plan) - mean) < 1e-6);
    MaskPlan other = r.plan;
    other.modelId = "another-model";
    QVERIFY(contains(errorText([&] { keptMassPerHead(atlas, other); }), "another-model"));
  }

  void deriveReachesTargetDensity_data() {
    QTest::addColumn<double>("target");
    QTest::newRow("0.1") << 0.1;
    QTest::newRow("0.25") << 0.25;
    QTest::newRow("0.5") << 0.5;
  }
  void deriveReachesTargetDensity() {
    QFETCH(double, target);
    AttentionAtlas atlas = makeAtlas("8x8x8", "linear(16)", 2, 3, {0, 4}, 17);  // 32 blocks
    DeriveRequest request;
    request.strategy = "threshold";
    request.targetDensity = target;
    request.denseWarmupSteps = 2;
    request.source = "atlas.safetensors";
    DeriveResult r = derivePlan(atlas, request);
    QVERIFY2(std::abs(r.density - target) <= 0.05, qPrintable(QString::number(r.density)));
    QCOMPARE(r.density, r.plan.density());
    QVERIFY(r.params.at("p") > 0.0 && r.params.at("p") < 1.0);

    // keptMass against float64: average the two steps' maps, sum the kept blocks.
    int64_t n = 32;
    double total = 0;
    for (int64_t l = 0; l < 2; ++l)
      for (int64_t h = 0; h < 3; ++h)
        for (int64_t q = 0; q < n; ++q)
          for (int64_t k = 0; k < n; ++k) {
            if (!r.plan.mask(l, h).get(q, k)) continue;
            int64_t i = (h * n + q) * n + k;
            total += (double(atlas.entries[l].pooled[i]) + double(atlas.entries[2 + l].pooled[i])) / 2.0;
          }
    double expectedMass = total / double(2 * 3 * n);
    QVERIFY(std::abs(r.keptMass - expectedMass) <= 1e-6);
    QVERIFY(std::abs(keptMass(atlas, r.plan) - expectedMass) <= 1e-6);
    QVERIFY(r.keptMass > target);  // attention concentrates: kept mass beats kept area

    QCOMPARE(r.plan.modelId, std::string("tiny-dit"));
    QCOMPARE(r.plan.denseWarmupSteps, 2);
    QCOMPARE(r.plan.provenance.method, std::string("strategy"));
    QCOMPARE(r.plan.provenance.strategy, std::string("threshold"));
    QCOMPARE(r.plan.provenance.source, std::string("atlas.safetensors"));
    QCOMPARE(nlohmann::json::parse(r.plan.provenance.paramsJson).at("p").get<double>(), r.params.at("p"));
    QCOMPARE(r.plan.provenance.created.size(), size_t(20));  // 2024-05-01T12:00:00Z
    QCOMPARE(r.plan.provenance.created.back(), 'Z');
  }

  void deriveIntegerKnobPicksClosest() {
    AttentionAtlas atlas = makeAtlas("8x8x8", "linear(16)", 1, 2, {0}, 8);  // 32 blocks
    PooledMaps maps = PooledMaps::fromAtlas(atlas);
    const Strategy& topk = findStrategy("topk");
    DeriveRequest request;
    request.strategy = "topk";
    request.targetDensity = 0.3;
    DeriveResult r = derivePlan(atlas, request);
    int64_t k = int64_t(r.params.at("k"));
    QCOMPARE(double(k), r.params.at("k"));
    auto densityAt = [&](int64_t kk) {
      double sum = 0;
      for (const BlockMask& m : topk.build(maps, {{"k", double(kk)}})) sum += m.density();
      return sum / 2.0;
    };
    QCOMPARE(r.density, densityAt(k));
    QVERIFY(std::abs(densityAt(k) - 0.3) <= std::abs(densityAt(k - 1) - 0.3));
    QVERIFY(std::abs(densityAt(k) - 0.3) <= std::abs(densityAt(k + 1) - 0.3));
    QCOMPARE(nlohmann::json::parse(r.plan.provenance.paramsJson).at("k").get<int64_t>(), k);
  }

  void badRequestsNameTheProblem() {
    AttentionAtlas atlas = makeAtlas("4x8x8", "linear(32)", 1, 1, {0}, 1);
    auto derive = [&](const std::string& strategy, StrategyParams params, std::optional<double> target) {
      DeriveRequest request;
      request.strategy = strategy;
      request.params = std::move(params);
      request.targetDensity = target;
      return errorText([&] { derivePlan(atlas, request); });
    };
    QVERIFY(contains(derive("nope", {}, {}), "unknown strategy 'nope'"));
    std::string p = derive("threshold", {{"p", 1.5}}, {});
    QVERIFY(contains(p, "parameter p = 1.5 is outside [0, 1]"));
    QVERIFY(contains(derive("topk", {{"k", 0}}, {}), "parameter k = 0 is outside [1,"));
    QVERIFY(contains(derive("topk", {{"k", 2.5}}, {}), "k must be an integer, got 2.5"));
    QVERIFY(contains(derive("sink-window", {{"window", -1}}, {}), "parameter window = -1"));
    QVERIFY(contains(derive("window3d", {{"scale", -0.5}}, {}), "parameter scale = -0.5"));
    QVERIFY(contains(derive("topk", {{"q", 1}}, {}), "no parameter 'q' (its parameters: k)"));
    QVERIFY(contains(derive("topk", {}, 0.0), "target density 0 is outside (0, 1]"));
    QVERIFY(contains(derive("topk", {}, 1.5), "target density 1.5 is outside (0, 1]"));
    QVERIFY(contains(derive("topk", {{"k", std::nan("")}}, {}), "parameter k = nan"));
  }
};

QTEST_APPLESS_MAIN(TestStrategies)
#include "test_strategies.moc"
