// MainWindow: the engine jobs (the same functions attnscope-cli calls) and
// the atlas look-ups drawn on the video.
#include <QFileInfo>
#include <QLabel>
#include <QStatusBar>
#include <QTabWidget>

#include <nlohmann/json.hpp>

#include "engine/atlas/AtlasQueries.h"
#include "engine/core/Error.h"
#include "engine/pipeline/StepList.h"
#include "ui/AtlasViewportWidget.h"
#include "ui/FrameView.h"
#include "ui/JobController.h"
#include "ui/LayersPanel.h"
#include "ui/MainWindow.h"
#include "ui/MaskPanel.h"
#include "ui/RunPanel.h"
#include "ui/RunsPanel.h"
#include "ui/VideoPlayer.h"
#include "ui/Workbench.h"

namespace attnscope::ui {

void MainWindow::connectJobs() {
  connect(jobs_, &JobController::busyChanged, this, [this](bool busy) {
    runPanel_->setBusy(busy, jobs_->label());
    jobLabel_->setText(busy ? jobs_->label() + QStringLiteral("…") : QString());
  });
  connect(jobs_, &JobController::progress, runPanel_, &RunPanel::setProgress);
  connect(jobs_, &JobController::finished, this, [this](const QString& label, double seconds) {
    statusBar()->showMessage(tr("%1 done in %2 s").arg(label).arg(seconds, 0, 'f', 2), 8000);
  });
  connect(jobs_, &JobController::failed, this, [this](const QString& label, const QString& message) {
    runPanel_->setStatus(tr("%1 stopped: %2").arg(label, message));
    showError(tr("%1: %2").arg(label, message));
  });
  connect(runPanel_, &RunPanel::generateRequested, this, [this] { generate(); });
  connect(runPanel_, &RunPanel::rerenderRequested, this, [this] { rerender(); });
  connect(runPanel_, &RunPanel::cancelRequested, jobs_, &JobController::cancel);
  connect(runPanel_, &RunPanel::openModelRequested, this, [this] {
    QString p = askOpenPath(tr("Model config"), tr("Model config (config.json);;All files (*)"));
    if (!p.isEmpty()) loadModel(p);
  });
  // Another device: the same model again, loaded there (on the worker thread).
  connect(runPanel_, &RunPanel::deviceChanged, this, [this] {
    if (!bench_->modelPath().isEmpty()) loadModel(bench_->modelPath());
  });
  // Derive previews: one at a time, the latest settings win.
  connect(previewJobs_, &JobController::busyChanged, this, [this](bool busy) {
    if (!busy && previewPending_) {
      previewPending_ = false;
      deriveNow(true);
    }
  });
  connect(previewJobs_, &JobController::failed, this, [this](const QString&, const QString& message) {
    maskPanel_->showDeriveResult(tr("Preview failed: %1").arg(message));
  });
}

void MainWindow::loadModel(const QString& path) {
  if (jobs_->busy()) {  // the running job may be using the current model
    showError(tr("Wait for %1 to finish (or cancel it) before loading another model.").arg(jobs_->label()));
    return;
  }
  bench_->setModel(nullptr, path);
  runPanel_->setModel(path, nullptr);
  const std::string p = path.toStdString();
  const QString device = runPanel_->device();
  jobs_->start(tr("Loading model"), [this, p, path, device](const JobController::Context&) -> JobController::Deliver {
    std::shared_ptr<ModelSession> model = ModelSession::load(p, device.toStdString());
    return [this, model, path, device] {
      bench_->setModel(model, path);
      runPanel_->setStatus(tr("Model %1 ready on %2.").arg(QString::fromStdString(model->config().modelId), device));
    };
  });
}

bool MainWindow::generate() {
  std::shared_ptr<ModelSession> model = bench_->model();
  if (!model) {
    showError(tr("No model is loaded (File ▸ Open Model…)."));
    return false;
  }
  GenerationRequest request = runPanel_->request();
  if (request.prompt.empty()) {
    showError(tr("Type a prompt first."));
    return false;
  }
  const std::string captureText = runPanel_->captureSteps().toStdString();
  RunPanel* panel = runPanel_;
  RunOptions options;
  try {  // settings errors surface before any work starts
    GenerationRequest resolved = model->resolve(request);
    if (!captureText.empty()) {
      options.captureSteps = parseStepList(captureText, resolved.steps);
      options.captureLayout = panel->captureLayout(model->tokenGrid(resolved));
    }
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()));
    return false;
  }
  const bool started = jobs_->start(
      options.captureSteps.empty() ? tr("Generating") : tr("Generating + capture"),
      [this, model, request, options](const JobController::Context& ctx) mutable -> JobController::Deliver {
        options.progress = ctx.progress;
        options.cancel = ctx.cancel;
        auto result = std::make_shared<GenerationResult>(model->generate(request, options));
        return [this, result] {
          bench_->setDense(result);
          recordRun(result->atlas.entries.empty() ? "gui-generate" : "gui-capture", *result, "", 1.0);
          runPanel_->setStatus(tr("Generated %1 frames in %2 s (attention %3 s)%4")
                                   .arg(result->video.frames)
                                   .arg(result->timings.total, 0, 'f', 2)
                                   .arg(result->timings.attention, 0, 'f', 2)
                                   .arg(result->atlas.entries.empty()
                                            ? QString()
                                            : tr("; captured %1 step/layer maps").arg(result->atlas.entries.size())));
          tabs_->setCurrentIndex(0);
        };
      });
  if (!started) showError(tr("A job is already running (%1); wait or cancel it.").arg(jobs_->label()));
  return started;
}

bool MainWindow::rerender() {
  std::shared_ptr<ModelSession> model = bench_->model();
  std::shared_ptr<const GenerationResult> dense = bench_->dense();
  const MaskPlan* plan = bench_->plan();
  if (!model || !dense || !plan) {
    showError(!model ? tr("No model is loaded.")
                     : !dense ? tr("Generate a dense run first: the re-render repeats its prompt and seed.")
                              : tr("There is no mask plan to re-render with."));
    return false;
  }
  auto planCopy = std::make_shared<const MaskPlan>(*plan);  // later edits must not race the job
  const bool started = jobs_->start(
      tr("Re-rendering with the plan"),
      [this, model, dense, planCopy](const JobController::Context& ctx) -> JobController::Deliver {
        RunOptions options;
        options.mask = planCopy.get();
        options.progress = ctx.progress;
        options.cancel = ctx.cancel;
        auto sparse = std::make_shared<GenerationResult>(model->generate(dense->request, options));
        VideoQuality quality = compareVideos(dense->video, sparse->video);
        return [this, sparse, quality, planCopy] {
          bench_->setSparse(sparse, quality);
          recordRun("gui-rerender", *sparse, planCopy->loadedFrom, planCopy->density());
          runPanel_->setStatus(tr("Re-rendered at density %1: PSNR %2 dB, SSIM %3, attention %4 s")
                                   .arg(planCopy->density(), 0, 'f', 3)
                                   .arg(quality.meanPsnr, 0, 'f', 2)
                                   .arg(quality.meanSsim, 0, 'f', 4)
                                   .arg(sparse->timings.attention, 0, 'f', 2));
          tabs_->setCurrentIndex(1);
        };
      });
  if (!started) showError(tr("A job is already running (%1); wait or cancel it.").arg(jobs_->label()));
  return started;
}

bool MainWindow::derive(bool preview) {
  if (preview && previewJobs_->busy()) {
    previewPending_ = true;
    return true;
  }
  return deriveNow(preview);
}

bool MainWindow::deriveNow(bool preview) {
  std::shared_ptr<const AttentionAtlas> atlas = bench_->atlas();
  if (!atlas) {
    if (!preview) showError(tr("Derive needs a captured atlas: generate with capture steps or open an atlas."));
    return false;
  }
  DeriveRequest request;
  try {
    request = maskPanel_->deriveRequest();
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()));
    return false;
  }
  request.source = "gui";
  JobController* runner = preview ? previewJobs_ : jobs_;
  const bool started = runner->start(
      preview ? tr("Preview") : tr("Deriving"),
      [this, atlas, request, preview](const JobController::Context&) -> JobController::Deliver {
        auto result = std::make_shared<DeriveResult>(derivePlan(*atlas, request));
        return [this, result, preview, request] {
          const QString text = tr("%1: density %2, kept attention mass %3")
                                   .arg(QString::fromStdString(request.strategy))
                                   .arg(result->density, 0, 'f', 3)
                                   .arg(result->keptMass, 0, 'f', 3);
          if (preview) {
            if (!maskPanel_->livePreview()) return;  // switched off meanwhile
            bench_->setPreview(result->plan);
            maskPanel_->showDeriveResult(tr("Preview — %1").arg(text));
          } else {
            bench_->setPreview(std::nullopt);
            bench_->replacePlan(result->plan, tr("Derive %1 (%2)")
                                                  .arg(QString::fromStdString(request.strategy))
                                                  .arg(result->density, 0, 'f', 3));
            maskPanel_->showDeriveResult(tr("Applied — %1").arg(text));
          }
        };
      });
  if (!started && !preview) showError(tr("A job is already running (%1); wait or cancel it.").arg(jobs_->label()));
  return started;
}

void MainWindow::showPixelLook(int frame, double x, double y) {
  std::shared_ptr<const AttentionAtlas> atlas = bench_->atlas();
  std::shared_ptr<const VideoFrames> video = bench_->video();
  if (!atlas || !video) return showNotice(tr("Capture attention first to see where a pixel looks."));
  const viz::ViewState v = viewport_->view();
  const bool mean = layersPanel_->averageHeads();
  try {
    const int64_t token = tokenAtPixel(atlas->grid, frame, x, y, video->frames, video->height, video->width);
    std::vector<float> heat = pixelHeat(*atlas, layersPanel_->chosenStep(), v.layer, mean ? -1 : v.head, token);
    videoPlayer_->setHeat(std::move(heat), atlas->grid,
                          tr("Where (%1, %2) of frame %3 looks · layer %4, %5")
                              .arg(int(x)).arg(int(y)).arg(frame + 1).arg(v.layer)
                              .arg(mean ? tr("mean of heads") : tr("head %1").arg(v.head)));
    videoPlayer_->view()->setMarker(QPointF(x, y));
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()));
  }
}

void MainWindow::showWordMap(int textToken) {
  std::shared_ptr<const AttentionAtlas> atlas = bench_->atlas();
  if (!atlas) return;
  const viz::ViewState v = viewport_->view();
  const bool mean = layersPanel_->averageHeads();
  try {
    std::vector<float> heat = crossHeat(*atlas, layersPanel_->chosenStep(), v.layer, mean ? -1 : v.head, textToken);
    videoPlayer_->view()->setMarker(std::nullopt);
    videoPlayer_->setHeat(std::move(heat), atlas->grid,
                          tr("Cross-attention to “%1” · layer %2, %3")
                              .arg(QString::fromStdString(atlas->textTokens.at(textToken)))
                              .arg(v.layer)
                              .arg(mean ? tr("mean of heads") : tr("head %1").arg(v.head)));
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()));
  }
}

void MainWindow::recordRun(const std::string& command, const GenerationResult& run, const std::string& maskPath,
                           double maskDensity) {
  RunRecord r;
  r.command = command;
  r.modelId = bench_->model() ? bench_->model()->config().modelId : "";
  r.prompt = run.request.prompt;
  r.seed = run.request.seed;
  r.steps = run.request.steps;
  r.grid = run.grid.str();
  r.maskPath = maskPath;
  r.maskDensity = maskDensity;
  r.totalSeconds = run.timings.total;
  r.attentionSeconds = run.timings.attention;
  r.settingsJson = nlohmann::json{{"frames", run.request.frames},
                                  {"height", run.request.height},
                                  {"width", run.request.width},
                                  {"guidance", run.request.guidance},
                                  {"shift", run.request.shift},
                                  {"captured_maps", run.atlas.entries.size()}}
                       .dump();
  QString error;
  if (!runsPanel_->record(r, &error)) statusBar()->showMessage(tr("Run not recorded: %1").arg(error), 8000);
}

}  // namespace attnscope::ui
