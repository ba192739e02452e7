// The GPU kernels' mask form (toKernelMask) on the CPU: counts and ascending
// indices from BlockMasks, clear errors for mismatched masks, and the CUDA
// entry points refusing clearly in a build without CUDA.
// LibTorch first: Qt's `slots` macro must not reach its headers.
#include <torch/torch.h>

#include "engine/cuda/BlockSparseAttention.h"
#include "engine/cuda/CaptureStatistics.h"
#include "engine/cuda/CudaRuntime.h"
#include "engine/cuda/CudnnAttention.h"

#include <QtTest>

#include <random>

#include "tests/support/ErrorMessage.h"

using namespace attnscope;
using namespace attnscope::testing;

class KernelMaskTest : public QObject {
  Q_OBJECT

 private slots:
  void countsAndAscendingIndices() {
    std::mt19937 rng(3);
    std::bernoulli_distribution keep(0.4);
    std::vector<BlockMask> masks(3, BlockMask(5, 7));
    for (BlockMask& m : masks)
      for (int64_t q = 0; q < 5; ++q)
        for (int64_t k = 0; k < 7; ++k) m.set(q, k, keep(rng));
    masks[1].fill(true);   // a full head: 7 kept per row
    for (int64_t k = 0; k < 7; ++k) masks[2].set(4, k, false);  // an empty row
    std::vector<const BlockMask*> pointers{&masks[0], &masks[1], &masks[2]};

    const auto mask = cuda::toKernelMask(pointers, 64, torch::Device(torch::kCPU));
    QCOMPARE(mask.blockSize, int64_t(64));
    QCOMPARE(mask.heads(), int64_t(3));
    QCOMPARE(mask.queryBlocks(), int64_t(5));
    QCOMPARE(mask.counts.scalar_type(), torch::kInt32);
    QCOMPARE(mask.indices.scalar_type(), torch::kInt32);
    QCOMPARE(mask.indices.size(2), int64_t(7));
    for (int64_t h = 0; h < 3; ++h)
      for (int64_t q = 0; q < 5; ++q) {
        std::vector<int32_t> expected;
        for (int64_t k = 0; k < 7; ++k)
          if (masks[h].get(q, k)) expected.push_back(static_cast<int32_t>(k));
        QCOMPARE(mask.counts[h][q].item<int32_t>(), static_cast<int32_t>(expected.size()));
        for (int64_t i = 0; i < 7; ++i) {
          const int32_t got = mask.indices[h][q][i].item<int32_t>();
          QCOMPARE(got, i < static_cast<int64_t>(expected.size()) ? expected[i] : 0);  // unused slots 0
        }
      }
    QCOMPARE(mask.counts[2][4].item<int32_t>(), 0);
  }

  void maxKeptIsAtLeastOne() {
    BlockMask empty(2, 2);
    const auto mask = cuda::toKernelMask({&empty}, 128, torch::Device(torch::kCPU));
    QCOMPARE(mask.indices.size(2), int64_t(1));
    QCOMPARE(mask.counts.sum().item<int32_t>(), 0);
  }

  void mismatchedMasksAreRefused() {
    BlockMask a(4, 4, true), b(4, 5, true);
    const QString message = errorOf([&] { cuda::toKernelMask({&a, &b}, 64, torch::Device(torch::kCPU)); });
    QVERIFY2(message.contains("head 1's mask is 4x5") && message.contains("4x4"), qPrintable(message));
    QVERIFY(errorOf([] { cuda::toKernelMask({}, 64, torch::Device(torch::kCPU)); }).contains("at least one head mask"));
  }

  void pathNames() {
    QCOMPARE(QString::fromStdString(cuda::kernelPathName(cuda::KernelPath::Auto)), QString("auto"));
    QCOMPARE(QString::fromStdString(cuda::kernelPathName(cuda::KernelPath::Hopper)), QString("hopper"));
    QCOMPARE(QString::fromStdString(cuda::kernelPathName(cuda::KernelPath::Portable)), QString("portable"));
  }

  void cpuBuildRefusesClearly() {
    if (cuda::built()) QSKIP("this build has the CUDA kernels");
    QVERIFY(!cuda::deviceAvailable());
    BlockMask full(1, 1, true);
    const auto mask = cuda::toKernelMask({&full}, 64, torch::Device(torch::kCPU));
    auto q = torch::randn({1, 1, 64, 64});
    QVERIFY(errorOf([&] { cuda::blockSparseAttention(q, q, q, mask, 0.125); }).contains("built without CUDA"));
    QVERIFY(errorOf([&] { cuda::captureStatistics(q[0], q[0], torch::zeros({1, 64}), {}); })
                .contains("built without CUDA"));
  }

  // Capture's cuDNN dense pass declines CPU tensors with a reason and leaves
  // the caller's tensors alone (the engine then runs its own kernel).
  void cudnnPassDeclinesCpuTensors() {
    auto q = torch::randn({1, 2, 64, 64});
    torch::Tensor out = torch::ones({1}), lse;
    std::string why;
    QVERIFY(!cuda::cudnnAttentionWithLse(q, q, q, 0.125, out, lse, &why));
    QVERIFY2(QString::fromStdString(why).contains("CUDA tensors"), why.c_str());
    QVERIFY(out.defined() && out.numel() == 1 && !lse.defined());
    QVERIFY(!cuda::cudnnAttentionWithLse(q, q, q, 0.125, out, lse, nullptr));  // no reason asked: still no crash
  }

  void captureKernelNames() {
    QCOMPARE(QString::fromStdString(cuda::captureKernelName(cuda::CaptureKernel::Auto)), QString("auto"));
    QCOMPARE(QString::fromStdString(cuda::captureKernelName(cuda::CaptureKernel::Hopper)), QString("Hopper"));
    QCOMPARE(QString::fromStdString(cuda::captureKernelName(cuda::CaptureKernel::Portable)), QString("portable"));
  }
};

QTEST_GUILESS_MAIN(KernelMaskTest)
#include "test_kernelmask.moc"
