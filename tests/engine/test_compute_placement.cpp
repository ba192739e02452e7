// Where a model runs, from the front ends' strings: defaults per device, and
// clear errors for a device this build or machine lacks and for bad names.
// LibTorch first: Qt's `slots` macro must not reach its headers.
#include "engine/model/ComputePlacement.h"

#include <QtTest>

#include "engine/cuda/CudaRuntime.h"
#include "engine/model/ComputeDevices.h"

#include "tests/support/ErrorMessage.h"

using namespace attnscope;
using namespace attnscope::testing;

class TestComputePlacement : public QObject {
  Q_OBJECT

 private slots:
  void cpuDefaultsToFloat32() {
    for (const char* device : {"", "cpu"}) {
      ComputePlacement p = parseComputePlacement(device, "");
      QVERIFY(p.device.is_cpu());
      QCOMPARE(p.dtype, torch::kFloat32);
    }
    QCOMPARE(parseComputePlacement("cpu", "float32").dtype, torch::kFloat32);
    QCOMPARE(dtypeName(torch::kBFloat16), std::string("bfloat16"));
  }

  void badNamesAreErrors() {
    QVERIFY(errorOf([] { parseComputePlacement("gpu"); }).contains("cpu, cuda or cuda:N, got 'gpu'"));
    QVERIFY(errorOf([] { parseComputePlacement("cuda:x"); }).contains("got 'cuda:x'"));
    QVERIFY(errorOf([] { parseComputePlacement("cpu", "float16"); }).contains("float32 or bfloat16, got 'float16'"));
    QVERIFY(errorOf([] { parseComputePlacement("cpu", "bfloat16"); }).contains("needs a CUDA device"));
  }

  void cudaNeedsABuildAndADevice() {
    if (cuda::deviceAvailable()) {
      ComputePlacement p = parseComputePlacement("cuda", "");
      QVERIFY(p.device.is_cuda());
      QCOMPARE(p.dtype, torch::kBFloat16);
      QVERIFY(errorOf([] { parseComputePlacement("cuda:99"); }).contains("no CUDA device 99"));
      return;
    }
    const QString message = errorOf([] { parseComputePlacement("cuda"); });
    if (cuda::built())
      QVERIFY2(message.contains("no CUDA device"), qPrintable(message));
    else
      QVERIFY2(message.contains("this build has no CUDA"), qPrintable(message));
  }

  // The GUI's device list: the CPU first, then every CUDA device that
  // parseComputePlacement accepts; the reason is empty exactly when there is one.
  void devicesListTheCpuFirst() {
    const std::vector<ComputeDevice> devices = computeDevices();
    QVERIFY(!devices.empty());
    QCOMPARE(devices.front().id, std::string("cpu"));
    QCOMPARE(devices.front().label, std::string("CPU"));
    const std::string why = cudaUnavailableReason();
    QCOMPARE(why.empty(), cuda::deviceAvailable());
    QCOMPARE(devices.size() > 1, cuda::deviceAvailable());
    for (size_t i = 1; i < devices.size(); ++i) {
      QCOMPARE(devices[i].id, "cuda:" + std::to_string(i - 1));
      QVERIFY(parseComputePlacement(devices[i].id).device.is_cuda());
    }
    if (!why.empty()) {  // the CLI's refusal carries the same reason
      QVERIFY2(errorOf([] { parseComputePlacement("cuda"); }).contains(QString::fromStdString(why)), why.c_str());
      QVERIFY(QString::fromStdString(why).contains(cuda::built() ? "no CUDA device" : "this build has no CUDA"));
    }
  }
};

QTEST_APPLESS_MAIN(TestComputePlacement)
#include "test_compute_placement.moc"
