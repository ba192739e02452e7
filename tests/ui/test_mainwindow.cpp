// The workbench driven like a user would, on the built default model with
// few denoising steps: type a prompt, click Generate, wait; select a head,
// paint a rectangle on it, undo; derive a plan; re-render and compare; look
// where a pixel attends; save and export. The engine state is checked after
// each step. Then bad input: a corrupt plan, a plan for another grid, a
// missing atlas, an unknown word, a cancelled run — a message each time, and
// the plan and runs the user has stay untouched. Writes a screenshot of the
// main window to build/attnscope-main-window.png.
#include <QAction>
#include <QCheckBox>
#include <QLabel>
#include <QTableWidget>
#include <QComboBox>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QListWidget>
#include <QMenuBar>
#include <QPushButton>
#include <QAbstractItemView>
#include <QScrollBar>
#include <QElapsedTimer>
#include <QSettings>
#include <QTimer>
#include <QTabBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QtTest>

#include <fstream>

#include "engine/io/Video.h"
#include "engine/model/ComputeDevices.h"
#include "engine/pipeline/ModelSession.h"
#include "ui/AtlasViewportWidget.h"
#include "ui/ComparePlayer.h"
#include "ui/FrameView.h"
#include "ui/JobController.h"
#include "ui/LayersPanel.h"
#include "ui/MainWindow.h"
#include "ui/MaskPanel.h"
#include "ui/MessageBanner.h"
#include "ui/PlaybackControls.h"
#include "ui/RunPanel.h"
#include "ui/RunsPanel.h"
#include "ui/VideoPlayer.h"
#include "ui/Workbench.h"

using namespace attnscope;
using namespace attnscope::ui;

namespace {

constexpr int kJobTimeoutMs = 120000;

QAction* findAction(QWidget* window, const QString& text) {
  for (QAction* a : window->findChildren<QAction*>())
    if (a->text().remove('&').startsWith(text)) return a;
  return nullptr;
}

// A viewport point whose hit is (layer, head, q, k), found by scanning.
std::optional<QPoint> pointFor(AtlasViewportWidget* v, int layer, int head, int64_t q, int64_t k) {
  for (int y = 0; y < v->height(); y += 2)
    for (int x = 0; x < v->width(); x += 2)
      if (auto hit = v->hitAt(QPointF(x, y)))
        if (hit->layer == layer && hit->head == head && hit->qBlock == q && hit->kBlock == k) return QPoint(x, y);
  return std::nullopt;
}

}  // namespace

class TestMainWindow : public QObject {
  Q_OBJECT
 private:
  std::unique_ptr<MainWindow> window_;
  QTemporaryDir dir_;

  Workbench* bench() { return window_->workbench(); }
  void waitForJobs() { QTRY_VERIFY_WITH_TIMEOUT(!window_->jobs()->busy(), kJobTimeoutMs); }

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);  // settings and run history out of the user's home
    QCoreApplication::setOrganizationName("AttnScopeTest");
    QCoreApplication::setApplicationName("AttnScopeTest");
    QSettings().clear();  // the first start: default layout
    window_ = std::make_unique<MainWindow>();
    window_->resize(1500, 950);
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    window_->loadModel(ATTNSCOPE_BINARY_DIR "/assets/default-untrained");
    QTRY_VERIFY_WITH_TIMEOUT(bench()->model() != nullptr, kJobTimeoutMs);
    QCOMPARE(window_->runPanel()->promptEdit()->text(), RunPanel::examplePrompt());
  }

  void generateCapturesAtlasAndVideo() {
    RunPanel* run = window_->runPanel();
    run->stepsBox()->setValue(3);
    run->captureEdit()->setText("all");
    run->promptEdit()->clear();
    QTest::keyClicks(run->promptEdit(), "a blue square moves right");
    QSignalSpy progress(window_->jobs(), &JobController::progress);
    QTest::mouseClick(run->generateButton(), Qt::LeftButton);
    QVERIFY(window_->jobs()->busy());  // the click returned while the model runs
    QVERIFY(!run->generateButton()->isEnabled());
    QVERIFY(run->cancelButton()->isEnabled());
    // How long the event loop goes unserved while the model runs (reported, not asserted: shared machines).
    QElapsedTimer clock;
    clock.start();
    qint64 last = 0, longest = 0;
    QTimer tick;
    connect(&tick, &QTimer::timeout, [&] {
      longest = std::max(longest, clock.elapsed() - last);
      last = clock.elapsed();
    });
    tick.start(10);
    waitForJobs();
    tick.stop();
    qInfo("generate (3 steps, capture all): %lld ms; longest event-loop gap %lld ms", clock.elapsed(), longest);
    QVERIFY2(window_->lastError().isEmpty(), qPrintable(window_->lastError()));
    QCOMPARE(progress.count(), 3);  // one report per denoising step
    auto dense = bench()->dense();
    QVERIFY(dense);
    QCOMPARE(dense->request.prompt, std::string("a blue square moves right"));
    QCOMPARE(dense->video.frames, int64_t(16));
    QCOMPARE(dense->video.width, int64_t(64));
    QVERIFY(bench()->atlas());
    QCOMPARE(bench()->atlas()->capturedSteps(), (std::vector<int>{0, 1, 2}));
    QCOMPARE(bench()->atlas()->entries.size(), size_t(3 * 6));
    QVERIFY(bench()->plan());
    QCOMPARE(bench()->plan()->density(), 1.0);  // a fresh all-kept plan to paint on
    QCOMPARE(window_->videoPlayer()->controls()->isEnabled(), true);
    QCOMPARE(window_->runsPanel()->runs().front().command, std::string("gui-capture"));
  }

  void selectHeadAndPaintRectangle() {
    // Pick layer 2, head 1 in the navigator; G zooms in.
    QTreeWidget* tree = window_->layersPanel()->headTree();
    tree->setCurrentItem(tree->topLevelItem(2)->child(1));
    QCOMPARE(window_->viewport()->view().layer, 2);
    QCOMPARE(window_->viewport()->view().head, 1);
    window_->centralTabs()->setCurrentIndex(0);
    AtlasViewportWidget* vp = window_->viewport();
    QTest::keyClick(vp, Qt::Key_G);
    QCOMPARE(vp->view().mode, viz::ViewMode::Zoom);

    const MaskPlan before = *bench()->plan();
    QVERIFY(!window_->maskPanel()->keep());  // paints "mask out" by default
    QVERIFY2(vp->available(), qPrintable(vp->unavailableReason()));
    QTRY_VERIFY_WITH_TIMEOUT(vp->hasAtlas(), kJobTimeoutMs);  // uploaded off the GUI thread
    // Drag a rectangle from block (q 1, k 2) to (q 4, k 6).
    auto from = pointFor(vp, 2, 1, 1, 2), to = pointFor(vp, 2, 1, 4, 6);
    QVERIFY(from && to);
    QTest::mousePress(vp, Qt::LeftButton, {}, *from);
    QTest::mouseMove(vp, (*from + *to) / 2);
    QTest::mouseMove(vp, *to);
    QTest::mouseRelease(vp, Qt::LeftButton, {}, *to);
    const MaskPlan& plan = *bench()->plan();
    const BlockMask& m = plan.mask(2, 1);
    QCOMPARE(m.kept(), m.nq() * m.nk() - 4 * 5);
    for (int64_t q = 1; q <= 4; ++q)
      for (int64_t k = 2; k <= 6; ++k) QVERIFY(!m.get(q, k));
    QVERIFY(plan.mask(2, 0).full());
    QVERIFY(window_->maskPanel()->densityLabel()->text().contains(
        QString::number((1.0 - 20.0 / double(m.nq() * m.nk())) * 100, 'f', 1)));

    // Undo through the Edit menu; redo; undo again.
    QAction* undo = findAction(window_.get(), "Undo");
    QVERIFY(undo && undo->isEnabled());
    undo->trigger();
    QVERIFY(bench()->plan()->masks == before.masks);
    findAction(window_.get(), "Redo")->trigger();
    QCOMPARE(bench()->plan()->mask(2, 1).kept(), m.nq() * m.nk() - 20);
    undo->trigger();
    QVERIFY(bench()->plan()->masks == before.masks);

    // A brush stroke across three blocks of a row is one undo step.
    window_->maskPanel()->setTool(viz::BrushTool::Brush);
    vp->setTool(viz::BrushTool::Brush);
    auto a = pointFor(vp, 2, 1, 7, 3), b = pointFor(vp, 2, 1, 7, 4), c = pointFor(vp, 2, 1, 7, 5);
    QVERIFY(a && b && c);
    const int steps = bench()->undoStack()->index();
    QTest::mousePress(vp, Qt::LeftButton, {}, *a);
    QTest::mouseMove(vp, *b);
    QTest::mouseMove(vp, *c);
    QTest::mouseRelease(vp, Qt::LeftButton, {}, *c);
    QCOMPARE(bench()->plan()->mask(2, 1).kept(), m.nq() * m.nk() - 3);
    QVERIFY(!bench()->plan()->mask(2, 1).get(7, 4));
    QCOMPARE(bench()->undoStack()->index(), steps + 1);
    undo->trigger();
    QVERIFY(bench()->plan()->masks == before.masks);
    vp->setTool(viz::BrushTool::Rectangle);
    window_->maskPanel()->setTool(viz::BrushTool::Rectangle);
    qInfo("viewport: %s, last frame %.1f ms at %dx%d, atlas commit on the GUI thread %.2f ms",
          qPrintable(vp->deviceName()), vp->lastRenderMs(), vp->width(), vp->height(), vp->lastCommitMs());
  }

  void deriveWithStrategy() {
    MaskPanel* masks = window_->maskPanel();
    masks->strategyBox()->setCurrentText("threshold");
    masks->targetCheck()->setChecked(true);
    masks->targetBox()->setValue(0.3);
    // Live preview shows the strategy's masks without committing them.
    QTRY_VERIFY2_WITH_TIMEOUT(bench()->preview() != nullptr, qPrintable(window_->lastError()), 20000);
    QCOMPARE(bench()->plan()->density(), 1.0);
    QTest::mouseClick(masks->deriveButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(bench()->plan()->provenance.method == "strategy", kJobTimeoutMs);
    QVERIFY(bench()->undoStack()->undoText().startsWith("Derive threshold"));
    QVERIFY(!bench()->preview());
    const MaskPlan& plan = *bench()->plan();
    QCOMPARE(plan.provenance.strategy, std::string("threshold"));
    QVERIFY2(std::abs(plan.density() - 0.3) < 0.05, qPrintable(QString::number(plan.density())));
    QVERIFY(masks->densityTable()->rowCount() == 6 && masks->densityTable()->columnCount() == 4);
  }

  void rerenderAndCompare() {
    QTest::mouseClick(window_->runPanel()->rerenderButton(), Qt::LeftButton);
    QVERIFY(window_->jobs()->busy());
    waitForJobs();
    QVERIFY2(window_->lastError().isEmpty(), qPrintable(window_->lastError()));
    auto sparse = bench()->sparse();
    QVERIFY(sparse);
    QCOMPARE(sparse->request.seed, bench()->dense()->request.seed);
    QCOMPARE(sparse->video.frames, int64_t(16));
    QVERIFY(bench()->quality());
    QCOMPARE(bench()->quality()->frames.size(), size_t(16));
    QVERIFY(bench()->quality()->meanPsnr > 0);
    QCOMPARE(window_->centralTabs()->currentWidget(), static_cast<QWidget*>(window_->comparePlayer()));
    QVERIFY(window_->comparePlayer()->differenceView()->video());
    QCOMPARE(window_->runsPanel()->runs().front().command, std::string("gui-rerender"));
  }

  void whereDoesThisPixelLook() {
    FrameView* view = window_->videoPlayer()->view();
    const QRectF r = view->frameRect();
    QTest::mouseClick(view, Qt::LeftButton, {}, r.center().toPoint());
    QVERIFY2(view->hasHeat(), qPrintable(window_->lastError()));
    window_->videoPlayer()->clearHeat();
    QListWidget* words = window_->layersPanel()->wordList();
    QVERIFY(words->count() > 0);
    words->setCurrentRow(1);
    QVERIFY(view->hasHeat());
  }

  void screenshotSaveAndExport() {
    window_->centralTabs()->setCurrentIndex(0);
    QVERIFY(window_->viewport()->hasAtlas());
    QTest::qWait(300);  // let charts and views lay themselves out, as a user would see them
    const QString shot = ATTNSCOPE_BINARY_DIR "/attnscope-main-window.png";
    QFile::remove(shot);
    QVERIFY(window_->saveSnapshot(window_.get(), shot));
    QImage image(shot);
    QVERIFY(!image.isNull() && image.width() >= 1000);

    const QString runDir = dir_.filePath("run");
    QVERIFY(window_->saveRun(runDir));
    for (const char* f : {"dense.mp4", "atlas.safetensors", "plan.json", "sparse.mp4", "run.json"})
      QVERIFY2(QFile::exists(runDir + "/" + f), f);
    QVERIFY(window_->exportSideBySide(dir_.filePath("side.mp4")));
    VideoFrames side = readVideo(dir_.filePath("side.mp4").toStdString());
    QCOMPARE(side.frames, int64_t(16));
    QCOMPARE(side.width, int64_t(3 * 64 + 2 * 4));
    QVERIFY(window_->saveSnapshot(window_->viewport(), dir_.filePath("viewport.png")));
    QVERIFY(window_->saveSnapshot(window_->comparePlayer(), ATTNSCOPE_BINARY_DIR "/attnscope-compare.png"));
    QVERIFY(!QImage(dir_.filePath("viewport.png")).isNull());

    // The saved run opens again with its plan and comparison.
    const double density = bench()->plan()->density();
    const auto atlasBefore = bench()->atlas();
    QVERIFY(window_->openRun(runDir));
    QVERIFY(window_->jobs()->busy());  // read on the worker, not the GUI thread
    waitForJobs();
    QVERIFY(bench()->atlas() != atlasBefore);  // the run's own atlas arrived
    QCOMPARE(bench()->plan()->density(), density);
    QVERIFY(bench()->sparse() && bench()->quality());
    QVERIFY(bench()->atlas() && bench()->atlas()->entries.size() == 18);
  }

  void badInputIsAMessage() {
    const MaskPlan before = *bench()->plan();
    const auto dense = bench()->dense();

    // Corrupt plan file.
    const QString corrupt = dir_.filePath("corrupt.json");
    std::ofstream(corrupt.toStdString()) << "{\"format\": \"attnscope.maskplan\", \"version\": 1, \"masks\": [";
    QVERIFY(!window_->openPlan(corrupt));
    QVERIFY(window_->banner()->text().contains("Could not open the plan"));
    QVERIFY(bench()->plan()->masks == before.masks);

    // A plan for another grid and model.
    const QString other = dir_.filePath("other.json");
    MaskPlan::full("other-model", TokenGrid::parse("4x4x4"), BlockLayout::linear(16), 2, 2).save(other.toStdString());
    QVERIFY(!window_->openPlan(other));
    QVERIFY2(window_->banner()->text().contains("was made for"), qPrintable(window_->banner()->text()));
    QVERIFY(bench()->plan()->masks == before.masks);

    // Missing file.
    QVERIFY(!window_->openAtlas(dir_.filePath("missing.safetensors")));
    QVERIFY(window_->banner()->text().contains("missing.safetensors"));
    QVERIFY(bench()->atlas());

    // A file that is not an atlas: the loading job fails with a message, the atlas stays.
    const auto atlasBefore = bench()->atlas();
    const QString notAtlas = dir_.filePath("not-an-atlas.safetensors");
    std::ofstream(notAtlas.toStdString()) << "this is not a safetensors file";
    QVERIFY(window_->openAtlas(notAtlas));
    waitForJobs();
    QVERIFY2(window_->banner()->text().contains("Opening atlas"), qPrintable(window_->banner()->text()));
    QCOMPARE(bench()->atlas(), atlasBefore);

    // A folder that is not a saved run.
    QVERIFY(window_->openRun(dir_.filePath("no-run-here")));
    waitForJobs();
    QVERIFY2(window_->banner()->text().contains("run.json"), qPrintable(window_->banner()->text()));
    QCOMPARE(bench()->dense(), dense);

    // A word the model does not know: the job fails with a message.
    window_->runPanel()->promptEdit()->setText("a zebra circle");
    QVERIFY(window_->generate());
    waitForJobs();
    QVERIFY2(window_->banner()->text().contains("zebra"), qPrintable(window_->banner()->text()));
    QCOMPARE(bench()->dense(), dense);

    // Cancel a long run right away: nothing replaced.
    window_->runPanel()->promptEdit()->setText(RunPanel::examplePrompt());
    window_->runPanel()->stepsBox()->setValue(200);
    QVERIFY(window_->generate());
    QTest::mouseClick(window_->runPanel()->cancelButton(), Qt::LeftButton);
    waitForJobs();
    QVERIFY(window_->banner()->text().contains("cancelled"));
    QCOMPARE(bench()->dense(), dense);
    QVERIFY(bench()->plan()->masks == before.masks);

    // A model folder that is not there: a message; the runs and the plan stay.
    window_->loadModel(dir_.filePath("no-such-model"));
    waitForJobs();
    QVERIFY2(window_->banner()->text().contains("no-such-model"), qPrintable(window_->banner()->text()));
    QVERIFY(!window_->generate());  // no model: refused with a message, nothing started
    QVERIFY(!window_->jobs()->busy());
    QCOMPARE(bench()->dense(), dense);
    QVERIFY(bench()->plan()->masks == before.masks);
  }

  void everyControlHasATooltip() {
    QStringList missing;
    for (QWidget* w : window_->findChildren<QWidget*>()) {
      const bool control = qobject_cast<QAbstractButton*>(w) || qobject_cast<QComboBox*>(w) ||
                           qobject_cast<QAbstractSpinBox*>(w) || qobject_cast<QLineEdit*>(w) ||
                           qobject_cast<QAbstractSlider*>(w);
      if (!control || w->objectName().startsWith("qt_") || qobject_cast<QScrollBar*>(w))
        continue;  // Qt's own dock and tab-bar buttons, scroll bars
      if (qobject_cast<QAbstractSpinBox*>(w->parentWidget()) || qobject_cast<QComboBox*>(w->parentWidget()) ||
          qobject_cast<QTabBar*>(w->parentWidget()) || qobject_cast<QLineEdit*>(w->parentWidget()) ||
          qobject_cast<QAbstractItemView*>(w->parentWidget()))
        continue;  // parts of a control (arrows, clear buttons, table corners)
      if (w->toolTip().isEmpty()) missing << QString("%1 '%2'").arg(w->metaObject()->className(), w->objectName());
    }
    QVERIFY2(missing.isEmpty(), qPrintable(missing.join(", ")));
  }

  // The Run dock's Device combo reloads the model on the chosen device, as a
  // job on the worker thread; a device this build or machine lacks is a
  // message naming CUDA, and choosing the CPU again brings the model back.
  void choosingADeviceReloadsTheModel() {
    window_->loadModel(ATTNSCOPE_BINARY_DIR "/assets/default-untrained");  // badInputIsAMessage left none
    waitForJobs();
    QVERIFY(bench()->model());
    RunPanel* run = window_->runPanel();
    QCOMPARE(run->deviceBox()->itemText(0), QString("CPU"));
    QCOMPARE(run->deviceBox()->isEnabled(), computeDevices().size() > 1);
    const std::shared_ptr<ModelSession> before = bench()->model();
    run->setDevices({{"cpu", "CPU"}, {"cuda:0", "CUDA 0 · test"}}, "");  // as on a GPU machine
    QSignalSpy started(window_->jobs(), &JobController::started);
    run->deviceBox()->setCurrentIndex(1);
    QCOMPARE(started.count(), 1);
    QCOMPARE(started.first().at(0).toString(), QString("Loading model"));
    QVERIFY(window_->jobs()->busy());  // the GUI thread did not load it
    QVERIFY(!run->deviceBox()->isEnabled());
    waitForJobs();
    if (cudaUnavailableReason().empty()) {
      QVERIFY(bench()->model() && bench()->model() != before);
    } else {
      QVERIFY(!bench()->model());
      QVERIFY2(window_->banner()->text().contains("CUDA"), qPrintable(window_->banner()->text()));
    }
    run->deviceBox()->setCurrentIndex(0);
    QCOMPARE(started.count(), 2);
    waitForJobs();
    QVERIFY(bench()->model() && bench()->model() != before);
    QCOMPARE(run->device(), QString("cpu"));
    run->setDevices(computeDevices(), QString::fromStdString(cudaUnavailableReason()));
  }

  void layoutIsRemembered() {
    // Hide a dock and resize; a new window comes back the same way.
    window_->findChild<QDockWidget*>("RunsDock")->hide();
    window_->resize(1300, 820);
    QTest::qWait(50);
    const QSize size = window_->size();
    window_->close();  // saves geometry and dock state
    MainWindow second;
    second.show();
    QVERIFY(QTest::qWaitForWindowExposed(&second));
    QVERIFY(second.findChild<QDockWidget*>("RunsDock")->isHidden());
    QVERIFY(!second.findChild<QDockWidget*>("MasksDock")->isHidden());
    QCOMPARE(second.size(), size);
    second.close();
  }
};

QTEST_MAIN(TestMainWindow)
#include "test_mainwindow.moc"
