#pragma once
// MetricsPanel (the "Metrics" dock): Qt Charts of the last comparison —
// per-frame PSNR and SSIM of the sparse re-render against the dense run, the
// latency breakdown (attention vs everything else) of both runs, and the
// plan's density per layer. Redrawn from the Workbench.
#include <QWidget>

#include "engine/mask/MaskPlan.h"
#include "engine/metrics/VideoMetrics.h"
#include "engine/pipeline/GenerationTypes.h"

class QChartView;
class QTabWidget;

namespace attnscope::ui {

class MetricsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit MetricsPanel(QWidget* parent = nullptr);

  void showQuality(const VideoQuality* quality);
  void showLatency(const GenerationResult* dense, const GenerationResult* sparse);
  void showDensity(const MaskPlan* plan);

  QChartView* qualityChart() const { return quality_; }
  QChartView* latencyChart() const { return latency_; }
  QChartView* densityChart() const { return density_; }

 private:
  QTabWidget* tabs_;
  QChartView *quality_, *latency_, *density_;
};

}  // namespace attnscope::ui
