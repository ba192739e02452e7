// Analytics on hand-made atlases whose answers are known: every statistic is
// computed here from token-level attention matrices built with planted
// patterns (a spatial head, a temporal head, a sink head, a global head), and
// the analytics must find the planted sinks and head types, and match float64
// references for shares, entropy, correlations, Jaccard indices and recall.
#include <QtTest>

#include <cmath>
#include <fstream>
#include <numeric>
#include <random>
#include <set>

#include "engine/analytics/AnalyticsExport.h"
#include "engine/analytics/HeadTypes.h"
#include "engine/analytics/MaskRecall.h"
#include "engine/analytics/ParetoFront.h"
#include "engine/analytics/SinkAnalysis.h"
#include "engine/analytics/Stability.h"
#include "engine/core/Error.h"
#include "engine/strategies/Strategy.h"

#include "tests/support/ErrorMessage.h"

using namespace attnscope;
using namespace attnscope::testing;

namespace {

const TokenGrid kGrid{4, 4, 4, 4};  // 64 video tokens, 4 context tokens
constexpr int64_t kN = 64, kHeads = 4, kLayers = 4;
const int64_t kPrimarySink = 1 * 16 + 2 * 4 + 3;  // frame 1, y 2, x 3
const int64_t kSecondarySink = 3 * 16;            // frame 3, y 0, x 0

using Matrix = std::vector<std::vector<double>>;  // [N][N] probabilities, rows sum to 1

bool contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return true;
  qWarning("message \"%s\" lacks \"%s\"", text.c_str(), part.c_str());
  return false;
}

// Planted patterns, rows of random positive weights normalized:
//   head 0 spatial: weight x100 on keys in the query's frame;
//   head 1 temporal: x100 on the same (y, x) in other frames;
//   head 2 sinks: the primary sink in layers 0-2, the secondary sink in layer 3 of step 0;
//   head 3 global: weights alone.
Matrix plantedHead(int64_t head, int step, int layer, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0.5, 1.5);
  Matrix p(kN, std::vector<double>(kN));
  for (int64_t i = 0; i < kN; ++i) {
    TokenCoord a = tokenCoord(kGrid, i);
    double sum = 0;
    for (int64_t j = 0; j < kN; ++j) {
      TokenCoord b = tokenCoord(kGrid, j);
      double w = u(rng);
      if (head == 0 && a.f == b.f) w *= 100;
      if (head == 1 && a.f != b.f && a.y == b.y && a.x == b.x) w *= 100;
      if (head == 2 && layer <= 2 && j == kPrimarySink) w *= 400;
      if (head == 2 && layer == 3 && step == 0 && j == kSecondarySink) w *= 400;
      sum += (p[i][j] = w);
    }
    for (double& v : p[i]) v /= sum;
  }
  return p;
}

// The atlas entry of token-level matrices: pooled (linear(16) = one frame per
// block), sink, entropy, offsets and cross, all from the definitions.
AtlasEntry entryFrom(const std::vector<Matrix>& heads, int step, int layer, std::mt19937& rng) {
  AtlasEntry e;
  e.step = step;
  e.layer = layer;
  const int64_t nb = 4, bins = 7 * 7 * 7, T = kGrid.text;
  e.pooled.assign(kHeads * nb * nb, 0.0f);
  e.sink.assign(kHeads * kN, 0.0f);
  e.entropy.assign(kHeads * kN, 0.0f);
  e.offsets.assign(kHeads * bins, 0.0f);
  e.cross.assign(kHeads * kN * T, 0.0f);
  std::uniform_real_distribution<double> u(0.5, 1.5);
  for (int64_t h = 0; h < kHeads; ++h) {
    std::vector<double> pooled(nb * nb, 0.0), sink(kN, 0.0), offsets(bins, 0.0);
    for (int64_t i = 0; i < kN; ++i) {
      double entropy = 0;
      TokenCoord a = tokenCoord(kGrid, i);
      for (int64_t j = 0; j < kN; ++j) {
        const double p = heads[h][i][j];
        TokenCoord b = tokenCoord(kGrid, j);
        pooled[(i / 16) * nb + j / 16] += p / 16.0;
        sink[j] += p / double(kN);
        entropy -= p * std::log(p);
        offsets[((b.f - a.f + 3) * 7 + b.y - a.y + 3) * 7 + b.x - a.x + 3] += p / double(kN);
      }
      e.entropy[h * kN + i] = float(entropy);
      // Cross: head 2 puts 85% on context token 0, the others spread.
      double w[4], sum = 0;
      for (int64_t t = 0; t < T; ++t) sum += (w[t] = u(rng));
      for (int64_t t = 0; t < T; ++t)
        e.cross[(h * kN + i) * T + t] = float(h == 2 ? (t == 0 ? 0.85 : 0.05) : w[t] / sum);
    }
    for (int64_t c = 0; c < nb * nb; ++c) e.pooled[h * nb * nb + c] = float(pooled[c]);
    for (int64_t j = 0; j < kN; ++j) e.sink[h * kN + j] = float(sink[j]);
    for (int64_t b = 0; b < bins; ++b) e.offsets[h * bins + b] = float(offsets[b]);
  }
  return e;
}

struct Fixture {
  AttentionAtlas atlas;
  std::map<std::pair<int, int>, std::vector<Matrix>> probs;  // (step, layer) -> heads
};

Fixture plantedAtlas(std::vector<int> steps = {0, 5}) {
  Fixture f;
  AttentionAtlas& a = f.atlas;
  a.modelId = "planted";
  a.grid = kGrid;
  a.layout = BlockLayout::linear(16);
  a.heads = kHeads;
  a.layers = kLayers;
  a.totalSteps = 10;
  a.textTokens = {"<pad>", "red", "ball", "moves"};
  std::mt19937 rng(7);
  for (int s : steps)
    for (int l = 0; l < kLayers; ++l) {
      std::vector<Matrix> heads;
      for (int64_t h = 0; h < kHeads; ++h) heads.push_back(plantedHead(h, s, l, rng));
      a.entries.push_back(entryFrom(heads, s, l, rng));
      f.probs[{s, l}] = std::move(heads);
    }
  return f;
}

std::vector<std::string> readLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

class TestAnalytics : public QObject {
  Q_OBJECT

 private slots:
  void findsThePlantedSinks() {
    Fixture f = plantedAtlas();
    SinkReport r = findSinks(f.atlas);
    QCOMPARE(r.options.primaryLayers, 2);
    std::set<int64_t> tokens;
    for (const SinkHit& h : r.video) {
      tokens.insert(h.token);
      QCOMPARE(h.head, 2);  // only the sink head has sinks
      QVERIFY(std::abs(h.mass - f.atlas.find(h.step, h.layer)->sink[2 * kN + h.token]) < 1e-9);
      QVERIFY(std::abs(h.ratio - h.mass * kN) < 1e-9);
    }
    QCOMPARE(tokens, (std::set<int64_t>{kPrimarySink, kSecondarySink}));
    QCOMPARE(r.video.size(), size_t(2 * 3 + 1));  // 3 layers x 2 steps + 1

    QCOMPARE(r.tokens.size(), size_t(2));
    const SinkToken &primary = r.tokens[0], &secondary = r.tokens[1];
    QCOMPARE(primary.token, kPrimarySink);
    QCOMPARE(primary.at.f, int64_t(1));
    QCOMPARE(primary.at.y, int64_t(2));
    QCOMPARE(primary.at.x, int64_t(3));
    QCOMPARE(primary.longestRun, 3);
    QCOMPARE(primary.firstLayer, 0);
    QCOMPARE(primary.steps, 2);
    QCOMPARE(primary.appearances, 6);
    QVERIFY(primary.primary);
    QCOMPARE(secondary.token, kSecondarySink);
    QCOMPARE(secondary.longestRun, 1);
    QCOMPARE(secondary.firstLayer, 3);
    QCOMPARE(secondary.steps, 1);
    QVERIFY(!secondary.primary);

    // The sink map and the per-head shares against the definitions.
    QCOMPARE(r.sinkCount[kPrimarySink], 6);
    QCOMPARE(r.sinkCount[kSecondarySink], 1);
    QCOMPARE(std::accumulate(r.sinkCount.begin(), r.sinkCount.end(), 0), 7);
    for (int64_t j : {kPrimarySink, int64_t(5)}) {
      double sum = 0;
      for (const auto& [key, heads] : f.probs)
        for (const Matrix& m : heads) {
          double received = 0;
          for (int64_t i = 0; i < kN; ++i) received += m[i][j];
          sum += received;  // mean over queries times N = received mass sum
        }
      QVERIFY(std::abs(r.meanRatio[j] - sum / double(f.probs.size() * kHeads)) < 1e-4);
    }
    for (const HeadSinkShare& s : r.shares) {
      const float* sink = f.atlas.find(s.step, s.layer)->sink.data() + s.head * kN;
      double share = 0;
      int count = 0;
      for (int64_t j = 0; j < kN; ++j)
        if (sink[j] >= 10.0 / kN) share += sink[j], ++count;
      QCOMPARE(s.sinks, count);
      QVERIFY(std::abs(s.share - share) < 1e-9);
      if (s.head == 2 && s.layer <= 2) QVERIFY(s.share > 0.7);
    }

    // The text sink: context token 0 of head 2, everywhere.
    QVERIFY(r.hasCross);
    QCOMPARE(r.text.size(), size_t(2 * kLayers));
    for (const SinkHit& h : r.text) {
      QCOMPARE(h.head, 2);
      QCOMPARE(h.token, int64_t(0));
      QVERIFY(std::abs(h.mass - 0.85) < 1e-6);
    }

    // A higher threshold loses the sinks; a lower one lets noise in.
    SinkOptions strict;
    strict.ratio = 200;
    QVERIFY(findSinks(f.atlas, strict).video.empty());
    SinkOptions loose;
    loose.ratio = 1.2;
    QVERIFY(findSinks(f.atlas, loose).tokens.size() > 2);
  }

  void classifiesThePlantedHeads() {
    Fixture f = plantedAtlas();
    HeadTypeReport r = classifyHeads(f.atlas);
    QVERIFY(r.hasOffsets);
    QVERIFY(r.note.empty());
    QCOMPARE(r.heads.size(), size_t(kLayers * kHeads));
    for (const HeadProfile& p : r.heads) {
      HeadType expected = p.head == 0   ? HeadType::Spatial
                          : p.head == 1 ? HeadType::Temporal
                          : p.head == 3 ? HeadType::Global
                          : p.layer <= 2 ? HeadType::SinkDominated
                                         : HeadType::Global;  // layer 3: a sink at step 0 only, half the mean
      QVERIFY2(p.type == expected, qPrintable(QString("layer %1 head %2 is %3").arg(p.layer).arg(p.head).arg(headTypeName(p.type))));

      // Shares against the token-level matrices, mean over the two steps.
      double spatial = 0, temporal = 0, window = 0, windowOther = 0, entropy = 0;
      for (int s : {0, 5}) {
        const Matrix& m = f.probs.at({s, p.layer})[p.head];
        for (int64_t i = 0; i < kN; ++i)
          for (int64_t j = 0; j < kN; ++j) {
            TokenCoord a = tokenCoord(kGrid, i), b = tokenCoord(kGrid, j);
            const double v = m[i][j] / kN / 2.0;
            const bool sp = a.f == b.f, te = a.f != b.f && a.y == b.y && a.x == b.x;
            const bool wi = std::abs(a.f - b.f) <= 1 && std::abs(a.y - b.y) <= 1 && std::abs(a.x - b.x) <= 1;
            spatial += sp * v;
            temporal += te * v;
            window += wi * v;
            windowOther += (wi && !sp && !te) * v;
            entropy -= m[i][j] * std::log(m[i][j]) / kN / 2.0;
          }
      }
      QVERIFY(std::abs(p.spatial - spatial) < 1e-5);
      QVERIFY(std::abs(p.temporal - temporal) < 1e-5);
      QVERIFY(std::abs(p.window - window) < 1e-5);
      QVERIFY(std::abs(p.rest - (1 - spatial - temporal - windowOther)) < 1e-5);
      QVERIFY(std::abs(p.entropy - entropy) < 1e-4);
      QVERIFY(std::abs(p.normalizedEntropy - entropy / std::log(64.0)) < 1e-4);
    }
    QCOMPARE(r.count(HeadType::Spatial), kLayers);
    QCOMPARE(r.count(HeadType::Temporal), kLayers);
    QVERIFY(std::abs(r.uniformSpatial - 0.25) < 1e-12);

    // Thresholds move the classification: nothing is spatial above 0.99.
    HeadTypeOptions strict;
    strict.spatialShare = 0.999;
    QCOMPARE(classifyHeads(f.atlas, strict).count(HeadType::Spatial), 0);
    // One step on its own: step 0's layer-3 sink makes that head sink-dominated.
    HeadTypeOptions step0;
    step0.step = 0;
    QVERIFY(classifyHeads(f.atlas, step0).heads[3 * kHeads + 2].type == HeadType::SinkDominated);
  }

  void oldAtlasSaysWhatItCannotCompute() {
    Fixture f = plantedAtlas();
    for (AtlasEntry& e : f.atlas.entries) e.offsets.clear();
    HeadTypeReport r = classifyHeads(f.atlas);
    QVERIFY(!r.hasOffsets);
    QVERIFY(contains(r.note, "no offset histograms"));
    for (const HeadProfile& p : r.heads) {
      QVERIFY(std::isnan(p.spatial) && std::isnan(p.temporal) && std::isnan(p.window));
      QVERIFY(p.type == (p.head == 2 && p.layer <= 2 ? HeadType::SinkDominated : HeadType::Unknown));
    }
    nlohmann::json j = toJson(r);
    QVERIFY(j["heads"][0]["spatial"].is_null());
    QVERIFY(j["note"].is_string());
  }

  void badOptionsNameTheValue() {
    Fixture f = plantedAtlas();
    SinkOptions s;
    s.ratio = 0.5;
    QVERIFY(contains(errorText([&] { findSinks(f.atlas, s); }), "sink ratio must be > 1"));
    HeadTypeOptions h;
    h.spatialShare = 1.5;
    QVERIFY(contains(errorText([&] { classifyHeads(f.atlas, h); }), "spatial share threshold must lie in [0, 1], got 1.5"));
    h = {};
    h.step = 3;
    QVERIFY(contains(errorText([&] { classifyHeads(f.atlas, h); }), "no captured step 3 (captured: 0, 5)"));
    AttentionAtlas empty = f.atlas;
    empty.entries.clear();
    QVERIFY(contains(errorText([&] { findSinks(empty); }), "no entries"));
  }

  void stabilityAcrossStepsAndAtlases() {
    Fixture f = plantedAtlas({0, 5, 9});
    // Step 9 repeats step 5 exactly: correlation and Jaccard 1.
    for (int l = 0; l < kLayers; ++l) {
      AtlasEntry copy = *f.atlas.find(5, l);
      copy.step = 9;
      *const_cast<AtlasEntry*>(f.atlas.find(9, l)) = copy;
    }
    StabilityOptions o;
    o.strategy = "topk";
    o.density = 0.5;
    StabilityReport r = compareSteps(f.atlas, o);
    QCOMPARE(r.rowSteps, (std::vector<int>{0, 5, 9}));
    QVERIFY(std::abs(r.at(r.correlation, 1, 2) - 1.0) < 1e-9);
    QVERIFY(std::abs(r.at(r.jaccard, 1, 2) - 1.0) < 1e-12);
    for (size_t a = 0; a < 3; ++a)
      for (size_t b = 0; b < 3; ++b) {
        // Pearson per (layer, head) in float64, averaged.
        double corr = 0;
        for (int l = 0; l < kLayers; ++l)
          for (int64_t h = 0; h < kHeads; ++h) {
            const float* x = f.atlas.find(r.rowSteps[a], l)->pooled.data() + h * 16;
            const float* y = f.atlas.find(r.colSteps[b], l)->pooled.data() + h * 16;
            double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
            for (int i = 0; i < 16; ++i) mx += x[i] / 16.0, my += y[i] / 16.0;
            for (int i = 0; i < 16; ++i) {
              sxy += (x[i] - mx) * (y[i] - my);
              sxx += (x[i] - mx) * (x[i] - mx);
              syy += (y[i] - my) * (y[i] - my);
            }
            corr += sxy / std::sqrt(sxx * syy) / double(kLayers * kHeads);
          }
        QVERIFY(std::abs(r.at(r.correlation, a, b) - corr) < 1e-9);
        // Jaccard of the masks derived at each step.
        auto masksAt = [&](int step) {
          DeriveRequest q;
          q.strategy = "topk";
          q.targetDensity = 0.5;
          q.step = step;
          return derivePlan(f.atlas, q).plan.masks;
        };
        auto x = masksAt(r.rowSteps[a]), y = masksAt(r.colSteps[b]);
        double both = 0, either = 0;
        for (size_t m = 0; m < x.size(); ++m)
          for (int64_t q = 0; q < 4; ++q)
            for (int64_t k = 0; k < 4; ++k) both += x[m].get(q, k) && y[m].get(q, k), either += x[m].get(q, k) || y[m].get(q, k);
        QVERIFY(std::abs(r.at(r.jaccard, a, b) - both / either) < 1e-12);
      }
    QVERIFY(r.at(r.correlation, 0, 1) < 0.999);  // random weights differ between steps
    QCOMPARE(r.laterJaccard.size(), size_t(3));
    QVERIFY(std::abs(r.laterJaccard[0] - (r.at(r.jaccard, 0, 1) + r.at(r.jaccard, 0, 2)) / 2) < 1e-12);
    QVERIFY(std::abs(r.laterJaccard[1] - 1.0) < 1e-12);  // step 5's mask is step 9's
    QVERIFY(std::isnan(r.laterJaccard[2]));

    // Two atlases (another prompt): steps x steps; mismatched shapes refused.
    Fixture g = plantedAtlas({2});
    StabilityReport cross = compareAtlases(f.atlas, g.atlas, o);
    QCOMPARE(cross.colSteps, (std::vector<int>{2}));
    QCOMPARE(cross.correlation.size(), size_t(3));
    QVERIFY(cross.laterJaccard.empty());
    g.atlas.heads = 2;
    QVERIFY(contains(errorText([&] { compareAtlases(f.atlas, g.atlas, o); }), "differ in heads (4 vs 2)"));
  }

  void recallPerHeadAndStep() {
    Fixture f = plantedAtlas();
    DeriveRequest q;
    q.strategy = "threshold";
    q.params = {{"p", 0.6}};
    q.step = 0;
    MaskPlan plan = derivePlan(f.atlas, q).plan;
    RecallReport r = maskRecall(f.atlas, plan);
    QCOMPARE(r.planStrategy, std::string("threshold"));
    QCOMPARE(r.heads.size(), size_t(kLayers * kHeads));
    double mean = 0;
    for (const HeadRecall& h : r.heads) {
      double kept = 0;
      for (int s : {0, 5})
        for (int64_t qb = 0; qb < 4; ++qb)
          for (int64_t kb = 0; kb < 4; ++kb)
            if (plan.mask(h.layer, h.head).get(qb, kb))
              kept += f.atlas.find(s, h.layer)->pooled[(h.head * 4 + qb) * 4 + kb] / 8.0;
      QVERIFY(std::abs(h.keptMass - kept) < 1e-6);
      QCOMPARE(h.density, plan.mask(h.layer, h.head).density());
      mean += kept / double(kLayers * kHeads);
    }
    QVERIFY(std::abs(r.keptMass - mean) < 1e-6);
    QCOMPARE(r.steps, (std::vector<int>{0, 5}));
    QVERIFY(std::abs(r.stepKeptMass[0] - keptMass(f.atlas, plan, 0)) < 1e-12);
    QVERIFY(r.stepKeptMass[0] >= 0.6 - 1e-6);  // the step the plan was made from keeps p

    MaskPlan other = plan;
    other.grid = TokenGrid{8, 4, 4, 4};
    QVERIFY(contains(errorText([&] { maskRecall(f.atlas, other); }), "8x4x4"));
  }

  void paretoFrontOfHandPoints() {
    std::vector<double> cost = {0.1, 0.2, 0.2, 0.3, 0.05, 0.4};
    std::vector<double> quality = {20, 25, 24, 25, std::nan(""), 31};
    QCOMPARE(paretoFront(cost, quality), (std::vector<bool>{true, true, false, false, false, true}));
    // Random points: nothing on the front is dominated, everything off it is.
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<double> c(40), q(40);
    for (int i = 0; i < 40; ++i) c[i] = std::round(u(rng) * 10) / 10, q[i] = u(rng);
    std::vector<bool> front = paretoFront(c, q);
    for (int i = 0; i < 40; ++i) {
      bool dominated = false;
      for (int j = 0; j < 40; ++j)
        dominated |= c[j] <= c[i] && q[j] >= q[i] && (c[j] < c[i] || q[j] > q[i]);
      QCOMPARE(bool(front[i]), !dominated);
    }
    QVERIFY(contains(errorText([] { paretoFront({1, 2}, {1}); }), "2 costs vs 1"));
  }

  void exportsJsonAndCsv() {
    Fixture f = plantedAtlas();
    QTemporaryDir dir;
    auto path = [&](const char* name) { return dir.filePath(name).toStdString(); };
    SinkReport sinks = findSinks(f.atlas);
    writeSinksCsv(sinks, path("sinks.csv"));
    writeSinkTokensCsv(sinks, path("tokens.csv"));
    writeSinkMapCsv(sinks, path("map.csv"));
    auto lines = readLines(path("sinks.csv"));
    QCOMPARE(lines[0], std::string("step,layer,head,kind,token,frame,y,x,word,mass,ratio"));
    QCOMPARE(lines.size(), size_t(1 + sinks.video.size() + sinks.text.size()));
    QVERIFY(lines[1].rfind("0,0,2,video," + std::to_string(kPrimarySink) + ",1,2,3,,", 0) == 0);
    QVERIFY(lines.back().find(",text,0,,,,<pad>,") != std::string::npos);
    QCOMPARE(readLines(path("map.csv")).size(), size_t(1 + kN));
    const std::string primaryRow = std::to_string(kPrimarySink) + ",1,2,3,6,0,3,2,";
    QCOMPARE(readLines(path("tokens.csv"))[1].substr(0, primaryRow.size()), primaryRow);
    nlohmann::json j = toJson(sinks);
    QCOMPARE(j["tokens"][0]["primary"].get<bool>(), true);
    QCOMPARE(j["sink_map"]["count"].size(), size_t(kN));
    QCOMPARE(j["text"][0]["word"].get<std::string>(), std::string("<pad>"));

    HeadTypeReport heads = classifyHeads(f.atlas);
    writeHeadsCsv(heads, path("heads.csv"));
    lines = readLines(path("heads.csv"));
    QCOMPARE(lines.size(), size_t(1 + kLayers * kHeads));
    QVERIFY(lines[1].rfind("0,0,spatial,", 0) == 0);
    QCOMPARE(toJson(heads)["counts"]["temporal"].get<int>(), kLayers);

    StabilityReport stability = compareSteps(f.atlas);
    writeStabilityCsv(stability, path("stability.csv"));
    QCOMPARE(readLines(path("stability.csv")).size(), size_t(1 + 4));
    QCOMPARE(toJson(stability)["jaccard"].size(), size_t(2));

    QVERIFY(contains(errorText([&] { writeHeadsCsv(heads, path("missing/dir/heads.csv")); }), "cannot write"));
  }
};

QTEST_APPLESS_MAIN(TestAnalytics)
#include "test_analytics.moc"
