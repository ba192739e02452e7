#include "ui/SweepPanel.h"

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QSpinBox>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QStandardPaths>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QXYSeries>

#include <cmath>

#include "engine/core/Error.h"
#include "ui/JobController.h"
#include "ui/NumberItem.h"
#include "ui/RunPanel.h"
#include "ui/RunsPanel.h"
#include "ui/SweepFile.h"
#include "ui/Workbench.h"
#include "ui/charts/SweepChart.h"

namespace attnscope::ui {

namespace {
enum Column { Strategy, Target, Density, Kept, Psnr, Ssim, AttentionRatio, FrontDensity, FrontLatency, Video, Columns };
const char* kJobLabel = "Sweep";
}  // namespace

SweepPanel::SweepPanel(Workbench* bench, JobController* jobs, RunPanel* run, RunsPanel* runs, QWidget* parent)
    : QWidget(parent), bench_(bench), jobs_(jobs), runPanel_(run), runsPanel_(runs) {
  loader_ = new JobController(this);
  auto* split = new QSplitter(Qt::Horizontal, this);
  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(0, 0, 0, 0);
  outer->addWidget(split);

  // Settings and the run controls (scrolling when the dock is short)
  auto* scroll = new QScrollArea(split);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setMinimumWidth(280);
  auto* controls = new QWidget(scroll);
  auto* form = new QGridLayout(controls);
  form->setContentsMargins(4, 4, 4, 4);
  strategies_ = new QListWidget(controls);
  for (const attnscope::Strategy& s : allStrategies()) {
    auto* item = new QListWidgetItem(QString::fromStdString(s.name), strategies_);
    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
    item->setCheckState(s.name == "threshold" ? Qt::Checked : Qt::Unchecked);
    item->setToolTip(QString::fromStdString(s.summary));
  }
  strategies_->setToolTip(tr("The strategies to sweep (tick several to compare them); prompt, seed and steps come "
                             "from the Run dock"));
  strategies_->setMinimumHeight(90);
  strategies_->setMaximumHeight(150);
  densities_ = new QLineEdit(QStringLiteral("0.1,0.2,0.3,0.5"), controls);
  densities_->setToolTip(tr("Target block densities in (0, 1], comma separated: each strategy derives a plan at "
                            "each one and re-renders with it"));
  folder_ = new QLineEdit(controls);
  folder_->setPlaceholderText(tr("automatic (application data/sweeps/<time>)"));
  folder_->setToolTip(tr("Where the sweep writes dense.mp4, the atlas, one plan and video per point, sweep.csv and "
                         "sweep.json"));
  browse_ = new QPushButton(tr("…"), controls);
  browse_->setToolTip(tr("Choose the output folder"));
  run_ = new QPushButton(tr("Run Sweep"), controls);
  run_->setToolTip(tr("Generate dense (with capture), then re-render once per strategy and density, and compare "
                      "(the job `attnscope-cli sweep` runs)"));
  cancel_ = new QPushButton(tr("Cancel"), controls);
  cancel_->setToolTip(tr("Stop the sweep after the current denoising step"));
  cancel_->setEnabled(false);
  open_ = new QPushButton(tr("Open sweep.json…"), controls);
  open_->setToolTip(tr("Show a sweep written earlier by this panel or by attnscope-cli sweep"));
  progress_ = new QProgressBar(controls);
  progress_->setToolTip(tr("Denoising steps done over all the sweep's generations"));
  progress_->setRange(0, 1);
  progress_->setValue(0);
  stage_ = new QLabel(controls);
  stage_->setToolTip(tr("The generation the sweep is running"));
  message_ = new QLabel(controls);
  message_->setWordWrap(true);
  message_->setToolTip(tr("What happened last"));
  form->addWidget(new QLabel(tr("Strategies"), controls), 0, 0, 1, 3);
  form->addWidget(strategies_, 1, 0, 1, 3);
  uses_ = new QLabel(controls);
  uses_->setWordWrap(true);
  uses_->setToolTip(tr("What the sweep generates: the Run dock's prompt, seed, steps and blocks"));
  form->addWidget(uses_, 10, 0, 1, 3);
  form->addWidget(new QLabel(tr("Densities"), controls), 2, 0);
  form->addWidget(densities_, 2, 1, 1, 2);
  form->addWidget(new QLabel(tr("Folder"), controls), 3, 0);
  form->addWidget(folder_, 3, 1);
  form->addWidget(browse_, 3, 2);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(run_);
  buttons->addWidget(cancel_);
  form->addLayout(buttons, 4, 0, 1, 3);
  form->addWidget(open_, 5, 0, 1, 3);
  form->addWidget(progress_, 6, 0, 1, 3);
  form->addWidget(stage_, 7, 0, 1, 3);
  form->addWidget(message_, 8, 0, 1, 3);
  form->setRowStretch(11, 1);

  // The chart and the table of points
  auto* results = new QSplitter(Qt::Vertical, split);
  auto* chartHost = new QWidget(results);
  auto* chartColumn = new QVBoxLayout(chartHost);
  chartColumn->setContentsMargins(0, 0, 0, 0);
  auto* chartBar = new QHBoxLayout;
  metric_ = new QComboBox(chartHost);
  metric_->addItems({tr("PSNR"), tr("SSIM")});
  metric_->setToolTip(tr("Quality against the dense video"));
  axis_ = new QComboBox(chartHost);
  axis_->addItems({tr("vs block density"), tr("vs attention time")});
  axis_->setToolTip(tr("Cost axis: the plan's block density, or its attention time over dense attention's"));
  chartBar->addWidget(metric_);
  chartBar->addWidget(axis_);
  title_ = new QLabel(chartHost);
  title_->setToolTip(tr("The model, prompt, seed, steps and block layout of the sweep shown"));
  chartBar->addWidget(title_, 1);
  chartColumn->addLayout(chartBar);
  chart_ = new QChartView(new QChart, chartHost);
  chart_->setRenderHint(QPainter::Antialiasing);
  chart_->setMinimumHeight(220);
  chart_->setToolTip(tr("Quality vs cost per strategy, Pareto front dashed; click a point to compare its video with "
                        "the dense one"));
  chartColumn->addWidget(chart_, 1);
  table_ = new QTableWidget(0, Columns, results);
  table_->setHorizontalHeaderLabels({tr("Strategy"), tr("Target"), tr("Density"), tr("Kept mass"), tr("PSNR"),
                                     tr("SSIM"), tr("Attention ÷ dense"), tr("Front (density)"),
                                     tr("Front (time)"), tr("Video")});
  table_->setToolTip(tr("The sweep's points: click a header to sort, a row to compare its video with the dense one"));
  table_->setSortingEnabled(true);
  table_->verticalHeader()->hide();
  table_->setWordWrap(false);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setStretchLastSection(true);
  auto* tableHost = new QWidget(results);
  auto* tableColumn = new QVBoxLayout(tableHost);
  tableColumn->setContentsMargins(0, 0, 0, 0);
  tableColumn->addWidget(table_, 1);
  auto* tableBar = new QHBoxLayout;
  openPlan_ = new QPushButton(tr("Open Point's Plan"), tableHost);
  openPlan_->setToolTip(tr("Load the chosen point's mask plan into the workbench (Masks dock, viewport overlay, "
                           "re-render)"));
  openAtlas_ = new QPushButton(tr("Open Sweep's Atlas"), tableHost);
  openAtlas_->setToolTip(tr("Load the attention the sweep captured into the workbench (viewport, Analytics)"));
  openPlan_->setEnabled(false);
  openAtlas_->setEnabled(false);
  tableBar->addWidget(openPlan_);
  tableBar->addWidget(openAtlas_);
  savePng_ = new QPushButton(tr("Save PNG…"), tableHost);
  savePng_->setToolTip(tr("Write the three charts side by side as a PNG (the sweep.png attnscope-cli writes)"));
  savePng_->setEnabled(false);
  tableBar->addWidget(savePng_);
  tableBar->addStretch(1);
  tableColumn->addLayout(tableBar);
  results->addWidget(chartHost);
  results->addWidget(tableHost);
  scroll->setWidget(controls);
  split->addWidget(scroll);
  split->addWidget(results);
  split->setStretchFactor(1, 1);

  connect(run_, &QPushButton::clicked, this, [this] { startSweep(); });
  connect(cancel_, &QPushButton::clicked, this, [this] {
    if (running_) jobs_->cancel();
  });
  connect(browse_, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Sweep output folder"), folder_->text());
    if (!dir.isEmpty()) folder_->setText(dir);
  });
  connect(open_, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open sweep"), folder_->text(),
                                                      tr("Sweeps (sweep.json *.json);;All files (*)"));
    if (!path.isEmpty()) openSweep(path);
  });
  connect(openPlan_, &QPushButton::clicked, this, [this] {
    if (result_ && chosen_ >= 0) emit planRequested(QString::fromStdString(result_->points[size_t(chosen_)].plan));
  });
  connect(openAtlas_, &QPushButton::clicked, this, [this] {
    if (result_) emit atlasRequested(QString::fromStdString(result_->atlas));
  });
  connect(savePng_, &QPushButton::clicked, this, [this] {
    QString path = QFileDialog::getSaveFileName(this, tr("Save sweep chart"), folder_->text() + "/sweep.png",
                                                tr("PNG images (*.png)"));
    if (!path.isEmpty()) savePng(path.endsWith(".png", Qt::CaseInsensitive) ? path : path + ".png");
  });
  connect(metric_, &QComboBox::currentIndexChanged, this, &SweepPanel::redrawChart);
  connect(axis_, &QComboBox::currentIndexChanged, this, &SweepPanel::redrawChart);
  connect(table_, &QTableWidget::cellClicked, this,
          [this](int row, int) { openPoint(table_->item(row, Strategy)->data(Qt::UserRole).toInt()); });
  connect(jobs_, &JobController::progress, this, [this](int done, int total) {
    if (!running_) return;
    progress_->setRange(0, std::max(1, total));
    progress_->setValue(done);
  });
  connect(jobs_, &JobController::finished, this, [this](const QString& label, double seconds) {
    if (!running_ || label != tr(kJobLabel)) return;
    setRunning(false);
    stage_->setText(tr("Done in %1 s").arg(seconds, 0, 'f', 1));
    runsPanel_->refresh();
  });
  connect(jobs_, &JobController::failed, this, [this](const QString& label, const QString& error) {
    if (!running_ || label != tr(kJobLabel)) return;
    setRunning(false);
    stage_->setText(tr("Stopped"));
    runsPanel_->refresh();  // the generations it finished are recorded
    message_->setText(tr("The sweep stopped: %1").arg(error));  // the window's banner shows it too
  });
  connect(runPanel_->promptEdit(), &QLineEdit::textChanged, this, &SweepPanel::showUses);
  connect(runPanel_->seedBox(), &QSpinBox::valueChanged, this, &SweepPanel::showUses);
  connect(runPanel_->stepsBox(), &QSpinBox::valueChanged, this, &SweepPanel::showUses);
  showUses();
  connect(loader_, &JobController::failed, this, [this](const QString&, const QString& error) { fail(error); });
  redrawChart();
}

void SweepPanel::showUses() {
  const GenerationRequest g = runPanel_->request();
  uses_->setText(tr("From the Run dock: “%1”, seed %2, %3 steps.")
                     .arg(QString::fromStdString(g.prompt))
                     .arg(qulonglong(g.seed))
                     .arg(g.steps > 0 ? QString::number(g.steps) : tr("the model's default")));
}

bool SweepPanel::loading() const { return loader_->busy(); }

void SweepPanel::fail(const QString& message) {
  message_->setText(message);
  emit errorOccurred(message);
}

void SweepPanel::setRunning(bool running) {
  running_ = running;
  run_->setEnabled(!running);
  open_->setEnabled(!running);
  cancel_->setEnabled(running);
}

SweepRequest SweepPanel::buildRequest() {
  SweepRequest r;
  std::shared_ptr<ModelSession> model = bench_->model();
  if (!model) throw Error("no model is loaded (File ▸ Open Model…): the sweep generates with it");
  r.modelPath = bench_->modelPath().toStdString();
  r.device = runPanel_->device().toStdString();  // the Run dock's device, where the session's model is
  const GenerationRequest g = runPanel_->request();
  if (g.prompt.empty()) throw Error("type a prompt in the Run dock first");
  r.prompt = g.prompt;
  r.negativePrompt = g.negativePrompt;
  r.seed = g.seed;
  r.steps = g.steps;
  r.frames = g.frames;
  r.height = g.height;
  r.width = g.width;
  r.guidance = g.guidance;
  r.shift = g.shift;
  r.allowUnknownWords = g.allowUnknownWords;
  r.layout = runPanel_->captureLayout(model->tokenGrid(model->resolve(g)));
  for (int i = 0; i < strategies_->count(); ++i)
    if (strategies_->item(i)->checkState() == Qt::Checked) r.strategies.push_back(strategies_->item(i)->text().toStdString());
  if (r.strategies.empty()) throw Error("tick at least one strategy to sweep");
  r.densities = parseDensities(densities_->text().toStdString());
  QString folder = folder_->text().trimmed();
  if (folder.isEmpty()) {
    folder = QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation))
                 .filePath("sweeps/" + QDateTime::currentDateTime().toString("yyyyMMdd-hhmmss"));
    folder_->setText(folder);
  }
  r.outDir = folder.toStdString();
  if (!runsPanel_->database().isEmpty()) r.historyPath = runsPanel_->database().toStdString();  // the Runs dock lists them
  validateSweep(r);
  return r;
}

bool SweepPanel::startSweep() {
  if (running_ || jobs_->busy()) {
    fail(tr("A job is already running (%1); wait for it or cancel it.").arg(jobs_->label()));
    return false;
  }
  SweepRequest request;
  try {
    request = buildRequest();
  } catch (const std::exception& e) {
    fail(tr("Sweep not started: %1").arg(QString::fromStdString(e.what())));
    return false;
  }
  const bool started = jobs_->start(tr(kJobLabel), [this, request](const JobController::Context& ctx) -> JobController::Deliver {
    auto progress = [this, ctx](const SweepProgress& p) {
      const int total = std::max(1, p.runs * std::max(1, p.steps));
      ctx.progress((p.run - 1) * std::max(1, p.steps) + p.step, total);
      const QString text = tr("Run %1 of %2: %3, step %4/%5")
                               .arg(p.run).arg(p.runs).arg(QString::fromStdString(p.stage)).arg(p.step).arg(p.steps);
      QMetaObject::invokeMethod(this, [this, text] { stage_->setText(text); }, Qt::QueuedConnection);
    };
    auto result = std::make_shared<SweepResult>(runSweep(request, progress, ctx.cancel));
    return [this, result] {
      showResult(*result);
      message_->setText(tr("%1 points written to %2").arg(result->points.size()).arg(QString::fromStdString(result->json)));
    };
  });
  if (!started) {
    fail(tr("A job is already running (%1); wait for it or cancel it.").arg(jobs_->label()));
    return false;
  }
  setRunning(true);
  message_->clear();
  stage_->setText(tr("Starting…"));
  progress_->setRange(0, 1);
  progress_->setValue(0);
  return true;
}

bool SweepPanel::openSweep(const QString& path) {
  try {
    showResult(readSweepJson(path));
  } catch (const std::exception& e) {
    fail(tr("Could not open the sweep: %1").arg(QString::fromStdString(e.what())));
    return false;
  }
  message_->setText(tr("Opened %1 (%2 points)").arg(path).arg(result_->points.size()));
  return true;
}

void SweepPanel::showResult(SweepResult result) {
  result_ = std::move(result);
  chosen_ = -1;
  openPlan_->setEnabled(false);
  openAtlas_->setEnabled(!result_->atlas.empty());
  savePng_->setEnabled(true);
  table_->setSortingEnabled(false);
  table_->setRowCount(int(result_->points.size()));
  for (int i = 0; i < int(result_->points.size()); ++i) {
    const SweepPoint& p = result_->points[size_t(i)];
    auto* name = textItem(QString::fromStdString(p.strategy));
    name->setData(Qt::UserRole, i);  // the point, whatever the sort order
    const std::vector<QTableWidgetItem*> items = {
        name,
        new NumberItem(p.targetDensity, 3),
        new NumberItem(p.density, 3),
        new NumberItem(p.keptMass, 3),
        new NumberItem(p.psnr, 2),
        new NumberItem(p.ssim, 4),
        new NumberItem(p.attentionRatio, 3),
        textItem(p.paretoDensity ? tr("yes") : QString()),
        textItem(p.paretoLatency ? tr("yes") : QString()),
        textItem(QFileInfo(QString::fromStdString(p.video)).fileName())};
    for (int c = 0; c < Columns; ++c) table_->setItem(i, c, items[size_t(c)]);
  }
  table_->setSortingEnabled(true);
  redrawChart();
}

void SweepPanel::redrawChart() {
  const charts::SweepMetric metric = metric_->currentIndex() == 0 ? charts::SweepMetric::Psnr : charts::SweepMetric::Ssim;
  const charts::SweepAxis axis = axis_->currentIndex() == 0 ? charts::SweepAxis::Density : charts::SweepAxis::AttentionRatio;
  charts::SweepChartData data;
  if (result_) data = sweepChartData(*result_);
  title_->setText(QString::fromStdString(data.title));
  QChart* chart = charts::makeSweepChart(data, metric, axis);
  if (!result_) chart->setTitle(tr("Run a sweep or open a sweep.json"));
  QChart* old = chart_->chart();
  chart_->setChart(chart);
  delete old;
  // A click on a strategy's line picks the nearest of its points.
  for (QAbstractSeries* s : chart->series()) {
    auto* xy = qobject_cast<QXYSeries*>(s);
    if (!xy) continue;
    connect(xy, &QXYSeries::clicked, this, [this, metric, axis](const QPointF& at) {
      if (!result_) return;
      int best = -1;
      double bestDistance = INFINITY;
      for (int i = 0; i < int(result_->points.size()); ++i) {
        const SweepPoint& p = result_->points[size_t(i)];
        const double x = axis == charts::SweepAxis::Density ? p.density : p.attentionRatio;
        const double y = metric == charts::SweepMetric::Psnr ? p.psnr : p.ssim;
        // Distance in screen pixels, so both axes count alike.
        const QPointF d = chart_->chart()->mapToPosition(QPointF(x, y)) - chart_->chart()->mapToPosition(at);
        const double distance = std::hypot(d.x(), d.y());
        if (std::isfinite(distance) && distance < bestDistance) bestDistance = distance, best = i;
      }
      if (best >= 0) openPoint(best);
    });
  }
}

bool SweepPanel::savePng(const QString& path) {
  if (!result_) {
    fail(tr("There is no sweep to draw yet."));
    return false;
  }
  if (!charts::renderSweepImage(sweepChartData(*result_)).save(path, "PNG")) {
    fail(tr("Could not write %1").arg(path));
    return false;
  }
  message_->setText(tr("Wrote %1").arg(path));
  return true;
}

std::map<QString, QList<QPointF>> SweepPanel::chartPoints() const {
  std::map<QString, QList<QPointF>> out;
  for (QAbstractSeries* s : chart_->chart()->series())
    if (auto* xy = qobject_cast<QXYSeries*>(s)) out[xy->name()] += xy->points();
  return out;
}

bool SweepPanel::openPoint(int index) {
  if (!result_ || index < 0 || index >= int(result_->points.size())) return false;
  const SweepPoint point = result_->points[size_t(index)];
  const std::string densePath = result_->denseVideo;
  chosen_ = index;
  openPlan_->setEnabled(!point.plan.empty());
  std::shared_ptr<const VideoFrames> cached = densePath == denseCachePath_ ? denseCache_ : nullptr;
  for (int r = 0; r < table_->rowCount(); ++r)
    if (table_->item(r, Strategy)->data(Qt::UserRole).toInt() == index) {
      QSignalBlocker block(table_);
      table_->selectRow(r);
    }
  message_->setText(tr("Loading %1…").arg(QString::fromStdString(point.video)));
  // A newer click wins: wait for the one loading (they take milliseconds) rather than queue.
  const bool started = loader_->start(tr("Loading point"), [this, point, densePath, cached](const JobController::Context&)
                                                               -> JobController::Deliver {
    if (point.video.empty()) throw Error("this point names no video");
    auto dense = cached ? cached : std::make_shared<const VideoFrames>(readVideo(densePath));
    auto sparse = std::make_shared<const VideoFrames>(readVideo(point.video));
    const VideoQuality quality = compareVideos(*dense, *sparse);
    return [this, point, densePath, dense, sparse, quality] {
      denseCachePath_ = densePath;
      denseCache_ = dense;
      // The sweep measured the rendered frames; the players show the decoded MP4s.
      const QString caption = tr("%1 at density %2: PSNR %3 dB, SSIM %4 on the rendered frames (%5 dB, %6 between "
                                 "the MP4s shown)")
                                  .arg(QString::fromStdString(point.strategy))
                                  .arg(point.density, 0, 'f', 3)
                                  .arg(point.psnr, 0, 'f', 2)
                                  .arg(point.ssim, 0, 'f', 4)
                                  .arg(quality.meanPsnr, 0, 'f', 2)
                                  .arg(quality.meanSsim, 0, 'f', 4);
      message_->setText(caption);
      emit pointOpened(dense, sparse, quality, caption);
    };
  });
  if (!started) message_->setText(tr("Still loading the previous point; click again."));
  return started;
}

}  // namespace attnscope::ui
