#include "ui/MetricsPanel.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QHorizontalStackedBarSeries>
#include <QLegend>
#include <QLineSeries>
#include <QTabWidget>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>

namespace attnscope::ui {

namespace {

QChartView* makeView(QWidget* parent, const QString& tip) {
  auto* view = new QChartView(new QChart, parent);
  view->setRenderHint(QPainter::Antialiasing);
  view->chart()->setMargins(QMargins(4, 4, 4, 4));
  view->chart()->legend()->setAlignment(Qt::AlignRight);  // height is the scarce direction in a bottom dock
  view->setToolTip(tip);
  view->setMinimumHeight(200);
  return view;
}

void reset(QChart* chart, const QString& title) {
  chart->removeAllSeries();
  for (QAbstractAxis* axis : chart->axes()) {
    chart->removeAxis(axis);
    delete axis;
  }
  chart->setTitle(title);
}

}  // namespace

MetricsPanel::MetricsPanel(QWidget* parent) : QWidget(parent) {
  auto* column = new QVBoxLayout(this);
  column->setContentsMargins(0, 0, 0, 0);
  tabs_ = new QTabWidget(this);
  tabs_->setDocumentMode(true);
  quality_ = makeView(tabs_, tr("PSNR (dB, left axis) and SSIM (right axis) of each frame of the sparse re-render "
                                "against the dense run"));
  latency_ = makeView(tabs_, tr("Seconds spent in attention and in everything else, dense vs sparse"));
  density_ = makeView(tabs_, tr("Fraction of blocks the plan keeps, per layer"));
  tabs_->addTab(quality_, tr("Quality"));
  tabs_->addTab(latency_, tr("Latency"));
  tabs_->addTab(density_, tr("Density"));
  column->addWidget(tabs_);
  showQuality(nullptr);
  showLatency(nullptr, nullptr);
  showDensity(nullptr);
}

void MetricsPanel::showQuality(const VideoQuality* q) {
  QChart* chart = quality_->chart();
  reset(chart, q ? tr("Mean PSNR %1 dB, SSIM %2").arg(q->meanPsnr, 0, 'f', 2).arg(q->meanSsim, 0, 'f', 4)
                 : tr("Quality: re-render to compare"));
  if (!q || q->frames.empty()) return;
  auto* psnr = new QLineSeries;
  psnr->setName(tr("PSNR (dB)"));
  auto* ssim = new QLineSeries;
  ssim->setName(tr("SSIM"));
  double lo = kPsnrCap, hi = 0;
  for (size_t f = 0; f < q->frames.size(); ++f) {
    psnr->append(double(f + 1), q->frames[f].psnr);
    ssim->append(double(f + 1), q->frames[f].ssim);
    lo = std::min(lo, q->frames[f].psnr);
    hi = std::max(hi, q->frames[f].psnr);
  }
  chart->addSeries(psnr);
  chart->addSeries(ssim);
  auto* x = new QValueAxis;
  x->setTitleText(tr("frame"));
  x->setRange(1, std::max<double>(2, double(q->frames.size())));
  x->setLabelFormat("%d");
  x->setTickCount(std::min<int>(9, int(q->frames.size())));
  auto* yPsnr = new QValueAxis;
  yPsnr->setRange(std::max(0.0, lo - 2), hi + 2);
  yPsnr->setLabelFormat("%.0f");
  auto* ySsim = new QValueAxis;
  ySsim->setRange(0, 1);
  ySsim->setLabelFormat("%.1f");
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(yPsnr, Qt::AlignLeft);
  chart->addAxis(ySsim, Qt::AlignRight);
  psnr->attachAxis(x);
  psnr->attachAxis(yPsnr);
  ssim->attachAxis(x);
  ssim->attachAxis(ySsim);
}

void MetricsPanel::showLatency(const GenerationResult* dense, const GenerationResult* sparse) {
  QChart* chart = latency_->chart();
  reset(chart, tr("Latency (s)"));
  if (!dense && !sparse) return;
  auto* attention = new QBarSet(tr("attention"));
  auto* rest = new QBarSet(tr("everything else"));
  QStringList runs;
  double longest = 0;
  for (auto [run, name] : {std::pair{dense, tr("dense")}, std::pair{sparse, tr("sparse")}}) {
    if (!run) continue;
    *attention << run->timings.attention;
    *rest << run->timings.rest();
    runs << tr("%1 (%2 s)").arg(name).arg(run->timings.total, 0, 'f', 2);
    longest = std::max(longest, run->timings.total);
  }
  auto* series = new QHorizontalStackedBarSeries;
  series->append(attention);
  series->append(rest);
  chart->addSeries(series);
  auto* y = new QBarCategoryAxis;
  y->append(runs);
  auto* x = new QValueAxis;
  x->setRange(0, longest * 1.05);
  chart->addAxis(y, Qt::AlignLeft);
  chart->addAxis(x, Qt::AlignBottom);
  series->attachAxis(y);
  series->attachAxis(x);
  if (dense && sparse && dense->timings.attention > 0)
    chart->setTitle(tr("Latency (s): sparse attention %1× dense")
                        .arg(sparse->timings.attention / dense->timings.attention, 0, 'f', 2));
}

void MetricsPanel::showDensity(const MaskPlan* plan) {
  QChart* chart = density_->chart();
  reset(chart, plan ? tr("Plan density %1%").arg(plan->density() * 100, 0, 'f', 1) : tr("Density: no plan"));
  if (!plan || plan->layers == 0) return;
  auto* set = new QBarSet(tr("kept blocks"));
  QStringList layers;
  for (int64_t l = 0; l < plan->layers; ++l) {
    *set << plan->layerDensity(l);
    layers << QString::number(l);
  }
  auto* series = new QBarSeries;
  series->append(set);
  chart->addSeries(series);
  auto* x = new QBarCategoryAxis;
  x->append(layers);
  x->setTitleText(tr("layer"));
  auto* y = new QValueAxis;
  y->setRange(0, 1);
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  series->attachAxis(x);
  series->attachAxis(y);
  chart->legend()->setVisible(false);
}

}  // namespace attnscope::ui
