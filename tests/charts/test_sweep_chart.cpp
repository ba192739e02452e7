// The sweep chart from plain points: one line per strategy in x order, the
// Pareto front of the chosen axis as a dashed line through ringed points,
// axes that contain the data, and a PNG with something drawn in each panel.
#include <QApplication>
#include <QTemporaryDir>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QScatterSeries>
#include <QtCharts/QValueAxis>
#include <QtTest>

#include <memory>

#include "ui/charts/SweepChart.h"

using namespace attnscope::charts;

namespace {

SweepChartData sample() {
  SweepChartData d;
  d.title = "sample";
  // threshold: densities 0.3, 0.1 (out of order on purpose); radial: 0.2
  d.points = {{"threshold", 0.3, 34.0, 0.95, 0.40, true, false, "t3.mp4"},
              {"threshold", 0.1, 25.0, 0.80, 0.20, true, true, "t1.mp4"},
              {"radial", 0.2, 24.0, 0.78, 0.15, false, true, "r2.mp4"}};
  return d;
}

QLineSeries* line(QChart& chart, const QString& name) {
  for (QAbstractSeries* s : chart.series())
    if (s->name() == name) return qobject_cast<QLineSeries*>(s);
  return nullptr;
}

}  // namespace

class TestSweepChart : public QObject {
  Q_OBJECT

 private slots:
  void linesAndFrontByDensity() {
    std::unique_ptr<QChart> chart(makeSweepChart(sample(), SweepMetric::Psnr, SweepAxis::Density));
    QLineSeries* threshold = line(*chart, "threshold");
    QVERIFY(threshold);
    QCOMPARE(threshold->count(), 2);
    QCOMPARE(threshold->at(0), QPointF(0.1, 25.0));  // sorted by x
    QCOMPARE(threshold->at(1), QPointF(0.3, 34.0));
    QCOMPARE(line(*chart, "radial")->count(), 1);
    QLineSeries* front = line(*chart, "Pareto front");
    QVERIFY(front);
    QCOMPARE(front->count(), 2);
    QCOMPARE(front->at(0), QPointF(0.1, 25.0));
    QCOMPARE(front->pen().style(), Qt::DashLine);
    int rings = 0;
    for (QAbstractSeries* s : chart->series())
      if (auto* scatter = qobject_cast<QScatterSeries*>(s)) rings += scatter->count();
    QCOMPARE(rings, 2);
    auto* x = qobject_cast<QValueAxis*>(chart->axes(Qt::Horizontal).first());
    auto* y = qobject_cast<QValueAxis*>(chart->axes(Qt::Vertical).first());
    QVERIFY(x->min() <= 0.1 && x->max() >= 0.3);
    QVERIFY(y->min() <= 24.0 && y->max() >= 34.0);
  }

  void frontByLatencyAndNoneForSsim() {
    std::unique_ptr<QChart> latency(makeSweepChart(sample(), SweepMetric::Psnr, SweepAxis::AttentionRatio));
    QLineSeries* front = line(*latency, "Pareto front");
    QCOMPARE(front->count(), 2);
    QCOMPARE(front->at(0), QPointF(0.15, 24.0));
    QCOMPARE(front->at(1), QPointF(0.20, 25.0));
    std::unique_ptr<QChart> ssim(makeSweepChart(sample(), SweepMetric::Ssim, SweepAxis::Density));
    QVERIFY(!line(*ssim, "Pareto front"));
    QCOMPARE(line(*ssim, "threshold")->at(1), QPointF(0.3, 0.95));
  }

  void pngHasThreePanels() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("sweep.png").toStdString();
    std::string error;
    QVERIFY2(writeSweepPng(sample(), path, &error), error.c_str());
    QImage image(QString::fromStdString(path));
    QCOMPARE(image.size(), QSize(1800, 600));
    for (int panel = 0; panel < 3; ++panel) {  // each third holds drawn (non-white) pixels
      int drawn = 0;
      for (int y = 100; y < 550; y += 3)
        for (int x = panel * 600 + 80; x < panel * 600 + 580; x += 3) drawn += image.pixel(x, y) != qRgb(255, 255, 255);
      QVERIFY(drawn > 200);
    }
    QVERIFY(!writeSweepPng(sample(), dir.filePath("missing/dir/x.png").toStdString(), &error));
    QVERIFY(QString::fromStdString(error).contains("missing/dir"));
  }
};

int main(int argc, char** argv) {
  QApplication app(argc, argv);  // writeSweepPng reuses it
  TestSweepChart test;
  return QTest::qExec(&test, argc, argv);
}
#include "test_sweep_chart.moc"
