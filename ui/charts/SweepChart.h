#pragma once
// The quality-vs-density chart of a sweep, from plain data (a table of
// points; no engine types): one line per strategy, the Pareto front drawn as
// a dashed line through ringed points. The GUI shows the same QChart in a
// QChartView; the CLI renders it to PNG with writeSweepPng.
#include <string>
#include <vector>

#include <QImage>
#include <QSize>

QT_BEGIN_NAMESPACE
class QChart;
QT_END_NAMESPACE

namespace attnscope::charts {

struct SweepChartPoint {
  std::string series;      // strategy name
  double density = 0;      // reached block density, 0..1
  double psnr = 0;         // dB against dense
  double ssim = 0;
  double attentionRatio = 0;  // attention time / dense attention time
  bool paretoDensity = false;  // on the (density, PSNR) front
  bool paretoLatency = false;  // on the (attention ratio, PSNR) front
  std::string video;           // the point's video, for the GUI to open
};

struct SweepChartData {
  std::string title;  // e.g. the model and prompt
  std::vector<SweepChartPoint> points;
};

enum class SweepMetric { Psnr, Ssim };
enum class SweepAxis { Density, AttentionRatio };

// A new chart (the caller owns it). The front drawn is the one of `axis`:
// paretoDensity for Density, paretoLatency for AttentionRatio, for PSNR only.
QChart* makeSweepChart(const SweepChartData& data, SweepMetric metric, SweepAxis axis);

// The three panels side by side: PSNR vs density, SSIM vs density, PSNR vs
// attention time. Needs a QApplication (see ChartImage.h).
QImage renderSweepImage(const SweepChartData& data, QSize size = QSize(1800, 600));

// Writes that image as PNG, creating an offscreen QApplication when the
// process has none. Returns false and sets *error when it cannot.
bool writeSweepPng(const SweepChartData& data, const std::string& path, std::string* error);

}  // namespace attnscope::charts
