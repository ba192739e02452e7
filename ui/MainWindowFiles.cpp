// MainWindow: files. Runs, atlases and plans in the engine's formats; videos
// through the engine's MP4 reader/writer; PNG snapshots through QImage. Every
// failure is a message; what the user has open stays as it was.
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QImage>
#include <QSettings>
#include <QStatusBar>

#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/core/Error.h"
#include "engine/metrics/ComparisonVideo.h"
#include "ui/AtlasViewportWidget.h"
#include "ui/JobController.h"
#include "ui/MainWindow.h"
#include "ui/RunsPanel.h"
#include "ui/Workbench.h"

namespace attnscope::ui {

namespace {

nlohmann::json timingsJson(const StageTimings& t) {
  return {{"total_s", t.total}, {"attention_s", t.attention}, {"text_s", t.text}, {"denoise_s", t.denoise},
          {"decode_s", t.decode}};
}

StageTimings timingsFrom(const nlohmann::json& j) {
  StageTimings t;
  t.total = j.value("total_s", 0.0);
  t.attention = j.value("attention_s", 0.0);
  t.text = j.value("text_s", 0.0);
  t.denoise = j.value("denoise_s", 0.0);
  t.decode = j.value("decode_s", 0.0);
  return t;
}

std::string inFolder(const QString& folder, const char* name) { return QDir(folder).filePath(name).toStdString(); }

}  // namespace

QString MainWindow::askSavePath(const QString& title, const QString& filter, const QString& suffix) {
  QSettings settings;
  QString path = QFileDialog::getSaveFileName(this, title, settings.value("files/last").toString(), filter);
  if (path.isEmpty()) return path;
  if (QFileInfo(path).suffix().isEmpty()) path += "." + suffix;
  settings.setValue("files/last", QFileInfo(path).absolutePath());
  return path;
}

QString MainWindow::askOpenPath(const QString& title, const QString& filter) {
  QSettings settings;
  QString path = QFileDialog::getOpenFileName(this, title, settings.value("files/last").toString(), filter);
  if (!path.isEmpty()) settings.setValue("files/last", QFileInfo(path).absolutePath());
  return path;
}

bool MainWindow::openPlan(const QString& path) {
  try {
    MaskPlan plan = MaskPlan::load(path.toStdString());
    if (std::shared_ptr<const AttentionAtlas> atlas = bench_->atlas()) {
      plan.checkCompatible(atlas->modelId, atlas->grid, atlas->layers, atlas->heads);
      if (plan.layout != atlas->layout)
        throw Error(path.toStdString() + " uses blocks " + plan.layout.str() + "; the atlas uses " +
                    atlas->layout.str());
    }
    bench_->setPreview(std::nullopt);
    bench_->replacePlan(plan, tr("Open %1").arg(QFileInfo(path).fileName()));
    statusBar()->showMessage(tr("Opened plan %1 (density %2)").arg(path).arg(plan.density(), 0, 'f', 3), 6000);
    return true;
  } catch (const std::exception& e) {
    showError(tr("Could not open the plan: %1").arg(QString::fromStdString(e.what())));
    return false;
  }
}

bool MainWindow::savePlan(const QString& path) {
  if (!bench_->plan()) {
    showError(tr("There is no mask plan to save."));
    return false;
  }
  try {
    bench_->plan()->save(path.toStdString());
    statusBar()->showMessage(tr("Saved plan %1").arg(path), 6000);
    return true;
  } catch (const std::exception& e) {
    showError(tr("Could not save the plan: %1").arg(QString::fromStdString(e.what())));
    return false;
  }
}

bool MainWindow::openAtlas(const QString& path) {
  // Read on the job worker: a Wan atlas is hundreds of MB. A file that fails
  // to load is a message (the job's), and the atlas on screen stays.
  if (!QFileInfo::exists(path)) {
    showError(tr("Could not open the atlas: %1 does not exist").arg(path));
    return false;
  }
  if (!fileJobCanStart(tr("opening an atlas"))) return false;
  const std::string file = path.toStdString();
  return jobs_->start(tr("Opening atlas"), [this, file, path](const JobController::Context&) -> JobController::Deliver {
    auto atlas = std::make_shared<const AttentionAtlas>(AttentionAtlas::load(file));
    return [this, atlas, path] {
      bench_->setAtlas(atlas);
      statusBar()->showMessage(tr("Opened atlas %1 (%2 maps)").arg(path).arg(atlas->entries.size()), 6000);
    };
  });
}

bool MainWindow::fileJobCanStart(const QString& what) {
  if (!jobs_->busy()) return true;
  showError(tr("Wait for %1 to finish (or cancel it) before %2.").arg(jobs_->label(), what));
  return false;
}

bool MainWindow::saveAtlas(const QString& path) {
  if (!bench_->atlas()) {
    showError(tr("There is no atlas to save: generate with capture steps first."));
    return false;
  }
  try {
    bench_->atlas()->save(path.toStdString());
    statusBar()->showMessage(tr("Saved atlas %1").arg(path), 6000);
    return true;
  } catch (const std::exception& e) {
    showError(tr("Could not save the atlas: %1").arg(QString::fromStdString(e.what())));
    return false;
  }
}

bool MainWindow::openVideo(const QString& path) {
  try {
    bench_->setVideo(std::make_shared<const VideoFrames>(readVideo(path.toStdString())));
    return true;
  } catch (const std::exception& e) {
    showError(tr("Could not open the video: %1").arg(QString::fromStdString(e.what())));
    return false;
  }
}

bool MainWindow::saveRun(const QString& folder) {
  std::shared_ptr<const GenerationResult> dense = bench_->dense();
  if (!dense) {
    showError(tr("There is no run to save: generate first."));
    return false;
  }
  try {
    if (!QDir().mkpath(folder)) throw Error("cannot create the folder " + folder.toStdString());
    RunRecord record;
    record.command = "gui-save";
    record.videoPath = inFolder(folder, "dense.mp4");
    writeMp4(record.videoPath, dense->video);
    nlohmann::json run = {{"format", "attnscope.run"},
                          {"version", 1},
                          {"model", bench_->model() ? bench_->model()->config().modelId : ""},
                          {"prompt", dense->request.prompt},
                          {"seed", dense->request.seed},
                          {"steps", dense->request.steps},
                          {"frames", dense->request.frames},
                          {"height", dense->request.height},
                          {"width", dense->request.width},
                          {"guidance", dense->request.guidance},
                          {"shift", dense->request.shift},
                          {"grid", dense->grid.str()},
                          {"dense_timings", timingsJson(dense->timings)}};
    if (bench_->atlas()) {
      record.atlasPath = inFolder(folder, "atlas.safetensors");
      bench_->atlas()->save(record.atlasPath);
    }
    if (const MaskPlan* plan = bench_->plan()) {
      record.maskPath = inFolder(folder, "plan.json");
      plan->save(record.maskPath);
      record.maskDensity = plan->density();
    }
    if (std::shared_ptr<const GenerationResult> sparse = bench_->sparse()) {
      writeMp4(inFolder(folder, "sparse.mp4"), sparse->video);
      run["sparse_timings"] = timingsJson(sparse->timings);
    }
    std::ofstream(inFolder(folder, "run.json")) << run.dump(2) << "\n";
    record.modelId = run["model"];
    record.prompt = dense->request.prompt;
    record.seed = dense->request.seed;
    record.steps = dense->request.steps;
    record.grid = dense->grid.str();
    record.totalSeconds = dense->timings.total;
    record.attentionSeconds = dense->timings.attention;
    record.settingsJson = run.dump();
    QString error;
    if (!runsPanel_->record(record, &error)) throw Error(error.toStdString());
    statusBar()->showMessage(tr("Saved the run into %1").arg(folder), 6000);
    return true;
  } catch (const std::exception& e) {
    showError(tr("Could not save the run: %1").arg(QString::fromStdString(e.what())));
    return false;
  }
}

bool MainWindow::openRun(const QString& folder) {
  // Read on the job worker (two videos, an atlas, their comparison), then
  // applied at once on the GUI thread: a broken file leaves the window as it was.
  if (!fileJobCanStart(tr("opening a run"))) return false;
  return jobs_->start(tr("Opening run"), [this, folder](const JobController::Context&) -> JobController::Deliver {
    std::ifstream in(inFolder(folder, "run.json"));
    if (!in) throw Error(inFolder(folder, "run.json") + " is missing: not a folder written by Save Run");
    nlohmann::json run;
    try {
      in >> run;
    } catch (const std::exception& e) {
      throw Error(inFolder(folder, "run.json") + " is not valid JSON: " + e.what());
    }
    if (run.value("format", "") != "attnscope.run") throw Error(inFolder(folder, "run.json") + " is not an AttnScope run");
    auto dense = std::make_shared<GenerationResult>();
    dense->video = readVideo(inFolder(folder, "dense.mp4"));
    dense->request.prompt = run.value("prompt", "");
    dense->request.seed = run.value("seed", uint64_t(0));
    dense->request.steps = run.value("steps", 0);
    dense->request.frames = run.value("frames", int64_t(0));
    dense->request.height = run.value("height", int64_t(0));
    dense->request.width = run.value("width", int64_t(0));
    dense->request.guidance = run.value("guidance", -1.0);
    dense->request.shift = run.value("shift", -1.0);
    dense->grid = TokenGrid::parse(run.value("grid", "1x1x1"));
    if (run.contains("dense_timings")) dense->timings = timingsFrom(run["dense_timings"]);
    if (QFileInfo::exists(QString::fromStdString(inFolder(folder, "atlas.safetensors"))))
      dense->atlas = AttentionAtlas::load(inFolder(folder, "atlas.safetensors"));
    std::optional<MaskPlan> plan;
    if (QFileInfo::exists(QString::fromStdString(inFolder(folder, "plan.json"))))
      plan = MaskPlan::load(inFolder(folder, "plan.json"));
    std::shared_ptr<GenerationResult> sparse;
    std::optional<VideoQuality> quality;
    if (QFileInfo::exists(QString::fromStdString(inFolder(folder, "sparse.mp4")))) {
      sparse = std::make_shared<GenerationResult>();
      sparse->request = dense->request;
      sparse->grid = dense->grid;
      sparse->video = readVideo(inFolder(folder, "sparse.mp4"));
      if (run.contains("sparse_timings")) sparse->timings = timingsFrom(run["sparse_timings"]);
      quality = compareVideos(dense->video, sparse->video);
    }
    return [this, folder, dense, plan, sparse, quality] {
      bench_->setDense(dense);
      if (plan) bench_->replacePlan(*plan, tr("Open run %1").arg(QFileInfo(folder).fileName()));
      if (sparse) bench_->setSparse(sparse, quality);
      statusBar()->showMessage(tr("Opened the run in %1").arg(folder), 6000);
    };
  });
}

bool MainWindow::exportSideBySide(const QString& path) {
  std::shared_ptr<const VideoFrames> dense = bench_->dense() ? std::shared_ptr<const VideoFrames>(bench_->dense(), &bench_->dense()->video)
                                                             : bench_->video();
  std::shared_ptr<const GenerationResult> sparse = bench_->sparse();
  if (!dense || !sparse) {
    showError(tr("Export needs a dense run and its re-render (Run ▸ Re-render)."));
    return false;
  }
  try {
    VideoFrames difference = differenceVideo(*dense, sparse->video);
    writeMp4(path.toStdString(), sideBySide({dense.get(), &sparse->video, &difference}));
    statusBar()->showMessage(tr("Exported %1").arg(path), 6000);
    return true;
  } catch (const std::exception& e) {
    showError(tr("Could not export the video: %1").arg(QString::fromStdString(e.what())));
    return false;
  }
}

bool MainWindow::saveSnapshot(QWidget* view, const QString& path) {
  QImage image = view == viewport_ && !viewport_->image().isNull() ? viewport_->image() : view->grab().toImage();
  if (image.isNull() || !image.save(path)) {
    showError(tr("Could not write the snapshot %1").arg(path));
    return false;
  }
  statusBar()->showMessage(tr("Saved snapshot %1").arg(path), 6000);
  return true;
}

}  // namespace attnscope::ui
