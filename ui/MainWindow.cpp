#include "ui/MainWindow.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QDockWidget>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QUndoStack>
#include <QVBoxLayout>

#include "ui/AtlasViewportWidget.h"
#include "ui/ComparePlayer.h"
#include "ui/JobController.h"
#include "ui/LayersPanel.h"
#include "ui/MaskPanel.h"
#include "ui/MessageBanner.h"
#include "ui/PlaybackControls.h"
#include "ui/MetricsPanel.h"
#include "ui/RunPanel.h"
#include "ui/RunsPanel.h"
#include "ui/VideoPlayer.h"
#include "ui/Workbench.h"

namespace attnscope::ui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle(tr("AttnScope"));
  setObjectName("MainWindow");
  bench_ = new Workbench(this);
  jobs_ = new JobController(this);
  previewJobs_ = new JobController(this);

  auto* central = new QWidget(this);
  auto* column = new QVBoxLayout(central);
  column->setContentsMargins(0, 0, 0, 0);
  column->setSpacing(0);
  banner_ = new MessageBanner(central);
  tabs_ = new QTabWidget(central);
  viewport_ = new AtlasViewportWidget(tabs_);
  comparePlayer_ = new ComparePlayer(tabs_);
  tabs_->addTab(viewport_, tr("Atlas"));
  tabs_->addTab(comparePlayer_, tr("Compare"));
  tabs_->setTabToolTip(0, tr("Captured attention: layer × head grid or one head zoomed in (Ctrl+1)"));
  tabs_->setTabToolTip(1, tr("Dense | sparse | difference, in sync (Ctrl+2)"));
  column->addWidget(banner_);
  column->addWidget(tabs_, 1);
  setCentralWidget(central);

  jobLabel_ = new QLabel(this);
  jobLabel_->setToolTip(tr("The job running on the worker thread"));
  statusBar()->addPermanentWidget(jobLabel_);
  statusBar()->showMessage(viewport_->available() ? tr("Viewport on %1").arg(viewport_->deviceName())
                                                  : viewport_->unavailableReason());

  buildDocks();
  buildMenus();
  connectViews();
  connectJobs();

  const QString data = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
  QDir().mkpath(data);
  runsPanel_->setDatabase(QDir(data).filePath("attnscope-runs.sqlite"));

  resize(1400, 900);
  restoreLayout();
  refreshPlanViews();
  refreshAtlasViews();
  refreshCompareViews();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildDocks() {
  auto dock = [this](const QString& title, const QString& name, QWidget* content, Qt::DockWidgetArea area) {
    auto* d = new QDockWidget(title, this);
    d->setObjectName(name);  // saveState keys on it
    d->setWidget(content);
    addDockWidget(area, d);
    return d;
  };
  runPanel_ = new RunPanel;
  layersPanel_ = new LayersPanel;
  maskPanel_ = new MaskPanel(bench_->undoStack());
  metricsPanel_ = new MetricsPanel;
  runsPanel_ = new RunsPanel;
  videoPlayer_ = new VideoPlayer;
  // Left: what to run and what to look at; right: masks; bottom: the video and the numbers.
  QDockWidget* run = dock(tr("Run"), "RunDock", runPanel_, Qt::LeftDockWidgetArea);
  QDockWidget* layers = dock(tr("Layers & heads"), "LayersDock", layersPanel_, Qt::LeftDockWidgetArea);
  QDockWidget* masks = dock(tr("Masks"), "MasksDock", maskPanel_, Qt::RightDockWidgetArea);
  QDockWidget* video = dock(tr("Video"), "VideoDock", videoPlayer_, Qt::BottomDockWidgetArea);
  QDockWidget* metrics = dock(tr("Metrics"), "MetricsDock", metricsPanel_, Qt::BottomDockWidgetArea);
  QDockWidget* runs = dock(tr("Runs"), "RunsDock", runsPanel_, Qt::BottomDockWidgetArea);
  splitDockWidget(run, layers, Qt::Vertical);
  splitDockWidget(video, metrics, Qt::Horizontal);
  tabifyDockWidget(metrics, runs);
  addAnalyticsDocks(metrics);
  metrics->raise();
  resizeDocks({run, masks}, {330, 360}, Qt::Horizontal);
  resizeDocks({video, metrics}, {380, 800}, Qt::Horizontal);
  resizeDocks({video}, {300}, Qt::Vertical);
}

void MainWindow::buildMenus() {
  auto add = [this](QMenu* menu, const QString& text, const QKeySequence& key, const QString& tip, auto slot) {
    QAction* a = menu->addAction(text);
    if (!key.isEmpty()) a->setShortcut(key);
    a->setToolTip(tip);
    a->setStatusTip(tip);
    connect(a, &QAction::triggered, this, slot);
    return a;
  };
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->setToolTipsVisible(true);
  add(file, tr("Open &Model…"), QKeySequence(tr("Ctrl+M")), tr("Load another model folder"), [this] {
    QString dir = askOpenPath(tr("Model config"), tr("Model config (config.json);;All files (*)"));
    if (!dir.isEmpty()) loadModel(dir);
  });
  file->addSeparator();
  add(file, tr("&Open Plan…"), QKeySequence::Open, tr("Load a mask plan (JSON)"), [this] {
    QString p = askOpenPath(tr("Open mask plan"), tr("Mask plans (*.json);;All files (*)"));
    if (!p.isEmpty()) openPlan(p);
  });
  add(file, tr("&Save Plan…"), QKeySequence::Save, tr("Write the mask plan (JSON)"), [this] {
    QString p = askSavePath(tr("Save mask plan"), tr("Mask plans (*.json)"), "json");
    if (!p.isEmpty()) savePlan(p);
  });
  add(file, tr("Open &Atlas…"), QKeySequence(tr("Ctrl+Shift+O")), tr("Load an attention atlas (.safetensors)"), [this] {
    QString p = askOpenPath(tr("Open atlas"), tr("Atlases (*.safetensors);;All files (*)"));
    if (!p.isEmpty()) openAtlas(p);
  });
  add(file, tr("Save A&tlas…"), QKeySequence(), tr("Write the captured atlas (.safetensors)"), [this] {
    QString p = askSavePath(tr("Save atlas"), tr("Atlases (*.safetensors)"), "safetensors");
    if (!p.isEmpty()) saveAtlas(p);
  });
  add(file, tr("Open &Video…"), QKeySequence(), tr("Play an MP4 (e.g. one attnscope-cli wrote)"), [this] {
    QString p = askOpenPath(tr("Open video"), tr("Videos (*.mp4 *.mkv *.webm);;All files (*)"));
    if (!p.isEmpty()) openVideo(p);
  });
  file->addSeparator();
  add(file, tr("Open &Run…"), QKeySequence(), tr("Load a run folder saved by Save Run"), [this] {
    QString p = QFileDialog::getExistingDirectory(this, tr("Open run folder"));
    if (!p.isEmpty()) openRun(p);
  });
  add(file, tr("Save R&un…"), QKeySequence(tr("Ctrl+Shift+S")),
      tr("Write dense.mp4, atlas, plan, sparse.mp4 and run.json into a folder and record it"), [this] {
        QString p = QFileDialog::getExistingDirectory(this, tr("Save run into folder"));
        if (!p.isEmpty()) saveRun(p);
      });
  file->addSeparator();
  add(file, tr("&Export Side-by-side MP4…"), QKeySequence(tr("Ctrl+E")),
      tr("Dense | sparse | difference as one H.264 video"), [this] {
        QString p = askSavePath(tr("Export side-by-side video"), tr("MP4 (*.mp4)"), "mp4");
        if (!p.isEmpty()) exportSideBySide(p);
      });
  QMenu* snap = file->addMenu(tr("Export PNG &Snapshot"));
  snap->setToolTipsVisible(true);
  const std::pair<QString, QWidget*> views[] = {{tr("Viewport"), viewport_}, {tr("Video"), videoPlayer_},
                                                {tr("Compare"), comparePlayer_}, {tr("Metrics"), metricsPanel_},
                                                {tr("Whole window"), this}};
  for (const auto& [name, widget] : views) {
    QWidget* w = widget;
    add(snap, name, name == tr("Viewport") ? QKeySequence(tr("Ctrl+P")) : QKeySequence(),
        tr("Save a PNG of the %1").arg(name.toLower()), [this, w, name] {
          QString p = askSavePath(tr("Save snapshot"), tr("PNG images (*.png)"), "png");
          if (!p.isEmpty()) saveSnapshot(w, p);
        });
  }
  file->addSeparator();
  add(file, tr("&Quit"), QKeySequence::Quit, tr("Close the workbench"), [this] { close(); });

  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  QAction* undo = bench_->undoStack()->createUndoAction(this, tr("&Undo"));
  undo->setShortcut(QKeySequence::Undo);
  QAction* redo = bench_->undoStack()->createRedoAction(this, tr("&Redo"));
  redo->setShortcuts({QKeySequence::Redo, QKeySequence(tr("Ctrl+Shift+Z"))});
  edit->addAction(undo);
  edit->addAction(redo);
  edit->addSeparator();
  add(edit, tr("Keep &All (scope)"), QKeySequence(), tr("Keep every block of the heads in scope"),
      [this] { applyFill(true); });
  add(edit, tr("&Mask Out All (scope)"), QKeySequence(), tr("Mask out every block of the heads in scope"),
      [this] { applyFill(false); });

  QMenu* run = menuBar()->addMenu(tr("&Run"));
  add(run, tr("&Generate"), QKeySequence(tr("Ctrl+Return")), tr("Generate and capture attention"), [this] { generate(); });
  add(run, tr("&Re-render with Plan"), QKeySequence(tr("Ctrl+R")), tr("Re-render with the mask plan and compare"),
      [this] { rerender(); });
  add(run, tr("&Derive Plan"), QKeySequence(tr("Ctrl+D")), tr("Derive a plan with the Masks panel's strategy"),
      [this] { derive(false); });
  add(run, tr("&Cancel"), QKeySequence(Qt::Key_Escape), tr("Stop the running job after its current step"),
      [this] { jobs_->cancel(); });

  viewMenu_ = menuBar()->addMenu(tr("&View"));
  add(viewMenu_, tr("&Atlas"), QKeySequence(tr("Ctrl+1")), tr("Show the atlas viewport"), [this] { tabs_->setCurrentIndex(0); });
  add(viewMenu_, tr("&Compare"), QKeySequence(tr("Ctrl+2")), tr("Show the compare player"), [this] { tabs_->setCurrentIndex(1); });
  add(viewMenu_, tr("Play / Pause Video"), QKeySequence(Qt::Key_Space), tr("Play or pause the video player"),
      [this] { tabs_->currentIndex() == 1 ? comparePlayer_->controls()->togglePlay() : videoPlayer_->controls()->togglePlay(); });
  add(viewMenu_, tr("Next Frame"), QKeySequence(Qt::Key_Period), tr("Step the video one frame forward"),
      [this] { tabs_->currentIndex() == 1 ? comparePlayer_->controls()->stepForward() : videoPlayer_->controls()->stepForward(); });
  add(viewMenu_, tr("Previous Frame"), QKeySequence(Qt::Key_Comma), tr("Step the video one frame back"),
      [this] { tabs_->currentIndex() == 1 ? comparePlayer_->controls()->stepBack() : videoPlayer_->controls()->stepBack(); });
  add(viewMenu_, tr("Clear Heat Overlay"), QKeySequence(tr("Ctrl+L")), tr("Remove the heat overlay from the video"),
      [this] { videoPlayer_->clearHeat(); });
  viewMenu_->addSeparator();
  for (QDockWidget* d : findChildren<QDockWidget*>()) viewMenu_->addAction(d->toggleViewAction());

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  add(help, tr("&About AttnScope"), QKeySequence(), tr("Version and viewport device"), [this] {
    QMessageBox::about(this, tr("About AttnScope"),
                       tr("<b>AttnScope</b> %1<br>Look at, mask and re-render the attention of video DiTs.<br>"
                          "Viewport: %2")
                           .arg(QApplication::applicationVersion(),
                                viewport_->available() ? viewport_->deviceName() : viewport_->unavailableReason()));
  });
}

void MainWindow::connectViews() {
  connect(bench_, &Workbench::planChanged, this, &MainWindow::refreshPlanViews);
  connect(bench_, &Workbench::atlasChanged, this, &MainWindow::refreshAtlasViews);
  connect(bench_, &Workbench::videoChanged, this, [this] {
    videoPlayer_->clearHeat();
    videoPlayer_->setVideo(bench_->video());
    refreshCompareViews();
  });
  connect(bench_, &Workbench::sparseChanged, this, &MainWindow::refreshCompareViews);
  connect(bench_, &Workbench::modelChanged, this, [this] {
    runPanel_->setModel(bench_->modelPath(), bench_->model() ? &bench_->model()->config() : nullptr);
  });

  // One view state: the viewport owns it, the Layers panel mirrors and edits it.
  connect(layersPanel_, &LayersPanel::viewEdited, this, [this](const viz::ViewState& v) {
    viewport_->setView(v);
    refreshPlanViews();
  });
  connect(viewport_, &AtlasViewportWidget::viewChanged, this, [this](const viz::ViewState& v) {
    layersPanel_->setView(v);
    refreshPlanViews();
  });
  connect(viewport_, &AtlasViewportWidget::hoverChanged, this, [this](const QString& s) { statusBar()->showMessage(s, 4000); });
  connect(viewport_, &AtlasViewportWidget::renderFailed, this, &MainWindow::showError);
  connect(maskPanel_, &MaskPanel::headPicked, this, [this](int layer, int head) {
    viz::ViewState v = viewport_->view();
    v.layer = layer;
    v.head = head;
    viewport_->setView(v);
    layersPanel_->setView(v);
    refreshPlanViews();
  });

  // Painting
  viewport_->setTool(maskPanel_->tool());
  viewport_->setKeep(maskPanel_->keep());
  viewport_->setScope(maskPanel_->scope());
  connect(maskPanel_, &MaskPanel::toolChanged, viewport_, &AtlasViewportWidget::setTool);
  connect(maskPanel_, &MaskPanel::keepChanged, viewport_, &AtlasViewportWidget::setKeep);
  connect(maskPanel_, &MaskPanel::scopeChanged, viewport_, &AtlasViewportWidget::setScope);
  connect(viewport_, &AtlasViewportWidget::toolPicked, maskPanel_, &MaskPanel::setTool);
  connect(viewport_, &AtlasViewportWidget::editRequested, this, &MainWindow::applyEdit);
  connect(viewport_, &AtlasViewportWidget::strokeStarted, this,
          [this](const QString& what) { bench_->undoStack()->beginMacro(what); });
  connect(viewport_, &AtlasViewportWidget::strokeFinished, this, [this] { bench_->undoStack()->endMacro(); });
  connect(maskPanel_, &MaskPanel::fillRequested, this, &MainWindow::applyFill);
  connect(maskPanel_, &MaskPanel::copyRequested, this, [this] {
    try {
      bench_->copyMask(viewport_->view().layer, viewport_->view().head,
                       maskPanel_->scope() == EditScope::Head ? EditScope::Layer : maskPanel_->scope());
    } catch (const std::exception& e) {
      showError(QString::fromStdString(e.what()));
    }
  });
  connect(maskPanel_, &MaskPanel::deriveRequested, this, [this](bool preview) { derive(preview); });
  connect(maskPanel_, &MaskPanel::previewCancelled, this, [this] { bench_->setPreview(std::nullopt); });

  // Video look-ups
  connect(videoPlayer_, &VideoPlayer::pixelClicked, this, &MainWindow::showPixelLook);
  connect(layersPanel_, &LayersPanel::wordPicked, this, &MainWindow::showWordMap);

  // Runs
  connect(runsPanel_, &RunsPanel::errorOccurred, this, &MainWindow::showError);
  connect(runsPanel_, &RunsPanel::openRequested, this, [this](const RunRecord& r) {
    if (!r.videoPath.empty()) openVideo(QString::fromStdString(r.videoPath));
    if (!r.atlasPath.empty()) openAtlas(QString::fromStdString(r.atlasPath));
    if (!r.maskPath.empty()) openPlan(QString::fromStdString(r.maskPath));
    if (r.videoPath.empty() && r.atlasPath.empty() && r.maskPath.empty())
      showNotice(tr("Run %1 names no files (it was not saved); Save Run writes them.").arg(r.id));
  });
}

void MainWindow::applyEdit(const MaskEdit& edit) {
  bench_->setPreview(std::nullopt);  // paint on what is drawn: the plan itself
  try {
    const char* shapes[] = {"Rectangle", "Row", "Column"};
    bench_->editPlan(edit, tr("%1 %2 L%3 H%4%5")
                               .arg(edit.keep ? tr("Keep") : tr("Mask"), tr(shapes[int(edit.shape)]))
                               .arg(edit.layer).arg(edit.head)
                               .arg(edit.scope == EditScope::Head ? QString()
                                    : edit.scope == EditScope::Layer ? tr(" (layer)") : tr(" (all layers)")));
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()));
  }
}

void MainWindow::applyFill(bool keep) {
  const MaskPlan* plan = bench_->plan();
  if (!plan) return showError(tr("There is no mask plan: capture attention or open a plan first."));
  MaskEdit e;
  e.scope = maskPanel_->scope();
  e.layer = viewport_->view().layer;
  e.head = viewport_->view().head;
  e.q0 = 0;
  e.k0 = 0;
  e.q1 = plan->layout.numBlocks(plan->grid) - 1;
  e.k1 = e.q1;
  e.keep = keep;
  applyEdit(e);
}

void MainWindow::refreshPlanViews() {
  const viz::ViewState& v = viewport_->view();
  viewport_->setPlan(bench_->shownPlan());
  maskPanel_->showPlan(bench_->plan(), bench_->preview(), v.layer, v.head);
  metricsPanel_->showDensity(bench_->shownPlan());
}

void MainWindow::refreshAtlasViews() {
  viewport_->setAtlas(bench_->atlas());
  layersPanel_->setAtlas(bench_->atlas());
  maskPanel_->setCapturedSteps(bench_->atlas() ? bench_->atlas()->capturedSteps() : std::vector<int>{});
  viewport_->setView(layersPanel_->view());
  refreshPlanViews();
}

void MainWindow::refreshCompareViews() {
  auto dense = bench_->dense() ? std::shared_ptr<const VideoFrames>(bench_->dense(), &bench_->dense()->video)
                               : bench_->video();
  auto sparse = bench_->sparse() ? std::shared_ptr<const VideoFrames>(bench_->sparse(), &bench_->sparse()->video)
                                 : nullptr;
  comparePlayer_->setVideos(dense, sparse, bench_->quality());
  metricsPanel_->showQuality(bench_->quality() ? &*bench_->quality() : nullptr);
  metricsPanel_->showLatency(bench_->dense().get(), bench_->sparse().get());
}

void MainWindow::showError(const QString& message) {
  lastError_ = message;
  banner_->showMessage(message, MessageBanner::Kind::Error);
  statusBar()->showMessage(message, 10000);
}

void MainWindow::showNotice(const QString& message) {
  banner_->showMessage(message, MessageBanner::Kind::Notice);
  statusBar()->showMessage(message, 6000);
}

void MainWindow::restoreLayout() {
  QSettings settings;
  restoreGeometry(settings.value("window/geometry").toByteArray());
  restoreState(settings.value("window/state").toByteArray());
}

void MainWindow::closeEvent(QCloseEvent* event) {
  QSettings settings;
  settings.setValue("window/geometry", saveGeometry());
  settings.setValue("window/state", saveState());
  jobs_->cancel();
  previewJobs_->cancel();
  event->accept();
}

}  // namespace attnscope::ui
