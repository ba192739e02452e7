// MP4 writing and reading through FFmpeg: a synthetic clip survives the
// round trip at high PSNR, and bad inputs give Errors naming the file.
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>

#include "engine/core/Error.h"
#include "engine/io/Video.h"
#include "engine/metrics/VideoMetrics.h"

#include "tests/support/ErrorMessage.h"

using namespace attnscope;
using namespace attnscope::testing;

namespace {

// Coverage of a square [x0, x0+size) x [y0, y0+size) at pixel centre (x, y),
// ramping over `soft` pixels at its edges.
double squareAlpha(double x, double y, double x0, double y0, double size, double soft) {
  const double inside = std::min({x - x0, x0 + size - x, y - y0, y0 + size - y});
  return std::clamp(inside / soft + 0.5, 0.0, 1.0);
}

// A diagonal gradient with two saturated squares moving across it at
// sub-pixel speeds. Their edges are soft (3 px), as decoded model output is:
// a hard saturated edge loses colour to yuv420p's chroma subsampling alone
// (about 33 dB at any crf, measured), and this test is about the codec path.
VideoFrames movingSquares(int64_t frames, int64_t height, int64_t width) {
  VideoFrames v;
  v.frames = frames;
  v.height = height;
  v.width = width;
  v.fps = 12.0;
  v.rgb.resize(size_t(frames * height * width * 3));
  const double red[3] = {230, 40, 35}, teal[3] = {20, 180, 170};
  for (int64_t f = 0; f < frames; ++f) {
    for (int64_t y = 0; y < height; ++y)
      for (int64_t x = 0; x < width; ++x) {
        const double cx = x + 0.5, cy = y + 0.5;
        const double a = squareAlpha(cx, cy, 5 + 3 * f, 10, 14, 3.0);
        const double b = squareAlpha(cx, cy, 40 - 1.5 * f, 36 + 0.7 * f, 16, 3.0);
        const double background[3] = {40.0 + 3 * x, 30.0 + 2 * y + x, 200.0 - 2 * y};
        uint8_t* p = v.frame(f) + (y * width + x) * 3;
        for (int c = 0; c < 3; ++c) {
          const double value = (background[c] * (1 - a) + red[c] * a) * (1 - b) + teal[c] * b;
          p[c] = uint8_t(std::lround(std::clamp(value, 0.0, 255.0)));
        }
      }
  }
  return v;
}

}  // namespace

class TestVideo : public QObject {
  Q_OBJECT

 private slots:
  void roundTripKeepsShapeRateAndQuality() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("clip.mp4").toStdString();
    const VideoFrames source = movingSquares(16, 64, 64);
    writeMp4(path, source);
    QVERIFY(QFile::exists(QString::fromStdString(path)));
    QVERIFY(!QFile::exists(QString::fromStdString(path + ".tmp.mp4")));

    const VideoFrames back = readVideo(path);
    QCOMPARE(back.frames, int64_t(16));
    QCOMPARE(back.height, int64_t(64));
    QCOMPARE(back.width, int64_t(64));
    QVERIFY2(std::fabs(back.fps - 12.0) < 1e-6, qPrintable(QString::number(back.fps)));
    QCOMPARE(back.rgb.size(), source.rgb.size());

    const VideoQuality q = compareVideos(source, back);
    qInfo("crf 12 round trip: mean PSNR %.2f dB, mean SSIM %.4f", q.meanPsnr, q.meanSsim);
    QVERIFY2(q.meanPsnr > 35.0, qPrintable(QString::number(q.meanPsnr)));
    QVERIFY(q.meanPsnr < kPsnrCap);  // lossy codec: a perfect score would mean we compared the source to itself
    // Frames stay in order: each decoded frame is closest to its own source frame.
    for (int64_t f = 1; f < 16; ++f) {
      const size_t bytes = size_t(64 * 64 * 3);
      QVERIFY(psnr(source.frame(f), back.frame(f), bytes) > psnr(source.frame(f - 1), back.frame(f), bytes));
    }
  }

  void lowerCrfIsNoWorse() {
    QTemporaryDir dir;
    const VideoFrames source = movingSquares(8, 64, 64);
    const std::string fine = dir.filePath("fine.mp4").toStdString(), coarse = dir.filePath("coarse.mp4").toStdString();
    writeMp4(fine, source, 12);
    writeMp4(coarse, source, 40);
    const double pFine = compareVideos(source, readVideo(fine)).meanPsnr;
    const double pCoarse = compareVideos(source, readVideo(coarse)).meanPsnr;
    QVERIFY2(pFine > pCoarse, qPrintable(QString("crf12 %1 dB vs crf40 %2 dB").arg(pFine).arg(pCoarse)));
  }

  void oddSizeIsRejected() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("odd.mp4").toStdString();
    const QString msg = errorOf([&] { writeMp4(path, movingSquares(2, 63, 64)); });
    QVERIFY2(msg.contains("even") && msg.contains("64x63"), qPrintable(msg));
    QVERIFY(!QFile::exists(QString::fromStdString(path)));
  }

  void emptyVideoIsRejected() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("empty.mp4").toStdString();
    VideoFrames empty;
    const QString msg = errorOf([&] { writeMp4(path, empty); });
    QVERIFY2(msg.contains("empty") && msg.contains(QString::fromStdString(path)), qPrintable(msg));
  }

  void missingFileNamesIt() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("absent.mp4").toStdString();
    const QString msg = errorOf([&] { readVideo(path); });
    QVERIFY2(msg.contains(QString::fromStdString(path)), qPrintable(msg));
  }

  void nonVideoFileNamesIt() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("notes.mp4").toStdString();
    std::ofstream(path) << "These are meeting notes, not a video.\nSecond line.\n";
    const QString msg = errorOf([&] { readVideo(path); });
    QVERIFY2(msg.contains(QString::fromStdString(path)), qPrintable(msg.isEmpty() ? "no Error" : msg));
  }
};

QTEST_APPLESS_MAIN(TestVideo)
#include "test_video.moc"
