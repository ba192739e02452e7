// MainWindow: the issue-6 docks — Analytics (sinks, head types, stability,
// mask recall of the Workbench's atlas and plan) and Sweep (quality vs
// density; a point's video opens in the compare players, its plan and the
// sweep's atlas in the workbench). Tabbed with the
// Metrics dock; their layout is saved with the others (object names); the
// View menu lists them (Ctrl+Shift+A, Ctrl+Shift+W).
#include <QAction>
#include <QDockWidget>
#include <QKeySequence>
#include <QTabWidget>

#include "ui/AnalyticsPanel.h"
#include "ui/ComparePlayer.h"
#include "ui/MainWindow.h"
#include "ui/MaskPanel.h"
#include "ui/SweepPanel.h"
#include "ui/VideoPlayer.h"

namespace attnscope::ui {

void MainWindow::addAnalyticsDocks(QDockWidget* beside) {
  auto* analytics = new AnalyticsPanel(bench_);
  auto* sweep = new SweepPanel(bench_, jobs_, runPanel_, runsPanel_);
  const std::pair<QString, QString> docks[] = {
      {tr("Analytics"), tr("Sinks, head types, step stability and mask recall of the atlas (Ctrl+Shift+A)")},
      {tr("Sweep"), tr("Quality vs density sweeps; click a point to compare its video (Ctrl+Shift+W)")}};
  QWidget* contents[] = {analytics, sweep};
  const char* names[] = {"AnalyticsDock", "SweepDock"};
  const char* keys[] = {"Ctrl+Shift+A", "Ctrl+Shift+W"};
  for (int i = 0; i < 2; ++i) {
    auto* d = new QDockWidget(docks[i].first, this);
    d->setObjectName(names[i]);  // saveState keys on it
    d->setWidget(contents[i]);
    d->setToolTip(docks[i].second);
    d->toggleViewAction()->setShortcut(QKeySequence(tr(keys[i])));
    d->toggleViewAction()->setToolTip(docks[i].second);
    d->toggleViewAction()->setStatusTip(docks[i].second);
    addDockWidget(Qt::BottomDockWidgetArea, d);
    tabifyDockWidget(beside, d);
  }

  connect(analytics, &AnalyticsPanel::headPicked, maskPanel_, &MaskPanel::headPicked);  // shows the head
  connect(analytics, &AnalyticsPanel::heatRequested, this,
          [this](const std::vector<float>& heat, const TokenGrid& grid, const QString& caption) {
            videoPlayer_->setHeat(heat, grid, caption);
          });
  connect(sweep, &SweepPanel::errorOccurred, this, &MainWindow::showError);
  connect(sweep, &SweepPanel::planRequested, this, [this](const QString& path) { openPlan(path); });
  connect(sweep, &SweepPanel::atlasRequested, this, [this](const QString& path) { openAtlas(path); });
  connect(sweep, &SweepPanel::pointOpened, this,
          [this](std::shared_ptr<const VideoFrames> dense, std::shared_ptr<const VideoFrames> sparse,
                 VideoQuality quality, const QString& caption) {
            comparePlayer_->setVideos(std::move(dense), std::move(sparse), std::move(quality));
            tabs_->setCurrentIndex(1);
            showNotice(caption);
          });
}

}  // namespace attnscope::ui
