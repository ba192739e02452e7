// RunPanel's Device combo: "CPU" always, then one entry per CUDA device the
// engine lists; disabled, with the reason in its tooltip, where the CPU is
// all there is; a choice is signalled and remembered (QSettings) and comes
// back in the next panel; no choice while a job runs. (The reload it causes
// is test_mainwindow's choosingADeviceReloadsTheModel.)
#include <QComboBox>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

#include "engine/model/ComputeDevices.h"
#include "ui/RunPanel.h"

using namespace attnscope;
using namespace attnscope::ui;

class TestRunPanel : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);  // settings out of the user's home
    QCoreApplication::setOrganizationName("AttnScopeTest");
    QCoreApplication::setApplicationName("AttnScopeRunPanelTest");
    QSettings().clear();
  }

  void listsTheEnginesDevices() {
    RunPanel panel;
    QComboBox* box = panel.deviceBox();
    QVERIFY(box);
    QCOMPARE(box->count(), int(computeDevices().size()));
    QCOMPARE(box->itemText(0), QString("CPU"));
    QCOMPARE(panel.device(), QString("cpu"));
    QVERIFY(!box->toolTip().isEmpty());
    const QString why = QString::fromStdString(cudaUnavailableReason());
    if (why.isEmpty()) {  // a CUDA machine: every GPU is a choice
      QVERIFY(box->isEnabled());
      QCOMPARE(box->itemData(1).toString(), QString("cuda:0"));
      return;
    }
    // Without CUDA: the CPU alone, not a choice, and the tooltip says why.
    QCOMPARE(box->count(), 1);
    QVERIFY(!box->isEnabled());
    QVERIFY2(box->toolTip().contains("CUDA") && box->toolTip().contains(why), qPrintable(box->toolTip()));
  }

  void aChoiceIsSignalledAndRemembered() {
    const std::vector<ComputeDevice> twoGpus = {
        {"cpu", "CPU"}, {"cuda:0", "CUDA 0 · test"}, {"cuda:1", "CUDA 1 · test"}};
    {
      RunPanel panel;
      panel.setDevices(twoGpus, "");
      QComboBox* box = panel.deviceBox();
      QCOMPARE(box->count(), 3);
      QVERIFY(box->isEnabled());
      QVERIFY(box->toolTip().contains("reloads"));
      QSignalSpy changed(&panel, &RunPanel::deviceChanged);
      box->setCurrentIndex(2);
      QCOMPARE(changed.count(), 1);
      QCOMPARE(changed.first().at(0).toString(), QString("cuda:1"));
      QCOMPARE(panel.device(), QString("cuda:1"));
      QCOMPARE(QSettings().value("run/device").toString(), QString("cuda:1"));
      panel.setBusy(true, "Generating");  // no reload under a running job
      QVERIFY(!box->isEnabled());
      panel.setBusy(false, QString());
      QVERIFY(box->isEnabled());
    }
    RunPanel next;
    QSignalSpy changed(&next, &RunPanel::deviceChanged);
    next.setDevices(twoGpus, "");
    QCOMPARE(next.device(), QString("cuda:1"));  // remembered
    next.setDevices({{"cpu", "CPU"}}, "this build has no CUDA (its LibTorch is CPU-only)");
    QCOMPARE(next.device(), QString("cpu"));  // that GPU is gone: the CPU
    QVERIFY(!next.deviceBox()->isEnabled());
    QVERIFY(next.deviceBox()->toolTip().contains("this build has no CUDA"));
    QCOMPARE(changed.count(), 0);  // listing devices is not a choice
    QCOMPARE(QSettings().value("run/device").toString(), QString("cuda:1"));  // kept for when it is back
  }
};

QTEST_MAIN(TestRunPanel)
#include "test_run_panel.moc"
