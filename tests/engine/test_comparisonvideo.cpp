// The compare view's videos: the difference (gain * |a - b| per channel,
// clamped) and the side-by-side export.
#include <QtTest>

#include "engine/metrics/ComparisonVideo.h"

#include "tests/support/ErrorMessage.h"

using namespace attnscope;
using namespace attnscope::testing;

class TestComparisonVideo : public QObject {
  Q_OBJECT
 private slots:
  void scaledAbsoluteDifference() {
    VideoFrames a, b;
    a.frames = b.frames = 2;
    a.height = b.height = 2;
    a.width = b.width = 3;
    a.rgb.resize(2 * 2 * 3 * 3);
    b.rgb.resize(a.rgb.size());
    for (size_t i = 0; i < a.rgb.size(); ++i) {
      a.rgb[i] = uint8_t(i * 7);
      b.rgb[i] = uint8_t(255 - i * 3);
    }
    VideoFrames d = differenceVideo(a, b, 4.0);
    QCOMPARE(d.frames, int64_t(2));
    for (size_t i = 0; i < d.rgb.size(); ++i) {
      int expected = std::min(255, 4 * std::abs(int(a.rgb[i]) - int(b.rgb[i])));
      QCOMPARE(int(d.rgb[i]), expected);
    }
    VideoFrames same = differenceVideo(a, a);
    for (uint8_t v : same.rgb) QCOMPARE(int(v), 0);
  }

  void sideBySidePlacesEachVideo() {
    VideoFrames a, b;
    a.frames = b.frames = 2;
    a.height = b.height = 3;
    a.width = b.width = 5;
    a.rgb.assign(2 * 3 * 5 * 3, 10);
    b.rgb.assign(a.rgb.size(), 200);
    b.frame(1)[(2 * 5 + 4) * 3 + 1] = 77;  // frame 1, y 2, x 4, green
    VideoFrames s = sideBySide({&a, &b}, 3);
    QCOMPARE(s.width, int64_t(14));  // 5 + 3 + 5 = 13, rounded up to even
    QCOMPARE(s.height, int64_t(3));
    auto at = [&](int64_t f, int64_t y, int64_t x, int c) { return int(s.frame(f)[(y * s.width + x) * 3 + c]); };
    QCOMPARE(at(0, 1, 4, 0), 10);
    QCOMPARE(at(0, 1, 6, 0), 0);  // the gap
    QCOMPARE(at(0, 1, 8, 2), 200);
    QCOMPARE(at(1, 2, 12, 1), 77);
    QCOMPARE(at(1, 2, 13, 1), 0);  // padding column
    a.frames = 1;
    QVERIFY(errorOf([&] { sideBySide({&a, &b}); }).contains("side by side"));
  }

  void mismatchedSizesAreRejected() {
    VideoFrames a, b;
    a.frames = 2, a.height = 2, a.width = 2, a.rgb.resize(24);
    b.frames = 3, b.height = 2, b.width = 2, b.rgb.resize(36);
    QVERIFY(errorOf([&] { differenceVideo(a, b); }).contains("2-frame 2x2 video with a 3-frame 2x2"));
  }
};

QTEST_APPLESS_MAIN(TestComparisonVideo)
#include "test_comparisonvideo.moc"
