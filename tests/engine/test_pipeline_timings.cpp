// The pipeline's per-step timing records on a tiny model on the CPU: one
// record per denoising step, in order, with the attention modes the run plan
// gives (dense warm-up, a captured step, masked steps), attention time within
// the step's time, and step times adding up to no more than the sampler loop.
// LibTorch first: Qt's `slots` macro must not reach its headers.
#include "engine/model/Model.h"

#include <QtTest>

#include "engine/mask/MaskPlan.h"
#include "engine/pipeline/Pipeline.h"

#include "tests/support/TinyModelConfig.h"

using namespace attnscope;
using namespace attnscope::testing;

class TestPipelineTimings : public QObject {
  Q_OBJECT

 private slots:
  void oneRecordPerStepWithItsMode() {
    Model model = Model::create(tinyModelConfig("tiny-test"), defaultVocabPath(), 5);
    model.dit->eval();
    GenerationRequest req;
    req.prompt = "a blue square moves up";
    req.seed = 2;
    req.steps = 5;
    const TokenGrid grid = tokenGridFor(model, resolveRequest(model, req));

    // Masks from step 2 on; layer 1 keeps every block, layer 0 drops some.
    const BlockLayout layout = BlockLayout::linear(16);
    MaskPlan plan = MaskPlan::full("tiny-test", grid, layout, 2, 2);
    plan.denseWarmupSteps = 2;
    plan.mask(0, 0).set(0, 3, false);
    plan.mask(0, 1).set(2, 0, false);
    RunOptions options;
    options.mask = &plan;
    options.captureSteps = {1};
    options.captureLayout = layout;
    GenerationResult r = generate(model, req, options);

    const StageTimings& t = r.timings;
    const std::vector<std::string> modes = {"dense", "capture", "sparse", "sparse", "sparse"};
    QCOMPARE(t.steps.size(), modes.size());
    double stepSum = 0, attentionSum = 0;
    for (size_t i = 0; i < modes.size(); ++i) {
      const StepTiming& s = t.steps[i];
      QCOMPARE(s.step, int(i));
      QCOMPARE(s.mode, modes[i]);
      QVERIFY2(s.attention > 0 && s.attention <= s.seconds,
               qPrintable(QString("step %1: attention %2 s of %3 s").arg(i).arg(s.attention).arg(s.seconds)));
      stepSum += s.seconds;
      attentionSum += s.attention;
    }
    QVERIFY(stepSum <= t.denoise);
    QVERIFY(std::abs(attentionSum - t.attention) <= 1e-9 * std::max(1.0, t.attention));

    const StepMean sparse = t.meanOf("sparse");
    QCOMPARE(sparse.count, 3);
    QVERIFY(std::abs(sparse.seconds - (t.steps[2].seconds + t.steps[3].seconds + t.steps[4].seconds) / 3) < 1e-12);
    QVERIFY(sparse.attention <= sparse.seconds);
    QCOMPARE(t.meanOf("dense").count, 1);
    QCOMPARE(t.meanOf("capture").count, 1);
    QCOMPARE(t.meanOf("other").count, 0);

    QCOMPARE(t.peakGpuBytes, int64_t(0));
    QCOMPARE(r.device, std::string("cpu"));
    QCOMPARE(r.dtype, std::string("float32"));
    QVERIFY(r.denseKernel.empty());
  }

  void denseRunIsAllDenseSteps() {
    Model model = Model::create(tinyModelConfig("tiny-test"), defaultVocabPath(), 5);
    model.dit->eval();
    GenerationRequest req;
    req.prompt = "a blue square moves up";
    GenerationResult r = generate(model, req);
    QCOMPARE(int(r.timings.steps.size()), r.request.steps);
    QCOMPARE(r.timings.meanOf("dense").count, r.request.steps);
    QCOMPARE(r.timings.meanOf("sparse").count, 0);
  }
};

QTEST_APPLESS_MAIN(TestPipelineTimings)
#include "test_pipeline_timings.moc"
