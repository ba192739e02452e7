#include "ui/charts/SweepChart.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

#include <QPainter>
#include <QPen>
#include <QtCharts/QChart>
#include <QtCharts/QLegend>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QScatterSeries>
#include <QtCharts/QValueAxis>

#include "ui/charts/ChartImage.h"

namespace attnscope::charts {

namespace {

double metricOf(const SweepChartPoint& p, SweepMetric m) { return m == SweepMetric::Psnr ? p.psnr : p.ssim; }
double axisOf(const SweepChartPoint& p, SweepAxis a) { return a == SweepAxis::Density ? p.density : p.attentionRatio; }

// Ten well-separated colours (Qt's default theme repeats after five), one per
// strategy in order of first appearance, the same in every panel.
QColor seriesColor(size_t i) {
  static const char* palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return QColor(palette[i % 10]);
}

// A little room around the data so points do not sit on the frame.
void fitAxis(QValueAxis* axis, double lo, double hi, double floor) {
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const double pad = (hi - lo) * 0.08;
  axis->setRange(std::max(floor, lo - pad), hi + pad);
  axis->applyNiceNumbers();
}

}  // namespace

QChart* makeSweepChart(const SweepChartData& data, SweepMetric metric, SweepAxis axis) {
  auto chart = std::make_unique<QChart>();
  const QString yName = metric == SweepMetric::Psnr ? "PSNR vs dense (dB)" : "SSIM vs dense";
  const QString xName = axis == SweepAxis::Density ? "block density" : "attention time / dense";
  chart->setTitle(yName.section(' ', 0, 0) + " vs " + xName);
  auto* x = new QValueAxis;
  auto* y = new QValueAxis;
  x->setTitleText(xName);
  y->setTitleText(yName);
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);

  // One line per strategy, in order of the x value.
  std::map<std::string, std::vector<QPointF>> bySeries;
  std::vector<std::string> order;
  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  std::vector<QPointF> front;
  for (const SweepChartPoint& p : data.points) {
    const QPointF point(axisOf(p, axis), metricOf(p, metric));
    if (!std::isfinite(point.x()) || !std::isfinite(point.y())) continue;
    if (!bySeries.count(p.series)) order.push_back(p.series);
    bySeries[p.series].push_back(point);
    xlo = std::min(xlo, point.x());
    xhi = std::max(xhi, point.x());
    ylo = std::min(ylo, point.y());
    yhi = std::max(yhi, point.y());
    const bool onFront = axis == SweepAxis::Density ? p.paretoDensity : p.paretoLatency;
    if (onFront && metric == SweepMetric::Psnr) front.push_back(point);
  }
  auto byX = [](const QPointF& a, const QPointF& b) { return a.x() < b.x(); };
  for (size_t i = 0; i < order.size(); ++i) {
    const std::string& name = order[i];
    auto* line = new QLineSeries;
    line->setName(QString::fromStdString(name));
    QPen pen(seriesColor(i));
    pen.setWidthF(2.0);
    line->setPen(pen);
    line->setPointsVisible(true);
    std::vector<QPointF>& points = bySeries[name];
    std::sort(points.begin(), points.end(), byX);
    for (const QPointF& p : points) line->append(p);
    chart->addSeries(line);
    line->attachAxis(x);
    line->attachAxis(y);
  }
  if (!front.empty()) {
    std::sort(front.begin(), front.end(), byX);
    auto* frontLine = new QLineSeries;
    frontLine->setName("Pareto front");
    QPen pen(Qt::black);
    pen.setStyle(Qt::DashLine);
    pen.setWidthF(1.5);
    frontLine->setPen(pen);
    auto* rings = new QScatterSeries;
    rings->setMarkerSize(16);
    rings->setColor(Qt::transparent);
    rings->setBorderColor(Qt::black);
    for (const QPointF& p : front) {
      frontLine->append(p);
      rings->append(p);
    }
    for (QAbstractSeries* s : {static_cast<QAbstractSeries*>(frontLine), static_cast<QAbstractSeries*>(rings)}) {
      chart->addSeries(s);
      s->attachAxis(x);
      s->attachAxis(y);
    }
    chart->legend()->markers(rings).first()->setVisible(false);
  }
  fitAxis(x, std::isfinite(xlo) ? xlo : 0, std::isfinite(xhi) ? xhi : 1, 0.0);
  fitAxis(y, std::isfinite(ylo) ? ylo : 0, std::isfinite(yhi) ? yhi : 1, metric == SweepMetric::Ssim ? -1.0 : 0.0);
  if (metric == SweepMetric::Ssim && y->max() > 1.0) y->setMax(1.0);  // SSIM never exceeds 1
  // Many strategies do not fit in one row under a panel: list them at the side.
  chart->legend()->setAlignment(order.size() > 3 ? Qt::AlignRight : Qt::AlignBottom);
  QFont legendFont = chart->legend()->font();
  legendFont.setPointSizeF(8);
  chart->legend()->setFont(legendFont);
  return chart.release();
}

QImage renderSweepImage(const SweepChartData& data, QSize size) {
  const std::pair<SweepMetric, SweepAxis> panels[] = {{SweepMetric::Psnr, SweepAxis::Density},
                                                      {SweepMetric::Ssim, SweepAxis::Density},
                                                      {SweepMetric::Psnr, SweepAxis::AttentionRatio}};
  const int titleHeight = data.title.empty() ? 0 : 40;
  const QSize panel(size.width() / 3, size.height() - titleHeight);
  QImage image(size, QImage::Format_ARGB32);
  image.fill(Qt::white);
  QPainter painter(&image);
  if (titleHeight) {
    QFont font = painter.font();
    font.setPointSize(13);
    painter.setFont(font);
    painter.drawText(QRect(0, 0, size.width(), titleHeight), Qt::AlignCenter, QString::fromStdString(data.title));
  }
  for (int i = 0; i < 3; ++i) {
    std::unique_ptr<QChart> chart(makeSweepChart(data, panels[i].first, panels[i].second));
    painter.drawImage(QPoint(i * panel.width(), titleHeight), renderChart(*chart, panel));
  }
  return image;
}

bool writeSweepPng(const SweepChartData& data, const std::string& path, std::string* error) {
  try {
    OffscreenApplication app;
    QImage image = renderSweepImage(data);
    if (image.save(QString::fromStdString(path), "PNG")) return true;
    if (error) *error = "cannot write " + path;
  } catch (const std::exception& e) {
    if (error) *error = e.what();
  }
  return false;
}

}  // namespace attnscope::charts
