// Metrics dock: the charts hold what the Workbench's runs and plan say —
// per-frame PSNR/SSIM, attention vs the rest for dense and sparse, density per layer.
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QHorizontalStackedBarSeries>
#include <QBarSeries>
#include <QLineSeries>
#include <QValueAxis>
#include <QtTest>

#include "ui/MetricsPanel.h"

using namespace attnscope;
using namespace attnscope::ui;

class TestMetricsPanel : public QObject {
  Q_OBJECT
 private slots:
  void chartsShowTheNumbers() {
    MetricsPanel panel;
    panel.resize(700, 320);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));

    VideoQuality q;
    for (int f = 0; f < 5; ++f) q.frames.push_back({30.0 + f, 0.8 + 0.01 * f});
    q.meanPsnr = 32, q.meanSsim = 0.82;
    panel.showQuality(&q);
    QList<QAbstractSeries*> series = panel.qualityChart()->chart()->series();
    QCOMPARE(series.size(), 2);
    auto* psnr = qobject_cast<QLineSeries*>(series[0]);
    QCOMPARE(psnr->count(), 5);
    QCOMPARE(psnr->at(4).y(), 34.0);
    QCOMPARE(qobject_cast<QLineSeries*>(series[1])->at(2).y(), 0.82);
    QVERIFY(panel.qualityChart()->chart()->title().contains("32.00"));

    GenerationResult dense, sparse;
    dense.timings.total = 4, dense.timings.attention = 2;
    sparse.timings.total = 3, sparse.timings.attention = 0.5;
    panel.showLatency(&dense, &sparse);
    auto* bars = qobject_cast<QHorizontalStackedBarSeries*>(panel.latencyChart()->chart()->series().at(0));
    QCOMPARE(bars->barSets().size(), 2);
    QCOMPARE(bars->barSets()[0]->at(1), 0.5);  // sparse attention
    QCOMPARE(bars->barSets()[1]->at(0), 2.0);  // dense rest
    QVERIFY(panel.latencyChart()->chart()->title().contains("0.25"));

    MaskPlan plan = MaskPlan::full("m", TokenGrid::parse("2x4x4"), BlockLayout::linear(4), 3, 2);
    plan.mask(1, 0).fill(false);
    panel.showDensity(&plan);
    auto* density = qobject_cast<QBarSeries*>(panel.densityChart()->chart()->series().at(0));
    QCOMPARE(density->barSets()[0]->count(), 3);
    QCOMPARE(density->barSets()[0]->at(1), 0.5);

    // Cleared again: no series left behind.
    panel.showQuality(nullptr);
    panel.showLatency(nullptr, nullptr);
    panel.showDensity(nullptr);
    QVERIFY(panel.qualityChart()->chart()->series().isEmpty());
    QVERIFY(panel.latencyChart()->chart()->series().isEmpty());
    QVERIFY(panel.densityChart()->chart()->series().isEmpty());
    QVERIFY(panel.qualityChart()->chart()->axes().isEmpty());
  }
};

QTEST_MAIN(TestMetricsPanel)
#include "test_metricspanel.moc"
