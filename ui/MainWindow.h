#pragma once
// MainWindow: the workbench. Central tabs: the atlas viewport and the compare
// player; docks: Run, Layers & heads, Masks, Metrics, Runs, Video. Every
// action calls the same engine jobs as attnscope-cli, on the JobController's
// worker thread; results land in the Workbench and every view redraws from
// it. Errors appear in the banner and the status bar; the plan and the runs
// the user has stay as they were. Geometry and dock layout persist (QSettings).
//   MainWindow.cpp       construction, menus, docks, view wiring
//   MainWindowJobs.cpp   load model, generate, re-render, derive, look-ups
//   MainWindowFiles.cpp  open/save runs, atlases, plans, videos; exports
#include <QMainWindow>

#include <memory>

#include "engine/mask/MaskEdits.h"
#include "engine/pipeline/GenerationTypes.h"
#include "engine/pipeline/RunHistory.h"
#include "engine/strategies/Strategy.h"

class QAction;
class QDockWidget;
class QLabel;
class QMenu;
class QTabWidget;

namespace attnscope::ui {

class AtlasViewportWidget;
class ComparePlayer;
class JobController;
class LayersPanel;
class MaskPanel;
class MessageBanner;
class MetricsPanel;
class RunPanel;
class RunsPanel;
class VideoPlayer;
class Workbench;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // Loads on the worker thread, on the Run dock's device; a failure is a
  // message, the window stays usable. Choosing another device reloads.
  void loadModel(const QString& path);

  // File actions without dialogs (the menu asks for the path); each returns
  // false after showing the message when it fails. openAtlas and openRun read
  // on the job worker: true means the job started, and a file that then fails
  // to load is the job's message.
  bool openPlan(const QString& path);
  bool savePlan(const QString& path);
  bool openAtlas(const QString& path);
  bool saveAtlas(const QString& path);
  bool openVideo(const QString& path);
  bool saveRun(const QString& folder);
  bool openRun(const QString& folder);
  bool exportSideBySide(const QString& path);
  bool saveSnapshot(QWidget* view, const QString& path);

  // Jobs (what the buttons do).
  bool generate();
  bool rerender();
  bool derive(bool preview);
  void showPixelLook(int frame, double x, double y);
  void showWordMap(int textToken);

  Workbench* workbench() const { return bench_; }
  JobController* jobs() const { return jobs_; }
  RunPanel* runPanel() const { return runPanel_; }
  LayersPanel* layersPanel() const { return layersPanel_; }
  MaskPanel* maskPanel() const { return maskPanel_; }
  MetricsPanel* metricsPanel() const { return metricsPanel_; }
  RunsPanel* runsPanel() const { return runsPanel_; }
  VideoPlayer* videoPlayer() const { return videoPlayer_; }
  ComparePlayer* comparePlayer() const { return comparePlayer_; }
  AtlasViewportWidget* viewport() const { return viewport_; }
  MessageBanner* banner() const { return banner_; }
  QTabWidget* centralTabs() const { return tabs_; }
  QString lastError() const { return lastError_; }

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void buildDocks();
  void addAnalyticsDocks(QDockWidget* beside);  // MainWindowAnalytics.cpp (issue 6)
  void buildMenus();
  void connectViews();
  void connectJobs();
  void restoreLayout();
  void showError(const QString& message);
  bool fileJobCanStart(const QString& what);  // false, with a message, while a job runs
  void showNotice(const QString& message);
  void refreshPlanViews();
  void refreshAtlasViews();
  void refreshCompareViews();
  void recordRun(const std::string& command, const GenerationResult& run, const std::string& maskPath,
                 double maskDensity);
  void applyFill(bool keep);
  void applyEdit(const MaskEdit& edit);
  bool deriveNow(bool preview);
  QString askSavePath(const QString& title, const QString& filter, const QString& suffix);
  QString askOpenPath(const QString& title, const QString& filter);

  Workbench* bench_;
  JobController* jobs_;
  JobController* previewJobs_;  // derive previews never queue behind a generation
  bool previewPending_ = false;

  QTabWidget* tabs_;
  AtlasViewportWidget* viewport_;
  ComparePlayer* comparePlayer_;
  MessageBanner* banner_;
  VideoPlayer* videoPlayer_;
  RunPanel* runPanel_;
  LayersPanel* layersPanel_;
  MaskPanel* maskPanel_;
  MetricsPanel* metricsPanel_;
  RunsPanel* runsPanel_;
  QLabel* jobLabel_;
  QMenu* viewMenu_ = nullptr;
  QString lastError_;
};

}  // namespace attnscope::ui
