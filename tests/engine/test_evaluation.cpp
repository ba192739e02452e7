// The prompt-following evaluation job on a tiny random model (the report's
// shape, counts, progress and cancel; never its accuracy), its track metrics
// against a plain reference, the video strip, and PNG writing through FFmpeg
// checked by decoding the file again.
// LibTorch first: Qt's `slots` macro must not reach its headers.
#include "engine/evaluation/PromptFollowing.h"

#include <QTemporaryDir>
#include <QtTest>

#include <array>
#include <atomic>
#include <cmath>
#include <limits>
#include <random>

#include "engine/core/Error.h"
#include "engine/evaluation/ColourDrift.h"
#include "engine/evaluation/DenoisingProbe.h"
#include "engine/evaluation/PromptFollowing.h"
#include "engine/evaluation/TrackMetrics.h"
#include "engine/evaluation/VideoStrip.h"
#include "engine/io/ImageFile.h"
#include "engine/io/Video.h"

#include "tests/support/ErrorMessage.h"
#include "tests/support/TinyModelConfig.h"

using namespace attnscope;
using namespace attnscope::testing;

namespace {

Model tinyModel() {
  ModelConfig c = tinyModelConfig("tiny-eval");
  c.layers = 1;
  c.text.maxTokens = kMaxCaptionWords;
  return Model::create(c, defaultVocabPath(), 11);
}

VideoFrames randomVideo(int64_t frames, int64_t h, int64_t w, uint32_t seed) {
  std::mt19937 rng(seed);
  VideoFrames v;
  v.frames = frames, v.height = h, v.width = w;
  v.rgb.resize(size_t(frames * h * w * 3));
  for (auto& b : v.rgb) b = uint8_t(rng() & 0xff);
  return v;
}

}  // namespace

class TestEvaluation : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private Q_SLOTS:
  void reportCountsEverySampleAndTheControl() {
    const Model model = tinyModel();
    PromptFollowingOptions o;
    o.samples = 3;
    o.steps = 2;
    o.seedOffset = 10;
    o.keepVideos = 2;
    std::vector<std::pair<int, int>> calls;
    o.progress = [&](int done, int total) { calls.push_back({done, total}); };
    const PromptFollowingReport r = evaluatePromptFollowing(model, o);
    QCOMPARE(r.modelId, std::string("tiny-eval"));
    QCOMPARE(r.steps, 2);
    QCOMPARE(r.size.frames, int64_t(4));
    QCOMPARE(r.size.height, int64_t(32));
    QCOMPARE(r.rows.size(), size_t(3));
    QCOMPARE(r.videos.size(), size_t(2));
    QCOMPARE(r.truthVideos.size(), size_t(2));
    QCOMPARE(r.videos[0].frames, int64_t(4));
    QCOMPARE(r.videos[0].width, int64_t(32));
    QCOMPARE(calls.size(), size_t(6));
    for (size_t i = 0; i < calls.size(); ++i) QCOMPARE(calls[i], std::make_pair(int(i) + 1, 6));

    int scored = 0, truthColours = 0;
    for (size_t i = 0; i < r.rows.size(); ++i) {
      const auto& row = r.rows[i];
      QCOMPARE(row.sceneSeed, kHeldOutSeedBase + 10 + i);
      const SceneSpec scene = sampleScene(row.sceneSeed, r.size);
      QCOMPARE(row.caption, scene.caption);
      QCOMPARE(row.colour, scene.shapes[0].colour);
      QCOMPARE(row.motion, scene.shapes[0].motion);
      QCOMPARE(row.generated.track.size(), size_t(4));
      scored += row.directionScored;
      truthColours += row.groundTruth.colour == row.colour;
    }
    QVERIFY(renderScene(sampleScene(kHeldOutSeedBase + 10, r.size), r.size).rgb == r.truthVideos[0].rgb);
    QCOMPARE(r.generated.samples, 3);
    QCOMPARE(r.generated.directionSamples, scored);
    QCOMPARE(r.groundTruth.directionSamples, scored);
    QCOMPARE(r.groundTruth.colourRight, truthColours);
    QCOMPARE(r.groundTruth.colourAccuracy, truthColours / 3.0);
    QVERIFY(r.generated.colourRight >= 0 && r.generated.colourRight <= 3);

    // The found-direction counts are the rows' analyses over the scored samples.
    QVERIFY(scored > 0);
    for (const bool generated : {true, false}) {
      const AccuracySummary& summary = generated ? r.generated : r.groundTruth;
      std::array<int, kMotionCount> expected{};
      int noShape = 0;
      for (const auto& row : r.rows) {
        if (!row.directionScored) continue;
        const MainShapeEstimate& e = generated ? row.generated : row.groundTruth;
        if (e.colour < 0)
          ++noShape;
        else
          ++expected[static_cast<size_t>(e.direction)];
      }
      QCOMPARE(summary.directionsFound, expected);
      QCOMPARE(summary.directionNoShape, noShape);
      int total = summary.directionNoShape;
      for (int count : summary.directionsFound) total += count;
      QCOMPARE(total, scored);
    }
    // The renders move as their captions say, so the truth's counts sit on the true motions.
    for (const auto& row : r.rows)
      if (row.directionScored) QVERIFY(r.groundTruth.directionsFound[static_cast<size_t>(row.motion)] > 0);
  }

  void cancelStopsBetweenSteps() {
    const Model model = tinyModel();
    std::atomic<bool> cancel{false};
    PromptFollowingOptions o;
    o.samples = 5;
    o.steps = 2;
    o.cancel = &cancel;
    int calls = 0;
    o.progress = [&](int, int) {
      ++calls;
      cancel = true;
    };
    bool cancelled = false;
    try {
      evaluatePromptFollowing(model, o);
    } catch (const Cancelled&) {
      cancelled = true;
    }
    QVERIFY(cancelled);
    QCOMPARE(calls, 1);
  }

  void driftAlongMatchesTheLeastSquaresReference() {
    std::mt19937 rng(5);
    std::normal_distribution<double> noise(0.0, 3.0);
    Track track(12);
    for (size_t f = 0; f < track.size(); ++f) track[f] = {10 + 1.7 * f + noise(rng), 40 - 0.9 * f + noise(rng)};
    track[4] = {std::nan(""), std::nan("")};  // a missing frame is skipped
    const double ux = 0.6, uy = -0.8;
    // Float64 reference: least squares through torch on the present frames.
    std::vector<double> t, y;
    for (size_t f = 0; f < track.size(); ++f)
      if (std::isfinite(track[f][0])) t.push_back(double(f)), y.push_back(track[f][0] * ux + track[f][1] * uy);
    auto A = torch::stack({torch::tensor(t, torch::kFloat64), torch::ones({int64_t(t.size())}, torch::kFloat64)}, 1);
    auto b = torch::tensor(y, torch::kFloat64).unsqueeze(1);
    auto solution = torch::linalg_solve(A.t().mm(A), A.t().mm(b));
    const double want = solution[0][0].item<double>() * 11.0;
    QVERIFY2(std::abs(driftAlong(track, ux, uy) - want) < 1e-9, qPrintable(QString::number(want)));
    QVERIFY(std::isnan(driftAlong(Track(3, {std::nan(""), 0.0}), 1, 0)));
  }

  void colourDriftReadsATranslatingShape() {
    // A rendered scene's main shape: its colour's mass moves along the true
    // direction, and hardly across it. Textured backgrounds hold a little of
    // every colour that stays put, so the reading is a damped one: 60-110%.
    SceneSize size;
    for (uint64_t seed = kHeldOutSeedBase; seed < kHeldOutSeedBase + 40; ++seed) {
      const SceneSpec scene = sampleScene(seed, size);
      const ShapeSpec& main = scene.shapes.front();
      if (!isTranslation(main.motion) || scene.shapes.size() != 1) continue;
      const auto centres = shapeCentres(scene, size);
      const double dx = centres.back()[0][0] - centres.front()[0][0], dy = centres.back()[0][1] - centres.front()[0][1];
      const double length = std::hypot(dx, dy);
      const Track seen = colourPresenceCentroids(renderScene(scene, size), shapePalette().at(main.colour));
      const double along = driftAlong(seen, dx / length, dy / length), across = driftAlong(seen, -dy / length, dx / length);
      QVERIFY2(along > 0.6 * length && along < 1.1 * length,
               qPrintable(QString("%1: %2 px along, truth %3").arg(scene.caption.c_str()).arg(along).arg(length)));
      QVERIFY2(std::abs(across) < 0.15 * length + 1.0, qPrintable(QString("%1 px across").arg(across)));
      return;
    }
    QFAIL("no single translating shape among 40 held-out scenes");
  }

  void denoisingProbeScoresEveryBranchAndReadsTheTruthAtLowNoise() {
    const Model model = tinyModel();
    DenoisingProbeOptions o;
    o.samples = 2;
    o.sigmas = {0.001, 0.9};
    const DenoisingProbeReport r = probeDenoising(model, o);
    QCOMPARE(r.truthSamples, 2);
    QCOMPARE(int(r.rows.size()), 2);
    for (const auto& row : r.rows) {
      QCOMPARE(row.samples, 2);
      for (const DenoisingBranch* b : {&row.uncond, &row.cond, &row.guided}) {
        QVERIFY(std::isfinite(b->velocityLoss) && b->velocityLoss > 0);
        QVERIFY(b->maskColourRight >= 0 && b->maskColourRight <= 2);
        QVERIFY(b->directionRight <= row.directionSamples);
      }
    }
    // At sigma 0.001 the estimate is the clip itself, whatever the (random)
    // model says: the colour under the true shape is the caption's, and the
    // detector sees what it sees on the truth.
    const DenoisingProbeRow& clean = r.rows[0];
    QCOMPARE(clean.cond.maskColourRight, 2);
    QCOMPARE(clean.uncond.maskColourRight, 2);
    QCOMPARE(clean.cond.detectorColourRight, r.truthColourRight);
    QVERIFY(clean.cond.estimateError < 1e-4);
    // So is the drift: the truth's, on the scenes that translate.
    QCOMPARE(clean.translationSamples, r.truthTranslations);
    QVERIFY(std::abs(clean.cond.drift - r.truthDrift) < 0.5);
    o.sigmas = {1.5};
    QVERIFY(errorOf([&] { probeDenoising(model, o); }).contains("sigma must be in (0, 1]"));
    o.sigmas = {0.5};
    o.samples = 0;
    QVERIFY(errorOf([&] { probeDenoising(model, o); }).contains("at least 1 sample"));
  }

  void badOptionsAreRefused() {
    const Model model = tinyModel();
    PromptFollowingOptions o;
    o.samples = 0;
    QVERIFY(errorOf([&] { evaluatePromptFollowing(model, o); }).contains("at least 1 sample"));
    o.samples = 1;
    o.keepVideos = -1;
    QVERIFY(errorOf([&] { evaluatePromptFollowing(model, o); }).contains("keepVideos"));
  }

  void trackMetricsMatchAPlainReference() {
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> coord(0, 64);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (int trial = 0; trial < 20; ++trial) {
      Track track(12), truth(12);
      for (size_t f = 0; f < track.size(); ++f) {
        track[f] = {coord(rng), coord(rng)};
        truth[f] = {coord(rng), coord(rng)};
        if ((rng() % 4) == 0) track[f] = {nan, nan};
      }
      long double jumps = 0, errors = 0;
      int pairs = 0, present = 0;
      for (size_t f = 0; f < track.size(); ++f) {
        if (std::isnan(track[f][0])) continue;
        errors += std::sqrt((long double)(track[f][0] - truth[f][0]) * (track[f][0] - truth[f][0]) +
                            (long double)(track[f][1] - truth[f][1]) * (track[f][1] - truth[f][1]));
        ++present;
        if (f == 0 || std::isnan(track[f - 1][0])) continue;
        jumps += std::sqrt((long double)(track[f][0] - track[f - 1][0]) * (track[f][0] - track[f - 1][0]) +
                           (long double)(track[f][1] - track[f - 1][1]) * (track[f][1] - track[f - 1][1]));
        ++pairs;
      }
      if (pairs) QVERIFY(std::fabs(meanFrameJump(track) - double(jumps / pairs)) < 1e-9);
      else QVERIFY(std::isnan(meanFrameJump(track)));
      if (present) QVERIFY(std::fabs(meanTrackError(track, truth) - double(errors / present)) < 1e-9);
    }
    QVERIFY(std::isnan(meanFrameJump(Track(5, {nan, nan}))));
    QVERIFY(std::isnan(meanTrackError(Track(5, {nan, nan}), Track(5, {1.0, 2.0}))));
  }

  void stripPlacesEvenlySpacedFrames() {
    const VideoFrames a = randomVideo(10, 6, 8, 1), b = randomVideo(3, 6, 8, 2);
    StripLayout layout;
    layout.columns = 4;
    layout.gap = 1;
    layout.scale = 2;
    layout.gapGrey = 7;
    const RgbImage img = videoStrip({&a, &b}, layout);
    QCOMPARE(img.width, int64_t(4 * 16 + 5));
    QCOMPARE(img.height, int64_t(2 * 12 + 3));
    auto at = [&](int64_t x, int64_t y) { return img.rgb.data() + (y * img.width + x) * 3; };
    QCOMPARE(int(at(0, 0)[0]), 7);
    for (int64_t c = 0; c < 4; ++c) {
      const int64_t frame = c * 9 / 3;  // 0, 3, 6, 9
      for (int64_t y = 0; y < 6; ++y)
        for (int64_t x = 0; x < 8; ++x) {
          const uint8_t* want = a.frame(frame) + (y * 8 + x) * 3;
          const uint8_t* got = at(1 + c * 17 + 2 * x + 1, 1 + 2 * y + 1);
          QVERIFY(got[0] == want[0] && got[1] == want[1] && got[2] == want[2]);
        }
    }
    // The 3-frame clip fills three tiles; the fourth stays gap-coloured.
    QCOMPARE(int(at(1 + 3 * 17 + 5, 1 + 13 + 3)[1]), 7);
    const uint8_t* last = at(1 + 2 * 17, 1 + 13);
    QCOMPARE(int(last[2]), int(b.frame(2)[2]));

    const VideoFrames other = randomVideo(2, 8, 8, 3);
    QVERIFY(errorOf([&] { videoStrip({&a, &other}); }).contains("6"));
    QVERIFY(errorOf([&] { videoStrip({}); }).contains("at least one"));
  }

  void pngRoundTripsThroughFfmpeg() {
    const VideoFrames source = randomVideo(1, 37, 53, 9);  // odd sizes: PNG has no even-size rule
    RgbImage img{53, 37, source.rgb};
    const std::string path = dir_.filePath("random.png").toStdString();
    writePng(path, img);
    QVERIFY(!QFile::exists(QString::fromStdString(path + ".tmp.png")));
    const VideoFrames back = readVideo(path);
    QCOMPARE(back.width, int64_t(53));
    QCOMPARE(back.height, int64_t(37));
    QVERIFY(back.rgb == img.rgb);

    QVERIFY(errorOf([&] { writePng(path, RgbImage{0, 5, {}}); }).contains("empty"));
    QVERIFY(errorOf([&] { writePng(path, RgbImage{4, 4, std::vector<uint8_t>(5)}); }).contains("5 RGB bytes"));
    QVERIFY(errorOf([&] { writePng("/proc/no/such/dir/x.png", img); }).contains("x.png"));
  }
};

QTEST_GUILESS_MAIN(TestEvaluation)
#include "test_evaluation.moc"
