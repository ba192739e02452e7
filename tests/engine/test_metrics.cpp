// PSNR and SSIM against direct float64 references (2D Gaussian window loops,
// no separability), plus the edge cases users hit.
#include <QtTest>

#include <cmath>
#include <functional>
#include <random>

#include "engine/core/Error.h"
#include "engine/metrics/VideoMetrics.h"

#include "tests/support/ErrorMessage.h"

using namespace attnscope;
using namespace attnscope::testing;

namespace {

std::vector<uint8_t> randomImage(std::mt19937& rng, int64_t h, int64_t w) {
  std::vector<uint8_t> img(size_t(h * w * 3));
  for (auto& v : img) v = uint8_t(rng() % 256);
  return img;
}

// A copy with Gaussian noise (sigma 8), clamped to [0, 255].
std::vector<uint8_t> noisyCopy(std::mt19937& rng, const std::vector<uint8_t>& img) {
  std::normal_distribution<double> noise(0.0, 8.0);
  std::vector<uint8_t> out(img.size());
  for (size_t i = 0; i < img.size(); ++i)
    out[i] = uint8_t(std::clamp(std::lround(img[i] + noise(rng)), 0L, 255L));
  return out;
}

// A smooth image (so SSIM is far from 0 and meaningful) with some texture.
std::vector<uint8_t> smoothImage(std::mt19937& rng, int64_t h, int64_t w) {
  std::vector<uint8_t> img(size_t(h * w * 3));
  const double phase = (rng() % 100) / 10.0;
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c)
        img[size_t((y * w + x) * 3 + c)] =
            uint8_t(127 + 100 * std::sin(0.2 * x + 0.13 * y * (c + 1) + phase) + (rng() % 20) - 10);
  return img;
}

double referencePsnr(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  double sse = 0;
  for (size_t i = 0; i < a.size(); ++i) sse += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  const double mse = sse / a.size();
  return mse == 0 ? kPsnrCap : 10 * std::log10(255.0 * 255.0 / mse);
}

// Wang et al. 2004: 11x11 Gaussian (sigma 1.5) window over every position
// where it fits inside the frame, on BT.601 luma.
double referenceSsim(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, int64_t h, int64_t w) {
  auto luma = [&](const std::vector<uint8_t>& img, int64_t y, int64_t x) {
    const uint8_t* p = &img[size_t((y * w + x) * 3)];
    return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
  };
  double window[11][11], total = 0;
  for (int i = 0; i < 11; ++i)
    for (int j = 0; j < 11; ++j) total += window[i][j] = std::exp(-((i - 5) * (i - 5) + (j - 5) * (j - 5)) / (2 * 1.5 * 1.5));
  const double c1 = std::pow(0.01 * 255, 2), c2 = std::pow(0.03 * 255, 2);
  double sum = 0;
  int64_t count = 0;
  for (int64_t y0 = 0; y0 + 11 <= h; ++y0)
    for (int64_t x0 = 0; x0 + 11 <= w; ++x0) {
      double mx = 0, my = 0;
      for (int i = 0; i < 11; ++i)
        for (int j = 0; j < 11; ++j) {
          mx += window[i][j] / total * luma(a, y0 + i, x0 + j);
          my += window[i][j] / total * luma(b, y0 + i, x0 + j);
        }
      double vx = 0, vy = 0, cov = 0;
      for (int i = 0; i < 11; ++i)
        for (int j = 0; j < 11; ++j) {
          const double dx = luma(a, y0 + i, x0 + j) - mx, dy = luma(b, y0 + i, x0 + j) - my;
          vx += window[i][j] / total * dx * dx;
          vy += window[i][j] / total * dy * dy;
          cov += window[i][j] / total * dx * dy;
        }
      sum += ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      ++count;
    }
  return sum / count;
}

VideoFrames videoOf(std::vector<uint8_t> rgb, int64_t frames, int64_t h, int64_t w) {
  VideoFrames v;
  v.frames = frames;
  v.height = h;
  v.width = w;
  v.rgb = std::move(rgb);
  return v;
}

}  // namespace

class TestMetrics : public QObject {
  Q_OBJECT

 private slots:
  void psnrMatchesReference() {
    std::mt19937 rng(5);
    for (int trial = 0; trial < 4; ++trial) {
      const auto a = randomImage(rng, 23, 31);
      for (const auto& b : {randomImage(rng, 23, 31), noisyCopy(rng, a)}) {
        const double got = psnr(a.data(), b.data(), a.size()), want = referencePsnr(a, b);
        QVERIFY2(std::fabs(got - want) < 1e-9, qPrintable(QString("%1 vs %2").arg(got).arg(want)));
      }
    }
  }

  // Tolerance 1e-9: separable filtering and E[x^2]-mu^2 reorder float64 sums.
  void ssimMatchesReference() {
    std::mt19937 rng(9);
    struct Case { int64_t h, w; };
    for (Case c : {Case{11, 11}, Case{24, 37}, Case{40, 29}}) {
      const auto a = randomImage(rng, c.h, c.w), b = randomImage(rng, c.h, c.w);
      const auto s = smoothImage(rng, c.h, c.w), n = noisyCopy(rng, s);
      for (auto [x, y] : {std::pair{&a, &b}, std::pair{&s, &n}, std::pair{&a, &n}}) {
        const double got = ssimRgb(x->data(), y->data(), c.h, c.w), want = referenceSsim(*x, *y, c.h, c.w);
        QVERIFY2(std::fabs(got - want) < 1e-9,
                 qPrintable(QString("%1x%2: %3 vs %4").arg(c.h).arg(c.w).arg(got, 0, 'g', 15).arg(want, 0, 'g', 15)));
      }
      // Sanity on the scale: a noisy smooth image is similar, random pairs are not.
      QVERIFY(ssimRgb(s.data(), n.data(), c.h, c.w) > 0.5);
      QVERIFY(std::fabs(ssimRgb(a.data(), b.data(), c.h, c.w)) < 0.2);
    }
  }

  void identicalFramesHitTheCaps() {
    std::mt19937 rng(1);
    const auto a = randomImage(rng, 16, 20);
    QCOMPARE(psnr(a.data(), a.data(), a.size()), kPsnrCap);
    QCOMPARE(ssimRgb(a.data(), a.data(), 16, 20), 1.0);
    const VideoQuality q = compareVideos(videoOf(a, 1, 16, 20), videoOf(a, 1, 16, 20));
    QCOMPARE(q.meanPsnr, kPsnrCap);
    QCOMPARE(q.meanSsim, 1.0);
  }

  void compareVideosReportsPerFrameAndMeans() {
    std::mt19937 rng(4);
    const int64_t frames = 3, h = 18, w = 22, fb = h * w * 3;
    std::vector<uint8_t> a, b;
    for (int64_t f = 0; f < frames; ++f) {
      auto s = smoothImage(rng, h, w);
      auto n = noisyCopy(rng, s);
      a.insert(a.end(), s.begin(), s.end());
      b.insert(b.end(), n.begin(), n.end());
    }
    const VideoQuality q = compareVideos(videoOf(a, frames, h, w), videoOf(b, frames, h, w));
    QCOMPARE(int64_t(q.frames.size()), frames);
    double meanP = 0, meanS = 0;
    for (int64_t f = 0; f < frames; ++f) {
      std::vector<uint8_t> fa(a.begin() + f * fb, a.begin() + (f + 1) * fb), fbv(b.begin() + f * fb, b.begin() + (f + 1) * fb);
      QVERIFY(std::fabs(q.frames[f].psnr - referencePsnr(fa, fbv)) < 1e-9);
      QVERIFY(std::fabs(q.frames[f].ssim - referenceSsim(fa, fbv, h, w)) < 1e-9);
      meanP += q.frames[f].psnr / frames;
      meanS += q.frames[f].ssim / frames;
    }
    QVERIFY(std::fabs(q.meanPsnr - meanP) < 1e-9);
    QVERIFY(std::fabs(q.meanSsim - meanS) < 1e-9);
  }

  void mismatchedVideosAreRejected() {
    std::mt19937 rng(2);
    const VideoFrames a = videoOf(randomImage(rng, 16, 16), 1, 16, 16);
    const VideoFrames b = videoOf(randomImage(rng, 16, 18), 1, 16, 18);
    QString msg = errorOf([&] { compareVideos(a, b); });
    QVERIFY2(msg.contains("1x16x16") && msg.contains("1x16x18"), qPrintable(msg));

    std::vector<uint8_t> two = randomImage(rng, 16, 16), second = randomImage(rng, 16, 16);
    two.insert(two.end(), second.begin(), second.end());
    msg = errorOf([&] { compareVideos(a, videoOf(two, 2, 16, 16)); });
    QVERIFY2(msg.contains("1x16x16") && msg.contains("2x16x16"), qPrintable(msg));
  }

  void tooSmallForSsimIsAnError() {
    std::mt19937 rng(3);
    const auto a = randomImage(rng, 8, 30);
    const QString msg = errorOf([&] { ssimRgb(a.data(), a.data(), 8, 30); });
    QVERIFY2(msg.contains("8x30") && msg.contains("11x11"), qPrintable(msg));
  }
};

QTEST_APPLESS_MAIN(TestMetrics)
#include "test_metrics.moc"
