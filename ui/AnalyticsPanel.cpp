#include "ui/AnalyticsPanel.h"

#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <optional>

#include "engine/analytics/AnalyticsExport.h"
#include "ui/HeadTypesView.h"
#include "ui/JobController.h"
#include "ui/RecallView.h"
#include "ui/SinksView.h"
#include "ui/StabilityView.h"
#include "ui/Workbench.h"

namespace attnscope::ui {

// What one job computed: each report, or why it could not be computed.
struct AnalyticsPanel::Reports {
  std::shared_ptr<const AttentionAtlas> atlas;
  std::optional<SinkReport> sinks;
  std::optional<HeadTypeReport> heads;
  std::optional<StabilityReport> stability;
  std::optional<RecallReport> recall;
  QString sinksError, headsError, stabilityError, recallError;
  QStringList timings;
};

namespace {

// The entries of one captured step (sink and cross buffers only: what
// findSinks reads), so that the sink report describes that step alone.
AttentionAtlas sinksOfStep(const AttentionAtlas& atlas, int step) {
  AttentionAtlas out;
  out.modelId = atlas.modelId;
  out.grid = atlas.grid;
  out.layout = atlas.layout;
  out.heads = atlas.heads;
  out.layers = atlas.layers;
  out.totalSteps = atlas.totalSteps;
  out.textTokens = atlas.textTokens;
  for (const AtlasEntry& e : atlas.entries)
    if (e.step == step) {
      AtlasEntry copy;
      copy.step = e.step;
      copy.layer = e.layer;
      copy.sink = e.sink;
      copy.cross = e.cross;
      out.entries.push_back(std::move(copy));
    }
  return out;
}

// Runs `compute`, timing it; an exception becomes the message.
template <typename F>
void attempt(const char* name, F&& compute, QString* error, QStringList* timings) {
  QElapsedTimer clock;
  clock.start();
  try {
    compute();
    *timings << QStringLiteral("%1 %2 ms").arg(QString::fromUtf8(name)).arg(clock.nsecsElapsed() / 1e6, 0, 'f', 1);
  } catch (const std::exception& e) {
    *error = QString::fromStdString(e.what());
  }
}

}  // namespace

AnalyticsPanel::AnalyticsPanel(Workbench* bench, QWidget* parent) : QWidget(parent), bench_(bench) {
  jobs_ = new JobController(this);
  timer_ = new QTimer(this);
  timer_->setSingleShot(true);
  timer_->setInterval(120);  // spin-box arrows and paint strokes come in bursts

  auto* column = new QVBoxLayout(this);
  column->setContentsMargins(0, 0, 0, 0);
  auto* bar = new QHBoxLayout;
  bar->setContentsMargins(4, 4, 4, 0);
  step_ = new QComboBox(this);
  step_->setToolTip(tr("The captured step the sinks, head types and recall describe, or the mean over every "
                       "captured step"));
  status_ = new QLabel(this);
  status_->setToolTip(tr("How long each report took on the analytics thread"));
  export_ = new QPushButton(tr("Export CSV…"), this);
  export_->setToolTip(tr("Write the tables as CSV files into a folder (the files `attnscope-cli analyze --csv` "
                         "writes)"));
  bar->addWidget(new QLabel(tr("Step:"), this));
  bar->addWidget(step_);
  bar->addWidget(status_, 1);
  bar->addWidget(export_);
  column->addLayout(bar);
  tabs_ = new QTabWidget(this);
  tabs_->setDocumentMode(true);
  sinks_ = new SinksView(tabs_);
  heads_ = new HeadTypesView(tabs_);
  stability_ = new StabilityView(tabs_);
  recall_ = new RecallView(tabs_);
  tabs_->addTab(sinks_, tr("Sinks"));
  tabs_->addTab(heads_, tr("Head types"));
  tabs_->addTab(stability_, tr("Stability"));
  tabs_->addTab(recall_, tr("Mask recall"));
  tabs_->setTabToolTip(0, tr("Key tokens that receive far more than the uniform share of attention"));
  tabs_->setTabToolTip(1, tr("Where each head's mass goes: its frame, other frames, a window, sinks"));
  tabs_->setTabToolTip(2, tr("How similar maps and masks are from step to step"));
  tabs_->setTabToolTip(3, tr("The attention mass the current plan (or the one being previewed) keeps, per head"));
  column->addWidget(tabs_, 1);

  connect(timer_, &QTimer::timeout, this, &AnalyticsPanel::launch);
  connect(jobs_, &JobController::busyChanged, this, [this](bool busy) {
    if (!busy && pending_) launch();
  });
  connect(jobs_, &JobController::failed, this,
          [this](const QString&, const QString& message) { status_->setText(tr("Analytics failed: %1").arg(message)); });
  connect(bench_, &Workbench::atlasChanged, this, &AnalyticsPanel::atlasChanged);
  connect(bench_, &Workbench::planChanged, this, [this] { request(Recall); });
  connect(step_, &QComboBox::currentIndexChanged, this, [this] { request(Sinks | Heads | Recall); });
  connect(sinks_, &SinksView::optionsChanged, this, [this] { request(Sinks | Heads); });
  connect(heads_, &HeadTypesView::optionsChanged, this, [this] { request(Heads); });
  connect(stability_, &StabilityView::optionsChanged, this, [this] { request(Stability); });
  connect(sinks_, &SinksView::heatRequested, this, &AnalyticsPanel::heatRequested);
  connect(heads_, &HeadTypesView::headPicked, this, &AnalyticsPanel::headPicked);
  connect(recall_, &RecallView::headPicked, this, &AnalyticsPanel::headPicked);
  connect(export_, &QPushButton::clicked, this, [this] {
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Export analytics CSV into folder"));
    if (!folder.isEmpty()) exportCsv(folder);
  });
  atlasChanged();
}

AnalyticsPanel::~AnalyticsPanel() = default;

int AnalyticsPanel::step() const { return step_->currentIndex() <= 0 ? -1 : step_->currentData().toInt(); }

bool AnalyticsPanel::busy() const { return jobs_->busy() || pending_ != 0 || timer_->isActive(); }

void AnalyticsPanel::atlasChanged() {
  std::shared_ptr<const AttentionAtlas> atlas = bench_->atlas();
  {
    QSignalBlocker block(step_);
    step_->clear();
    step_->addItem(tr("mean of steps"), -1);
    if (atlas)
      for (int s : atlas->capturedSteps()) step_->addItem(tr("step %1").arg(s), s);
  }
  step_->setEnabled(atlas != nullptr);
  export_->setEnabled(false);
  last_.reset();
  request(All);
}

void AnalyticsPanel::request(int parts) {
  pending_ |= parts;
  timer_->start();
}

void AnalyticsPanel::launch() {
  if (!pending_ || jobs_->busy()) return;  // busyChanged(false) launches what waits
  std::shared_ptr<const AttentionAtlas> atlas = bench_->atlas();
  const int parts = pending_;
  pending_ = 0;
  if (!atlas) {
    const QString none = tr("No atlas: capture attention (Run dock: capture steps) or open an atlas.");
    sinks_->showReport(nullptr, none);
    heads_->showReport(nullptr, none);
    stability_->showReport(nullptr, none);
    recall_->showReport(nullptr, none);
    status_->clear();
    emit updated();
    return;
  }
  const int step = this->step();
  const SinkOptions sinkOptions = sinks_->options();
  HeadTypeOptions headOptions = heads_->options();
  headOptions.sinks = sinkOptions;
  headOptions.step = step;
  const StabilityOptions stabilityOptions = stability_->options();
  const QString otherAtlas = stability_->otherAtlas();
  std::shared_ptr<const MaskPlan> plan;
  // The plan being tuned (live preview) while there is one, else the plan.
  if ((parts & Recall) && bench_->shownPlan()) plan = std::make_shared<const MaskPlan>(*bench_->shownPlan());
  const bool preview = bench_->preview() != nullptr;
  status_->setText(tr("Computing…"));

  jobs_->start(tr("Analytics"), [this, atlas, parts, step, sinkOptions, headOptions, stabilityOptions,
                                otherAtlas, plan, preview](const JobController::Context&) -> JobController::Deliver {
    auto r = std::make_shared<Reports>();
    r->atlas = atlas;
    if (parts & Sinks)
      attempt("sinks", [&] { r->sinks = step < 0 ? findSinks(*atlas, sinkOptions)
                                                 : findSinks(sinksOfStep(*atlas, step), sinkOptions); },
              &r->sinksError, &r->timings);
    if (parts & Heads)
      attempt("head types", [&] { r->heads = classifyHeads(*atlas, headOptions); }, &r->headsError, &r->timings);
    if ((parts & Stability) && !otherAtlas.isEmpty()) {
      attempt("stability", [&] {
        const AttentionAtlas other = AttentionAtlas::load(otherAtlas.toStdString());
        r->stability = compareAtlases(*atlas, other, stabilityOptions);
      }, &r->stabilityError, &r->timings);
    } else if (parts & Stability) {
      if (atlas->capturedSteps().size() < 2)
        r->stabilityError = tr("Only one captured step: capture several steps (Run dock: capture “all”) to compare "
                               "them.");
      else
        attempt("stability", [&] { r->stability = compareSteps(*atlas, stabilityOptions); }, &r->stabilityError,
                &r->timings);
    }
    if ((parts & Recall) && plan)
      attempt("recall", [&] { r->recall = maskRecall(*atlas, *plan, step); }, &r->recallError, &r->timings);
    return [this, r, parts, otherAtlas, preview, hasPlan = plan != nullptr] {
      if (r->atlas != bench_->atlas()) return;  // a newer atlas is queued
      if (!last_ || last_->atlas != r->atlas) {
        last_ = std::make_shared<Reports>();
        last_->atlas = r->atlas;
      }
      if (parts & Sinks) {
        sinks_->showReport(r->sinks ? &*r->sinks : nullptr, tr("Sinks: %1").arg(r->sinksError));
        last_->sinks = r->sinks;
      }
      if (parts & Heads) {
        heads_->showReport(r->heads ? &*r->heads : nullptr, tr("Head types: %1").arg(r->headsError));
        last_->heads = r->heads;
      }
      if (parts & Stability) {
        stability_->showReport(r->stability ? &*r->stability : nullptr,
                               otherAtlas.isEmpty() ? r->stabilityError : tr("Stability: %1").arg(r->stabilityError));
        last_->stability = r->stability;
      }
      if (parts & Recall) {
        recall_->setPreview(preview);
        recall_->showReport(r->recall ? &*r->recall : nullptr,
                            hasPlan ? tr("Recall: %1").arg(r->recallError)
                                    : tr("No mask plan: derive, paint or open one to see what it keeps."));
        last_->recall = r->recall;
      }
      export_->setEnabled(last_->sinks || last_->heads || last_->stability || last_->recall);
      status_->setText(r->timings.join(QStringLiteral(" · ")));
      emit updated();
    };
  });
}

bool AnalyticsPanel::exportCsv(const QString& folder) {
  if (!last_) {
    status_->setText(tr("Nothing to export yet."));
    return false;
  }
  const std::string dir = QDir(folder).absolutePath().toStdString() + "/";
  try {
    if (!QDir().mkpath(folder)) throw std::runtime_error("cannot create the folder " + folder.toStdString());
    if (last_->sinks) {
      writeSinksCsv(*last_->sinks, dir + "sinks.csv");
      writeSinkTokensCsv(*last_->sinks, dir + "sink_tokens.csv");
      writeSinkMapCsv(*last_->sinks, dir + "sink_map.csv");
    }
    if (last_->heads) writeHeadsCsv(*last_->heads, dir + "heads.csv");
    if (last_->stability) writeStabilityCsv(*last_->stability, dir + "stability.csv");
    if (last_->recall) writeRecallCsv(*last_->recall, dir + "recall.csv");
  } catch (const std::exception& e) {
    status_->setText(tr("Export failed: %1").arg(QString::fromStdString(e.what())));
    return false;
  }
  status_->setText(tr("Wrote the analytics CSV files into %1").arg(folder));
  return true;
}

}  // namespace attnscope::ui
