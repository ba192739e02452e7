#pragma once
// SweepPanel (the "Sweep" dock): the quality-vs-density sweep of issue 6.
// The user ticks strategies (the engine's registry), types densities, and
// the prompt, seed and steps come from the Run dock; Run starts the engine's
// sweep job (runSweep, as `attnscope-cli sweep` does) on the window's
// JobController with progress and Cancel. The result — or a sweep.json the
// CLI wrote, opened here — is shown as the attnscope_charts chart (the same
// chart the CLI's PNG has, Pareto front marked) and a sortable table of
// points. Clicking a point (in the chart or the table) loads its video and
// the dense one on this panel's loader thread and hands them to the compare
// players (pointOpened); the chosen point's plan and the sweep's atlas open
// in the workbench (planRequested, atlasRequested); Save PNG writes the
// CLI's three-panel sweep.png. Its generations are
// recorded in the Runs dock's history. Bad settings and failed sweeps are
// messages here and in errorOccurred; the panel stays usable.
#include <QWidget>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "engine/io/Video.h"
#include "engine/metrics/VideoMetrics.h"
#include "engine/sweep/SweepJob.h"

class QChartView;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QTableWidget;

namespace attnscope::ui {

class JobController;
class RunPanel;
class RunsPanel;
class Workbench;

class SweepPanel : public QWidget {
  Q_OBJECT
 public:
  SweepPanel(Workbench* bench, JobController* jobs, RunPanel* run, RunsPanel* runs, QWidget* parent = nullptr);

  // What Run does: false (and a message) when the settings are wrong or a job runs.
  bool startSweep();
  // Shows a sweep.json (from the CLI or an earlier sweep); false and a message when it cannot.
  bool openSweep(const QString& path);
  // The CLI's sweep.png: PSNR vs density, SSIM vs density, PSNR vs attention time.
  bool savePng(const QString& path);
  // Loads point `index` (of result().points) and the dense video; emits pointOpened when loaded.
  bool openPoint(int index);

  bool running() const { return running_; }
  bool loading() const;
  const std::optional<SweepResult>& result() const { return result_; }
  // The chart's points per series name, as drawn (x, y), for tests and snapshots.
  std::map<QString, QList<QPointF>> chartPoints() const;

  QListWidget* strategyList() const { return strategies_; }
  QLineEdit* densitiesEdit() const { return densities_; }
  QLineEdit* folderEdit() const { return folder_; }
  QPushButton* runButton() const { return run_; }
  QPushButton* cancelButton() const { return cancel_; }
  QPushButton* openButton() const { return open_; }
  QProgressBar* progressBar() const { return progress_; }
  QLabel* message() const { return message_; }
  QLabel* usesLabel() const { return uses_; }
  QLabel* titleLabel() const { return title_; }
  QComboBox* metricBox() const { return metric_; }
  QComboBox* axisBox() const { return axis_; }
  QChartView* chartView() const { return chart_; }
  QTableWidget* pointsTable() const { return table_; }
  QPushButton* openPlanButton() const { return openPlan_; }
  QPushButton* openAtlasButton() const { return openAtlas_; }
  QPushButton* savePngButton() const { return savePng_; }
  int chosenPoint() const { return chosen_; }  // -1: none

 signals:
  void pointOpened(std::shared_ptr<const attnscope::VideoFrames> dense,
                   std::shared_ptr<const attnscope::VideoFrames> sparse, attnscope::VideoQuality quality,
                   const QString& caption);
  void errorOccurred(const QString& message);
  void planRequested(const QString& path);
  void atlasRequested(const QString& path);

 private:
  void showResult(SweepResult result);
  void redrawChart();
  void fail(const QString& message);
  void setRunning(bool running);
  void showUses();
  SweepRequest buildRequest();  // throws Error

  Workbench* bench_;
  JobController* jobs_;
  JobController* loader_;
  RunPanel* runPanel_;
  RunsPanel* runsPanel_;
  int chosen_ = -1;
  bool running_ = false;
  std::optional<SweepResult> result_;
  std::string denseCachePath_;
  std::shared_ptr<const VideoFrames> denseCache_;

  QListWidget* strategies_;
  QLineEdit *densities_, *folder_;
  QPushButton *run_, *cancel_, *open_, *browse_, *openPlan_, *openAtlas_, *savePng_;
  QProgressBar* progress_;
  QLabel *stage_, *message_, *uses_, *title_;
  QComboBox *metric_, *axis_;
  QChartView* chart_;
  QTableWidget* table_;
};

}  // namespace attnscope::ui
