// The Analytics dock on hand-made atlases whose answers are known: token-level
// attention with planted patterns (head 0 attends within its frame, head 1 to
// its position in other frames, head 2 to a sink token — the primary sink in
// layers 0-2, a secondary one in layer 3 of step 0 only — and to the prompt
// word "red", head 3 nowhere in particular) is pooled into an atlas here, the
// panel is driven with QTest and its tables and pictures are checked against
// what was planted and against float64 references computed from the atlas:
// sink table and map, head classes (and a changed threshold re-classifying a
// head), the layer x head picture's colours, the stability matrices, mask
// recall of the Workbench's plan, CSV export. Bad input: an atlas without
// offset histograms (the head view says what it cannot compute), one
// captured step (no stability), a plan for another grid (a message; the other
// tabs stay).
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>

#include "ui/AnalyticsPanel.h"
#include "ui/HeadTypesView.h"
#include "ui/NumberItem.h"
#include "ui/RecallView.h"
#include "ui/SinkMapPicture.h"
#include "ui/SinksView.h"
#include "ui/StabilityView.h"
#include "ui/ValueGridPicture.h"
#include "ui/Workbench.h"

using namespace attnscope;
using namespace attnscope::ui;

namespace {

const TokenGrid kGrid{4, 4, 4, 4};
constexpr int64_t kN = 64, kHeads = 4, kLayers = 4, kBlocks = 4;
const int64_t kPrimary = 1 * 16 + 2 * 4 + 3;  // frame 1, y 2, x 3
const int64_t kSecondary = 3 * 16;            // frame 3, y 0, x 0

// One (step, layer) of token-level attention, pooled into an atlas entry the
// way capture does (linear(16): one frame per block).
AtlasEntry plantedEntry(int step, int layer, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0.5, 1.5);
  AtlasEntry e;
  e.step = step;
  e.layer = layer;
  const int64_t bins = 7 * 7 * 7, T = kGrid.text;
  e.pooled.assign(kHeads * kBlocks * kBlocks, 0.0f);
  e.sink.assign(kHeads * kN, 0.0f);
  e.entropy.assign(kHeads * kN, 0.0f);
  e.offsets.assign(kHeads * bins, 0.0f);
  e.cross.assign(kHeads * kN * T, 0.0f);
  for (int64_t h = 0; h < kHeads; ++h) {
    std::vector<double> pooled(kBlocks * kBlocks, 0.0), sink(kN, 0.0), offsets(bins, 0.0);
    for (int64_t i = 0; i < kN; ++i) {
      const TokenCoord a = tokenCoord(kGrid, i);
      std::vector<double> row(kN);
      double sum = 0;
      for (int64_t j = 0; j < kN; ++j) {
        const TokenCoord b = tokenCoord(kGrid, j);
        double w = u(rng);
        if (h == 0 && a.f == b.f) w *= 100;
        if (h == 1 && a.f != b.f && a.y == b.y && a.x == b.x) w *= 100;
        if (h == 2 && layer <= 2 && j == kPrimary) w *= 400;
        if (h == 2 && layer == 3 && step == 0 && j == kSecondary) w *= 400;
        sum += row[size_t(j)] = w;
      }
      double entropy = 0;
      for (int64_t j = 0; j < kN; ++j) {
        const double p = row[size_t(j)] / sum;
        const TokenCoord b = tokenCoord(kGrid, j);
        pooled[size_t((i / 16) * kBlocks + j / 16)] += p / 16.0;
        sink[size_t(j)] += p / double(kN);
        entropy -= p * std::log(p);
        offsets[size_t(((b.f - a.f + 3) * 7 + b.y - a.y + 3) * 7 + b.x - a.x + 3)] += p / double(kN);
      }
      e.entropy[size_t(h * kN + i)] = float(entropy);
      double w[4], total = 0;
      for (int64_t t = 0; t < T; ++t) total += w[t] = u(rng);
      for (int64_t t = 0; t < T; ++t)
        e.cross[size_t((h * kN + i) * T + t)] = float(h == 2 ? (t == 0 ? 0.85 : 0.05) : w[t] / total);
    }
    for (int64_t c = 0; c < kBlocks * kBlocks; ++c) e.pooled[size_t(h * kBlocks * kBlocks + c)] = float(pooled[size_t(c)]);
    for (int64_t j = 0; j < kN; ++j) e.sink[size_t(h * kN + j)] = float(sink[size_t(j)]);
    for (int64_t b = 0; b < bins; ++b) e.offsets[size_t(h * bins + b)] = float(offsets[size_t(b)]);
  }
  return e;
}

std::shared_ptr<AttentionAtlas> plantedAtlas(std::vector<int> steps = {0, 5}, bool offsets = true, unsigned seed = 11) {
  auto a = std::make_shared<AttentionAtlas>();
  a->modelId = "planted";
  a->grid = kGrid;
  a->layout = BlockLayout::linear(16);
  a->heads = kHeads;
  a->layers = kLayers;
  a->totalSteps = 10;
  a->textTokens = {"red", "ball", "moves", "<pad>"};
  std::mt19937 rng(seed);
  for (int s : steps)
    for (int l = 0; l < kLayers; ++l) {
      a->entries.push_back(plantedEntry(s, l, rng));
      if (!offsets) a->entries.back().offsets.clear();
    }
  return a;
}

double number(QTableWidget* t, int row, int col) { return static_cast<NumberItem*>(t->item(row, col))->value(); }

int columnOf(QTableWidget* t, const QString& header) {
  for (int c = 0; c < t->columnCount(); ++c)
    if (t->horizontalHeaderItem(c)->text() == header) return c;
  qFatal("no column %s", qPrintable(header));
}

// The row of `t` whose columns (c0, c1) hold (v0, v1).
int rowOf(QTableWidget* t, int c0, double v0, int c1, double v1) {
  for (int r = 0; r < t->rowCount(); ++r)
    if (number(t, r, c0) == v0 && number(t, r, c1) == v1) return r;
  return -1;
}

}  // namespace

class TestAnalyticsPanel : public QObject {
  Q_OBJECT
 private:
  std::unique_ptr<Workbench> bench_;
  std::unique_ptr<AnalyticsPanel> panel_;
  std::shared_ptr<AttentionAtlas> atlas_;

  void settle() { QTRY_VERIFY_WITH_TIMEOUT(!panel_->busy(), 20000); }
  QString classOf(int layer, int head) { return panel_->headTypesView()->classOf(layer, head); }

 private slots:
  void init() {
    bench_ = std::make_unique<Workbench>();
    panel_ = std::make_unique<AnalyticsPanel>(bench_.get());
    panel_->resize(1100, 520);
    panel_->show();
    atlas_ = plantedAtlas();
    bench_->setAtlas(atlas_);
    settle();
  }
  void cleanup() {
    panel_.reset();
    bench_.reset();
  }

  void sinkTableAndMapShowThePlantedSinks() {
    QTableWidget* t = panel_->sinksView()->table();
    const int token = columnOf(t, "Token"), kind = columnOf(t, "Kind"), times = columnOf(t, "Times"),
              run = columnOf(t, "Run"), frame = columnOf(t, "Frame"), word = columnOf(t, "Word");
    QCOMPARE(t->rowCount(), 3);  // two video sinks and the word "red"
    int primary = -1, secondary = -1, text = -1;
    for (int r = 0; r < 3; ++r) {
      if (t->item(r, kind)->text() == "text") text = r;
      else if (number(t, r, token) == kPrimary) primary = r;
      else if (number(t, r, token) == kSecondary) secondary = r;
    }
    QVERIFY(primary >= 0 && secondary >= 0 && text >= 0);
    QCOMPARE(t->item(primary, kind)->text(), QString("primary"));
    QCOMPARE(number(t, primary, frame), 1.0);
    QCOMPARE(number(t, primary, columnOf(t, "y")), 2.0);
    QCOMPARE(number(t, primary, columnOf(t, "x")), 3.0);
    QCOMPARE(number(t, primary, times), 6.0);  // layers 0-2 of both steps
    QCOMPARE(number(t, primary, run), 3.0);
    QCOMPARE(t->item(secondary, kind)->text(), QString("secondary"));
    QCOMPARE(number(t, secondary, frame), 3.0);
    QCOMPARE(number(t, secondary, times), 1.0);
    QCOMPARE(number(t, secondary, run), 1.0);
    QCOMPARE(t->item(text, word)->text(), QString("red"));
    QCOMPARE(number(t, text, times), 8.0);  // head 2 of every (step, layer)
    // Mean share of the primary sink against the atlas' sink vectors.
    double share = 0;
    for (const AtlasEntry& e : atlas_->entries)
      if (e.layer <= 2) share += e.sink[size_t(2 * kN + kPrimary)] / 6.0;
    QVERIFY(std::abs(number(t, primary, columnOf(t, "Mean share")) - share) < 1e-6);

    // Sorting by a column sorts numbers, not text.
    t->sortItems(times, Qt::AscendingOrder);
    QCOMPARE(number(t, 0, times), 1.0);
    QCOMPARE(number(t, 2, times), 8.0);

    // The sink map: appearances per token, then mean received mass over uniform.
    SinkMapPicture* map = panel_->sinksView()->map();
    QCOMPARE(int64_t(map->values().size()), kN);
    QCOMPARE(map->values()[size_t(kPrimary)], 6.0);
    QCOMPARE(map->values()[size_t(kSecondary)], 1.0);
    double total = 0;
    for (double v : map->values()) total += v;
    QCOMPARE(total, 7.0);
    panel_->sinksView()->mapChoice()->setCurrentIndex(1);
    for (int64_t j : {kPrimary, int64_t(5)}) {
      double ratio = 0;
      for (const AtlasEntry& e : atlas_->entries)
        for (int64_t h = 0; h < kHeads; ++h) ratio += double(e.sink[size_t(h * kN + j)]) * kN;
      ratio /= double(atlas_->entries.size() * kHeads);
      QVERIFY(std::abs(map->values()[size_t(j)] - ratio) < 1e-4);
    }
    // The hottest cell is drawn in the top colour of the ramp.
    const QImage shot = map->grab().toImage();
    const QRectF cell = map->cellRect(1, 2, 3);
    QCOMPARE(QColor(shot.pixel(cell.center().toPoint())), colormapColour(viz::Colormap::Magma, 1.0));

    // Clicking the sink on the map selects its row.
    QTest::mouseClick(map, Qt::LeftButton, {}, cell.center().toPoint());
    QCOMPARE(t->selectionModel()->selectedRows().size(), 1);
    QCOMPARE(number(t, t->selectionModel()->selectedRows().first().row(), token), double(kPrimary));

    // "Show on video" hands the map to the video player.
    QSignalSpy heat(panel_.get(), &AnalyticsPanel::heatRequested);
    QTest::mouseClick(panel_->sinksView()->showOnVideoButton(), Qt::LeftButton);
    QCOMPARE(heat.count(), 1);
    const auto values = heat.first().at(0).value<std::vector<float>>();
    QCOMPARE(int64_t(values.size()), kN);
    QVERIFY(std::abs(values[size_t(kPrimary)] - map->values()[size_t(kPrimary)]) < 1e-3);
  }

  void sinksOfOneStep() {
    panel_->stepBox()->setCurrentIndex(panel_->stepBox()->findData(5));
    settle();
    QTableWidget* t = panel_->sinksView()->table();
    const int kind = columnOf(t, "Kind"), times = columnOf(t, "Times");
    int video = 0;
    for (int r = 0; r < t->rowCount(); ++r)
      if (t->item(r, kind)->text() != "text") {
        ++video;
        QCOMPARE(number(t, r, columnOf(t, "Token")), double(kPrimary));  // the secondary sink is in step 0 only
        QCOMPARE(number(t, r, times), 3.0);
      }
    QCOMPARE(video, 1);
    QVERIFY(panel_->headTypesView()->table()->rowCount() == kLayers * kHeads);
  }

  void headTypesClassifyThePlantedHeads() {
    HeadTypesView* v = panel_->headTypesView();
    QCOMPARE(v->table()->rowCount(), int(kLayers * kHeads));
    QVERIFY(v->note()->isHidden());
    for (int l = 0; l < kLayers; ++l) {
      QCOMPARE(classOf(l, 0), QString("spatial"));
      QCOMPARE(classOf(l, 1), QString("temporal"));
      QCOMPARE(classOf(l, 3), QString("global"));
    }
    for (int l = 0; l <= 2; ++l) QCOMPARE(classOf(l, 2), QString("sink"));
    QCOMPARE(classOf(3, 2), QString("global"));  // its sink is there at one step of two: mean share < 0.5

    // Shares against float64 sums of the offset histograms (mean over the two steps).
    QTableWidget* t = v->table();
    const int row = rowOf(t, columnOf(t, "Layer"), 1, columnOf(t, "Head"), 0);
    double spatial = 0;
    for (const AtlasEntry& e : atlas_->entries)
      if (e.layer == 1)
        for (int64_t dy = 0; dy < 7; ++dy)
          for (int64_t dx = 0; dx < 7; ++dx) spatial += e.offsets[size_t(0 * 343 + (3 * 7 + dy) * 7 + dx)] / 2.0;
    QVERIFY(std::abs(number(t, row, columnOf(t, "Spatial")) - spatial) < 1e-5);
    QVERIFY(spatial > 0.9);

    // The picture: one cell per (layer, head) in its class colour.
    panel_->tabs()->setCurrentWidget(v);
    ValueGridPicture* picture = v->picture();
    QTRY_VERIFY(picture->isVisible() && picture->cellRect(0, 0).width() > 4);
    QCOMPARE(picture->rows(), int(kLayers));
    QCOMPARE(picture->cols(), int(kHeads));
    const QImage shot = picture->grab().toImage();
    QCOMPARE(QColor(shot.pixel(picture->cellRect(1, 0).center().toPoint())), HeadTypesView::colourOf(HeadType::Spatial));
    QCOMPARE(QColor(shot.pixel(picture->cellRect(2, 1).center().toPoint())), HeadTypesView::colourOf(HeadType::Temporal));
    QCOMPARE(QColor(shot.pixel(picture->cellRect(0, 2).center().toPoint())),
             HeadTypesView::colourOf(HeadType::SinkDominated));
    QSignalSpy picked(panel_.get(), &AnalyticsPanel::headPicked);
    QTest::mouseClick(picture, Qt::LeftButton, {}, picture->cellRect(2, 1).center().toPoint());
    QCOMPARE(picked.count(), 1);
    QCOMPARE(picked.first().at(0).toInt(), 2);
    QCOMPARE(picked.first().at(1).toInt(), 1);
  }

  void changedThresholdsReclassifyLive() {
    HeadTypesView* v = panel_->headTypesView();
    QTableWidget* t = v->table();
    const int row = rowOf(t, columnOf(t, "Layer"), 0, columnOf(t, "Head"), 0);
    const double spatial = number(t, row, columnOf(t, "Spatial"));
    // Just above the head's spatial share: it is no longer spatial.
    v->spatialShareBox()->setValue(std::ceil(spatial * 100 + 0.5) / 100);
    settle();
    QCOMPARE(classOf(0, 0), QString("global"));
    QCOMPARE(classOf(1, 1), QString("temporal"));  // the others keep theirs
    // Typing into the sink box: the sink heads turn global above their share.
    const int sinkRow = rowOf(t, columnOf(t, "Layer"), 0, columnOf(t, "Head"), 2);
    const double sink = number(t, sinkRow, columnOf(t, "Sink"));
    QVERIFY(sink > 0.6 && sink < 0.95);
    v->sinkShareBox()->selectAll();
    QTest::keyClicks(v->sinkShareBox(), "0.99");
    settle();
    QCOMPARE(classOf(0, 2), QString("global"));
    v->spatialShareBox()->setValue(0.5);
    v->sinkShareBox()->setValue(0.5);
    settle();
    QCOMPARE(classOf(0, 0), QString("spatial"));
    QCOMPARE(classOf(0, 2), QString("sink"));
  }

  void stabilityMatrices() {
    StabilityView* v = panel_->stabilityView();
    QCOMPARE(v->correlationPicture()->rows(), 2);
    QCOMPARE(v->correlationPicture()->cols(), 2);
    for (int i = 0; i < 2; ++i) {
      QVERIFY(std::abs(v->correlationPicture()->value(i, i) - 1.0) < 1e-6);
      QVERIFY(std::abs(v->jaccardPicture()->value(i, i) - 1.0) < 1e-9);
    }
    // Different random weights at the two steps: similar, not equal; symmetric.
    const double c = v->correlationPicture()->value(0, 1);
    QVERIFY(c > 0.5 && c < 1.0);
    QVERIFY(std::abs(c - v->correlationPicture()->value(1, 0)) < 1e-9);
    // Pearson of the two steps' pooled maps, head by head, in float64.
    double sum = 0;
    for (int64_t l = 0; l < kLayers; ++l)
      for (int64_t h = 0; h < kHeads; ++h) {
        const float* a = atlas_->find(0, int(l))->pooled.data() + h * 16;
        const float* b = atlas_->find(5, int(l))->pooled.data() + h * 16;
        double ma = 0, mb = 0;
        for (int i = 0; i < 16; ++i) ma += a[i] / 16.0, mb += b[i] / 16.0;
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < 16; ++i) ab += (a[i] - ma) * (b[i] - mb), aa += (a[i] - ma) * (a[i] - ma), bb += (b[i] - mb) * (b[i] - mb);
        sum += ab / std::sqrt(aa * bb);
      }
    QVERIFY(std::abs(c - sum / double(kLayers * kHeads)) < 1e-4);
    // Mask reuse: step 0's mask against the one later step is their Jaccard.
    QVERIFY2(v->summary()->text().contains(QStringLiteral("0: %1").arg(v->jaccardPicture()->value(0, 1), 0, 'f', 3)),
             qPrintable(v->summary()->text()));
    // Another density: a new report.
    QSignalSpy updated(panel_.get(), &AnalyticsPanel::updated);
    v->densityBox()->setValue(0.5);
    settle();
    QVERIFY(updated.count() >= 1);
    QVERIFY(v->summary()->text().contains("0.50"));
  }

  void stabilityAgainstAnotherAtlas() {
    // Another "prompt": the same planted patterns with other random weights.
    QTemporaryDir dir;
    const QString other = dir.filePath("other.safetensors"), same = dir.filePath("same.safetensors");
    plantedAtlas({0, 5}, true, 99)->save(other.toStdString());
    atlas_->save(same.toStdString());
    StabilityView* v = panel_->stabilityView();
    v->setOtherAtlas(same);
    settle();
    QCOMPARE(v->correlationPicture()->rows(), 2);
    const double self = v->correlationPicture()->value(0, 1);  // step 0 against the copy's step 5
    QVERIFY(std::abs(v->correlationPicture()->value(0, 0) - 1.0) < 1e-6);
    QVERIFY(std::abs(v->jaccardPicture()->value(1, 1) - 1.0) < 1e-9);
    v->setOtherAtlas(other);
    settle();
    const double across = v->correlationPicture()->value(0, 0);
    QVERIFY2(across > 0.5 && across < 1.0, qPrintable(QString::number(across)));
    QVERIFY(std::abs(self - across) > 1e-6);
    QVERIFY(v->summary()->text().contains("other.safetensors"));
    // An atlas of another shape: a message naming what differs; back to this atlas's steps.
    auto fewer = plantedAtlas({0, 5}, true, 99);
    fewer->layers = 3;
    fewer->entries.erase(std::remove_if(fewer->entries.begin(), fewer->entries.end(),
                                        [](const AtlasEntry& e) { return e.layer == 3; }),
                         fewer->entries.end());
    const QString bad = dir.filePath("fewer.safetensors");
    fewer->save(bad.toStdString());
    v->setOtherAtlas(bad);
    settle();
    QCOMPARE(v->correlationPicture()->rows(), 0);
    QVERIFY2(v->summary()->text().startsWith("Stability:"), qPrintable(v->summary()->text()));
    QTest::mouseClick(v->clearOtherButton(), Qt::LeftButton);
    settle();
    QCOMPARE(v->correlationPicture()->rows(), 2);
    QVERIFY(std::abs(v->correlationPicture()->value(1, 1) - 1.0) < 1e-6);
  }

  void recallOfThePlan() {
    RecallView* v = panel_->recallView();
    QTableWidget* t = v->table();
    QCOMPARE(t->rowCount(), int(kLayers * kHeads));  // the Workbench's fresh all-kept plan
    for (int r = 0; r < t->rowCount(); ++r) {
      QCOMPARE(number(t, r, columnOf(t, "Density")), 1.0);
      QVERIFY(std::abs(number(t, r, columnOf(t, "Kept mass")) - 1.0) < 1e-5);
    }
    // Keep only the diagonal blocks of (layer 1, head 0): its recall is the diagonal's mass.
    MaskPlan plan = *bench_->plan();
    plan.mask(1, 0).fill(false);
    for (int64_t b = 0; b < kBlocks; ++b) plan.mask(1, 0).set(b, b, true);
    bench_->replacePlan(plan, "diagonal");
    settle();
    const int row = rowOf(t, columnOf(t, "Layer"), 1, columnOf(t, "Head"), 0);
    QCOMPARE(number(t, row, columnOf(t, "Density")), 0.25);
    double kept = 0;
    for (int s : {0, 5})
      for (int64_t b = 0; b < kBlocks; ++b) kept += atlas_->find(s, 1)->pooled[size_t(b * kBlocks + b)] / 8.0;
    QVERIFY(std::abs(number(t, row, columnOf(t, "Kept mass")) - kept) < 1e-5);
    QCOMPARE(t->item(0, columnOf(t, "Layer"))->text(), QString("1"));  // sorted: the hurt head first
    QVERIFY(v->summary()->text().startsWith("Plan"));

    // While a derive preview is live, the recall is the preview's; then the plan's again.
    bench_->setPreview(MaskPlan::full("planted", kGrid, BlockLayout::linear(16), kLayers, kHeads));
    settle();
    QVERIFY2(v->summary()->text().startsWith("Preview"), qPrintable(v->summary()->text()));
    QCOMPARE(number(t, rowOf(t, columnOf(t, "Layer"), 1, columnOf(t, "Head"), 0), columnOf(t, "Density")), 1.0);
    bench_->setPreview(std::nullopt);
    settle();
    QVERIFY(v->summary()->text().startsWith("Plan"));
    QCOMPARE(number(t, rowOf(t, columnOf(t, "Layer"), 1, columnOf(t, "Head"), 0), columnOf(t, "Density")), 0.25);

    // Export: the CLI's CSV files.
    QTemporaryDir dir;
    QVERIFY(panel_->exportCsv(dir.path()));
    for (const char* name : {"sinks.csv", "sink_tokens.csv", "sink_map.csv", "heads.csv", "stability.csv", "recall.csv"})
      QVERIFY2(QFile::exists(dir.filePath(name)), name);
    std::ifstream heads(dir.filePath("heads.csv").toStdString());
    int lines = 0;
    for (std::string line; std::getline(heads, line);) ++lines;
    QCOMPARE(lines, 1 + int(kLayers * kHeads));
  }

  void snapshotsOfEveryTab() {
    // build/attnscope-analytics-<tab>.png, for the README and for eyes.
    const char* names[] = {"sinks", "heads", "stability", "recall"};
    for (int i = 0; i < panel_->tabs()->count(); ++i) {
      panel_->tabs()->setCurrentIndex(i);
      QTest::qWait(20);
      const QImage shot = panel_->grab().toImage();
      QCOMPARE(shot.size(), panel_->size());
      QVERIFY(shot.save(QStringLiteral(ATTNSCOPE_BINARY_DIR "/attnscope-analytics-%1.png").arg(names[i])));
    }
  }

  void badInputIsAMessage() {
    // A plan for another grid: the recall tab says so, the others keep their reports.
    MaskPlan other = MaskPlan::full("planted", TokenGrid{2, 2, 2, 0}, BlockLayout::linear(4), kLayers, kHeads);
    bench_->replacePlan(other, "other grid");
    settle();
    QCOMPARE(panel_->recallView()->table()->rowCount(), 0);
    QVERIFY2(panel_->recallView()->summary()->text().startsWith("Recall:"),
             qPrintable(panel_->recallView()->summary()->text()));
    QCOMPARE(panel_->headTypesView()->table()->rowCount(), int(kLayers * kHeads));

    // An atlas without offset histograms: the head view says what it cannot compute.
    bench_->setAtlas(plantedAtlas({0, 5}, false));
    settle();
    HeadTypesView* v = panel_->headTypesView();
    QVERIFY(!v->note()->isHidden());
    QVERIFY2(v->note()->text().contains("offset histograms"), qPrintable(v->note()->text()));
    QCOMPARE(classOf(0, 2), QString("sink"));  // sink shares are exact without offsets
    QCOMPARE(classOf(0, 0), QString("unknown"));
    QCOMPARE(v->table()->item(0, 3)->text(), QString("—"));
    QCOMPARE(panel_->sinksView()->table()->rowCount(), 3);  // sinks need no offsets

    // One captured step: nothing to compare.
    bench_->setAtlas(plantedAtlas({3}));
    settle();
    QCOMPARE(panel_->stabilityView()->correlationPicture()->rows(), 0);
    QVERIFY(panel_->stabilityView()->summary()->text().contains("one captured step"));

    // No atlas at all.
    bench_->setAtlas(nullptr);
    settle();
    QCOMPARE(panel_->sinksView()->table()->rowCount(), 0);
    QVERIFY(panel_->sinksView()->summary()->text().contains("No atlas"));
    QVERIFY(!panel_->exportCsv(QDir::tempPath()));
  }
};

QTEST_MAIN(TestAnalyticsPanel)
#include "test_analytics_panel.moc"
