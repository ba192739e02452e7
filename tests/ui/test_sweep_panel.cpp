// The Sweep and Analytics docks in the real main window, on the built default
// model: a tiny sweep (2 denoising steps, 1 strategy, 2 densities) run from
// the Sweep dock — progress, the chart's points against the sweep.json the
// engine wrote, the Pareto front — then choosing a point (in the table and
// by clicking it in the chart) loads its video next to the dense one in the
// compare players; the written sweep.json opens again with the same points.
// Bad input: unparsable densities, no strategy, a sweep that fails on the
// worker (an output folder that cannot be created), a cancelled sweep —
// a message each time and the window stays usable. The docks are in the View
// menu with their shortcuts, the Analytics dock follows the window's atlas,
// and where the user put both docks is remembered by the next window.
#include <QAction>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDockWidget>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/io/Video.h"
#include "ui/AnalyticsPanel.h"
#include "ui/ComparePlayer.h"
#include "ui/FrameView.h"
#include "ui/HeadTypesView.h"
#include "ui/JobController.h"
#include "ui/MainWindow.h"
#include "ui/MessageBanner.h"
#include "ui/RunPanel.h"
#include "ui/RunsPanel.h"
#include "ui/SinksView.h"
#include "ui/SweepPanel.h"
#include "ui/Workbench.h"

using namespace attnscope;
using namespace attnscope::ui;

namespace {
constexpr int kJobTimeoutMs = 180000;

bool sameVideo(const VideoFrames& a, const VideoFrames& b) {
  return a.frames == b.frames && a.height == b.height && a.width == b.width && a.rgb == b.rgb;
}
}  // namespace

class TestSweepPanel : public QObject {
  Q_OBJECT
 private:
  std::unique_ptr<MainWindow> window_;
  SweepPanel* sweep_ = nullptr;
  QTemporaryDir dir_;

  void tick(const QStringList& names) {
    for (int i = 0; i < sweep_->strategyList()->count(); ++i) {
      QListWidgetItem* item = sweep_->strategyList()->item(i);
      item->setCheckState(names.contains(item->text()) ? Qt::Checked : Qt::Unchecked);
    }
  }

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    quietVideoLibraryLogs();
    QCoreApplication::setOrganizationName("AttnScopeTest");
    QCoreApplication::setApplicationName("AttnScopeSweepTest");
    QSettings().clear();
    window_ = std::make_unique<MainWindow>();
    window_->resize(1500, 950);
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    sweep_ = window_->findChild<SweepPanel*>();
    QVERIFY(sweep_);
    window_->loadModel(ATTNSCOPE_BINARY_DIR "/assets/default-untrained");
    QTRY_VERIFY_WITH_TIMEOUT(window_->workbench()->model() != nullptr, kJobTimeoutMs);
    window_->runPanel()->stepsBox()->setValue(2);
  }

  void docksAreInTheViewMenu() {
    for (const auto& [name, key] : {std::pair<QString, QString>{"AnalyticsDock", "Ctrl+Shift+A"},
                                    std::pair<QString, QString>{"SweepDock", "Ctrl+Shift+W"}}) {
      auto* dock = window_->findChild<QDockWidget*>(name);
      QVERIFY2(dock, qPrintable(name));
      QCOMPARE(dock->toggleViewAction()->shortcut(), QKeySequence(key));
      QVERIFY(!dock->toggleViewAction()->toolTip().isEmpty());
      bool listed = false;
      for (QAction* a : window_->menuBar()->actions())
        if (a->menu() && a->text().remove('&') == "View") listed = a->menu()->actions().contains(dock->toggleViewAction());
      QVERIFY(listed);
      dock->toggleViewAction()->trigger();  // hide and show again
      QVERIFY(dock->isHidden());
      dock->toggleViewAction()->trigger();
      QVERIFY(!dock->isHidden());
    }
  }

  void badSettingsAreMessages() {
    tick({"threshold"});
    sweep_->densitiesEdit()->setText("0.2,abc");
    QVERIFY(!sweep_->startSweep());
    QVERIFY2(sweep_->message()->text().contains("abc"), qPrintable(sweep_->message()->text()));
    QVERIFY(window_->lastError().contains("abc"));
    QVERIFY(!window_->jobs()->busy());
    tick({});
    sweep_->densitiesEdit()->setText("0.2");
    QTest::mouseClick(sweep_->runButton(), Qt::LeftButton);
    QVERIFY(sweep_->message()->text().contains("strategy"));
    QVERIFY(!sweep_->running());
  }

  void tinySweepDrawsItsPoints() {
    tick({"threshold"});
    sweep_->densitiesEdit()->setText("0.3,0.6");
    sweep_->folderEdit()->setText(dir_.filePath("sweep"));
    const QString errorBefore = window_->lastError();
    QTest::mouseClick(sweep_->runButton(), Qt::LeftButton);
    QVERIFY(sweep_->running());
    QVERIFY(window_->jobs()->busy());
    QVERIFY(sweep_->cancelButton()->isEnabled());
    QVERIFY(!sweep_->runButton()->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(!sweep_->running(), kJobTimeoutMs);
    QCOMPARE(window_->lastError(), errorBefore);  // no new error
    QVERIFY2(sweep_->result().has_value(), qPrintable(sweep_->message()->text()));
    // 4 generations of 2 steps: capture, dense, two sparse.
    QCOMPARE(sweep_->progressBar()->maximum(), 8);
    QCOMPARE(sweep_->progressBar()->value(), 8);

    // The chart against the engine's sweep.json.
    std::ifstream in(dir_.filePath("sweep/sweep.json").toStdString());
    QVERIFY(in.good());
    const nlohmann::json j = nlohmann::json::parse(in);
    QCOMPARE(j["points"].size(), size_t(2));
    const auto drawn = sweep_->chartPoints();
    QVERIFY(drawn.count("threshold"));
    const QList<QPointF>& line = drawn.at("threshold");
    QCOMPARE(line.size(), 2);
    for (const nlohmann::json& p : j["points"]) {
      bool found = false;
      for (const QPointF& q : line)
        found |= std::abs(q.x() - p["density"].get<double>()) < 1e-9 && std::abs(q.y() - p["psnr"].get<double>()) < 1e-9;
      QVERIFY2(found, p.dump().c_str());
    }
    int front = 0;
    for (const nlohmann::json& p : j["points"]) front += p["pareto_density"].get<bool>();
    QVERIFY(front >= 1);
    QCOMPARE(drawn.count("Pareto front") ? drawn.at("Pareto front").size() : 0, front);
    QCOMPARE(sweep_->pointsTable()->rowCount(), 2);
    QVERIFY(sweep_->titleLabel()->text().contains(QString::fromStdString(j["prompt"].get<std::string>())));
    QCOMPARE(j["steps"].get<int>(), 2);  // the Run dock's steps
    QVERIFY(sweep_->usesLabel()->text().contains("2 steps"));
    // Its generations are in the Runs dock (the history outlives test runs: count this sweep's).
    int sparse = 0, dense = 0;
    for (const RunRecord& r : window_->runsPanel()->runs())
      if (QString::fromStdString(r.videoPath).startsWith(dir_.path()))
        sparse += r.command == "sweep-sparse", dense += r.command == "sweep-dense";
    QCOMPARE(sparse, 2);
    QCOMPARE(dense, 1);

    // SSIM vs attention time: the same points on other axes.
    sweep_->metricBox()->setCurrentIndex(1);
    sweep_->axisBox()->setCurrentIndex(1);
    const QList<QPointF> ssim = sweep_->chartPoints().at("threshold");
    for (const QPointF& q : ssim) QVERIFY(q.y() <= 1.0 && q.y() > -1.0);
    sweep_->metricBox()->setCurrentIndex(0);
    sweep_->axisBox()->setCurrentIndex(0);
  }

  void choosingAPointLoadsItsVideo() {
    QVERIFY(sweep_->result());
    const SweepResult result = *sweep_->result();
    const VideoFrames dense = readVideo(result.denseVideo);
    window_->centralTabs()->setCurrentIndex(0);
    auto* dock = window_->findChild<QDockWidget*>("SweepDock");
    dock->raise();
    QTableWidget* table = sweep_->pointsTable();
    QTRY_VERIFY(table->isVisible());
    const int index = table->item(1, 0)->data(Qt::UserRole).toInt();
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, table->visualItemRect(table->item(1, 0)).center());
    QTRY_VERIFY(!sweep_->loading());
    ComparePlayer* compare = window_->comparePlayer();
    QVERIFY(compare->sparseView()->video());
    QVERIFY(sameVideo(*compare->sparseView()->video(), readVideo(result.points[size_t(index)].video)));
    QVERIFY(sameVideo(*compare->denseView()->video(), dense));
    QCOMPARE(window_->centralTabs()->currentIndex(), 1);

    // A click on the other point in the chart opens that one.
    const int other = 1 - index;
    const SweepPoint& p = result.points[size_t(other)];
    QChartView* view = sweep_->chartView();
    QTRY_VERIFY(view->isVisible());
    QChart* chart = view->chart();
    QAbstractSeries* series = nullptr;
    for (QAbstractSeries* s : chart->series())
      if (s->name() == QString::fromStdString(p.strategy)) series = s;
    QVERIFY(series);
    const QPoint at = view->mapFromScene(chart->mapToScene(chart->mapToPosition(QPointF(p.density, p.psnr), series)));
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, at);
    QTRY_VERIFY(!sweep_->loading());
    QVERIFY(sameVideo(*compare->sparseView()->video(), readVideo(p.video)));
    QCOMPARE(sweep_->chosenPoint(), other);

    // The point's plan and the sweep's atlas open in the workbench.
    QTest::mouseClick(sweep_->openPlanButton(), Qt::LeftButton);
    QVERIFY(window_->workbench()->plan());
    QVERIFY(std::abs(window_->workbench()->plan()->density() - p.density) < 1e-9);
    QTest::mouseClick(sweep_->openAtlasButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!window_->jobs()->busy() && window_->workbench()->atlas(), 60000);
    QCOMPARE(window_->workbench()->atlas()->capturedSteps(), (std::vector<int>{0, 1}));
    QVERIFY(sweep_->grab().save(QStringLiteral(ATTNSCOPE_BINARY_DIR "/attnscope-sweep-panel.png")));
    // The CLI's three-panel PNG; a folder that does not exist is a message.
    QVERIFY(sweep_->savePng(dir_.filePath("chart.png")));
    QCOMPARE(QImage(dir_.filePath("chart.png")).size(), QSize(1800, 600));
    QVERIFY(!sweep_->savePng(dir_.filePath("no/such/folder/chart.png")));
    QVERIFY(sweep_->message()->text().contains("Could not write"));

    // The sweep.json opens again with the same points.
    QVERIFY(sweep_->openSweep(QString::fromStdString(result.json)));
    QCOMPARE(sweep_->result()->points.size(), result.points.size());
    for (size_t i = 0; i < result.points.size(); ++i) {
      QCOMPARE(sweep_->result()->points[i].video, result.points[i].video);
      QCOMPARE(sweep_->result()->points[i].psnr, result.points[i].psnr);
    }
    // A file that is not a sweep: a message, the shown sweep stays.
    const QString bogus = dir_.filePath("bogus.json");
    std::ofstream(bogus.toStdString()) << "{\"command\": \"generate\"}";
    QVERIFY(!sweep_->openSweep(bogus));
    QVERIFY(sweep_->message()->text().contains("not a sweep"));
    QCOMPARE(sweep_->result()->points.size(), result.points.size());
    // A point whose video is gone: a message.
    QFile::remove(QString::fromStdString(result.points[0].video));
    QVERIFY(sweep_->openPoint(0));
    QTRY_VERIFY(!sweep_->loading());
    QVERIFY2(window_->lastError().contains(".mp4"), qPrintable(window_->lastError()));
  }

  void failedSweepLeavesTheWindowUsable() {
    // The output folder lies under a file: the worker cannot create it.
    const QString blocker = dir_.filePath("blocker");
    std::ofstream(blocker.toStdString()) << "x";
    sweep_->folderEdit()->setText(blocker + "/sweep");
    const auto before = sweep_->result()->points.size();
    QVERIFY(sweep_->startSweep());
    QTRY_VERIFY_WITH_TIMEOUT(!sweep_->running(), kJobTimeoutMs);
    QVERIFY2(sweep_->message()->text().contains("stopped"), qPrintable(sweep_->message()->text()));
    QVERIFY(window_->banner()->text().contains("Sweep"));
    QCOMPARE(sweep_->result()->points.size(), before);  // the last sweep is still shown
    QVERIFY(sweep_->runButton()->isEnabled());

    // Cancel: stops at the next denoising step.
    sweep_->folderEdit()->setText(dir_.filePath("cancelled"));
    QVERIFY(sweep_->startSweep());
    QTest::mouseClick(sweep_->cancelButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!sweep_->running(), kJobTimeoutMs);
    QVERIFY2(sweep_->message()->text().contains("cancel"), qPrintable(sweep_->message()->text()));
    QVERIFY(!window_->jobs()->busy());
  }

  void analyticsFollowTheWindowsAtlas() {
    // Generate with capture from the Run dock; the Analytics dock shows the real atlas.
    window_->runPanel()->captureEdit()->setText("all");
    QVERIFY(window_->generate());
    QTRY_VERIFY_WITH_TIMEOUT(!window_->jobs()->busy(), kJobTimeoutMs);
    auto* analytics = window_->findChild<AnalyticsPanel*>();
    QVERIFY(analytics);
    QTRY_VERIFY_WITH_TIMEOUT(!analytics->busy(), 60000);
    const auto atlas = window_->workbench()->atlas();
    QVERIFY(atlas);
    QCOMPARE(analytics->stepBox()->count(), 1 + int(atlas->capturedSteps().size()));
    QCOMPARE(analytics->headTypesView()->table()->rowCount(), int(atlas->layers * atlas->heads));
    QVERIFY(!analytics->sinksView()->summary()->text().isEmpty());
    qInfo("analytics on the default model (%s): %s", atlas->grid.str().c_str(), qPrintable(analytics->status()->text()));
    const QString path = QStringLiteral(ATTNSCOPE_BINARY_DIR "/attnscope-analytics-sweep.png");
    window_->findChild<QDockWidget*>("AnalyticsDock")->raise();
    QVERIFY(window_->grab().save(path));
  }

  void layoutIsRemembered() {
    // Move the Analytics dock to the left and hide the Sweep dock; a new window restores both.
    window_->addDockWidget(Qt::LeftDockWidgetArea, window_->findChild<QDockWidget*>("AnalyticsDock"));
    window_->findChild<QDockWidget*>("SweepDock")->hide();
    window_->close();  // saves the layout (QSettings)
    window_ = std::make_unique<MainWindow>();
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    auto* analytics = window_->findChild<QDockWidget*>("AnalyticsDock");
    QCOMPARE(window_->dockWidgetArea(analytics), Qt::LeftDockWidgetArea);
    QVERIFY(!analytics->isHidden());
    QVERIFY(window_->findChild<QDockWidget*>("SweepDock")->isHidden());
  }

  void cleanupTestCase() { window_.reset(); }
};

QTEST_MAIN(TestSweepPanel)
#include "test_sweep_panel.moc"
