// JobController: jobs run off the GUI thread, report progress, deliver on the
// GUI thread, stop when cancelled, and turn every kind of failure into a message.
#include <QSignalSpy>
#include <QtTest>

#include <new>
#include <thread>

#include "engine/core/Error.h"
#include "ui/JobController.h"

using attnscope::ui::JobController;

class TestJobController : public QObject {
  Q_OBJECT
 private slots:
  void runsOffTheGuiThreadAndDeliversOnIt() {
    JobController jobs;
    QSignalSpy progress(&jobs, &JobController::progress);
    QSignalSpy finished(&jobs, &JobController::finished);
    QThread* gui = QThread::currentThread();
    QThread* ranOn = nullptr;
    QThread* deliveredOn = nullptr;
    QVERIFY(jobs.start("count", [&](const JobController::Context& ctx) -> JobController::Deliver {
      ranOn = QThread::currentThread();
      for (int i = 1; i <= 4; ++i) ctx.progress(i, 4);
      return [&] { deliveredOn = QThread::currentThread(); };
    }));
    QVERIFY(jobs.busy());
    QVERIFY(!jobs.start("second", [](const JobController::Context&) { return JobController::Deliver(); }));
    QTRY_COMPARE(finished.count(), 1);
    QVERIFY(ranOn && ranOn != gui);
    QCOMPARE(deliveredOn, gui);
    QCOMPARE(progress.count(), 4);
    QCOMPARE(progress.last().at(0).toInt(), 4);
    QCOMPARE(finished.first().at(0).toString(), QString("count"));
    QVERIFY(!jobs.busy());
  }

  void cancelStopsTheJob() {
    JobController jobs;
    QSignalSpy failed(&jobs, &JobController::failed);
    std::atomic<int> steps{0};
    jobs.start("long", [&](const JobController::Context& ctx) -> JobController::Deliver {
      for (int i = 0; i < 1000; ++i) {
        if (ctx.cancel->load()) throw attnscope::Cancelled();
        ++steps;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      return {};
    });
    QTest::qWait(30);
    jobs.cancel();
    QTRY_COMPARE(failed.count(), 1);
    QVERIFY(failed.first().at(1).toString().contains("cancelled"));
    QVERIFY(steps < 1000);
  }

  void failuresBecomeMessages_data() {
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("expected");
    QTest::newRow("engine error") << 0 << "plan was made for 16x8x8";
    QTest::newRow("out of memory") << 1 << "out of memory";
    QTest::newRow("other exception") << 2 << "unexpected error: boom";
    QTest::newRow("delivery error") << 3 << "late failure";
  }
  void failuresBecomeMessages() {
    QFETCH(int, kind);
    QFETCH(QString, expected);
    JobController jobs;
    QSignalSpy failed(&jobs, &JobController::failed);
    QSignalSpy finished(&jobs, &JobController::finished);
    jobs.start("fails", [kind](const JobController::Context&) -> JobController::Deliver {
      if (kind == 0) throw attnscope::Error("plan was made for 16x8x8");
      if (kind == 1) throw std::bad_alloc();
      if (kind == 2) throw std::runtime_error("boom");
      return [] { throw attnscope::Error("late failure"); };
    });
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(finished.count(), 0);
    QVERIFY2(failed.first().at(1).toString().contains(expected), qPrintable(failed.first().at(1).toString()));
    QVERIFY(!jobs.busy());
    // The controller is usable again.
    QVERIFY(jobs.start("again", [](const JobController::Context&) { return JobController::Deliver(); }));
    QTRY_COMPARE(finished.count(), 1);
  }
};

QTEST_MAIN(TestJobController)
#include "test_jobcontroller.moc"
