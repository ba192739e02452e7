// Video and compare players on a synthetic video: play/pause, frame step,
// scrub, loop, the pixel a click maps to, and the compare views in sync.
#include <QSignalSpy>
#include <QtTest>

#include "ui/ComparePlayer.h"
#include "ui/FrameView.h"
#include "ui/PlaybackControls.h"
#include "ui/VideoPlayer.h"

using namespace attnscope;
using namespace attnscope::ui;

namespace {

// Frame f is filled with grey level 10 * f; pixel (x, y) of frame 0 has red = x, green = y.
std::shared_ptr<const VideoFrames> makeVideo(int frames, int w, int h, double fps) {
  auto v = std::make_shared<VideoFrames>();
  v->frames = frames, v->width = w, v->height = h, v->fps = fps;
  v->rgb.assign(size_t(frames * w * h * 3), 0);
  for (int f = 0; f < frames; ++f)
    for (int i = 0; i < w * h; ++i)
      for (int c = 0; c < 3; ++c) v->frame(f)[i * 3 + c] = uint8_t(10 * f);
  return v;
}

}  // namespace

class TestVideoPlayer : public QObject {
  Q_OBJECT
 private slots:
  void transport() {
    VideoPlayer player;
    player.resize(400, 400);
    player.show();
    player.setVideo(makeVideo(5, 16, 8, 50.0));
    PlaybackControls* c = player.controls();
    QCOMPARE(c->frame(), 0);
    c->stepForward();
    c->stepForward();
    QCOMPARE(c->frame(), 2);
    QCOMPARE(player.view()->frame(), 2);
    c->stepBack();
    QCOMPARE(c->frame(), 1);
    c->setFrame(99);  // scrub past the end clamps
    QCOMPARE(c->frame(), 4);

    // Looping playback wraps around; without loop it stops at the last frame.
    QSignalSpy changed(c, &PlaybackControls::frameChanged);
    c->setLooping(true);
    c->play();
    QVERIFY(c->playing());
    QTRY_VERIFY_WITH_TIMEOUT(changed.count() >= 7, 3000);
    c->pause();
    QVERIFY(!c->playing());
    bool wrapped = false;
    for (int i = 1; i < changed.count(); ++i) wrapped |= changed[i].at(0).toInt() < changed[i - 1].at(0).toInt();
    QVERIFY(wrapped);
    c->setLooping(false);
    c->setFrame(0);
    c->play();
    QTRY_VERIFY_WITH_TIMEOUT(!c->playing(), 3000);
    QCOMPARE(c->frame(), 4);
  }

  void clickMapsToTheVideoPixel() {
    VideoPlayer player;
    player.resize(400, 300);
    player.show();
    QVERIFY(QTest::qWaitForWindowExposed(&player));
    player.setVideo(makeVideo(3, 32, 16, 8.0));
    QSignalSpy clicked(&player, &VideoPlayer::pixelClicked);
    FrameView* view = player.view();
    const QRectF r = view->frameRect();
    QVERIFY(r.width() > 32);
    QCOMPARE(r.width() / r.height(), 2.0);  // square pixels
    // The centre of pixel (24, 4).
    const QPointF at(r.left() + (24.5 / 32) * r.width(), r.top() + (4.5 / 16) * r.height());
    QTest::mouseClick(view, Qt::LeftButton, {}, at.toPoint());
    QCOMPARE(clicked.count(), 1);
    QCOMPARE(int(clicked[0].at(1).toDouble()), 24);
    QCOMPARE(int(clicked[0].at(2).toDouble()), 4);
    // Outside the frame: nothing.
    QTest::mouseClick(view, Qt::LeftButton, {}, QPoint(1, 1));
    QCOMPARE(clicked.count(), r.top() > 1 || r.left() > 1 ? 1 : 2);
  }

  void heatOverlayIsDrawn() {
    VideoPlayer player;
    player.resize(300, 300);
    player.show();
    QVERIFY(QTest::qWaitForWindowExposed(&player));
    player.setVideo(makeVideo(2, 8, 8, 8.0));
    TokenGrid grid = TokenGrid::parse("2x2x2");
    std::vector<float> heat(8, 0.0f);
    heat[0 * 4 + 1 * 2 + 1] = 1.0f;  // frame 0, bottom-right token hot
    player.setHeat(heat, grid, "test");
    QVERIFY(player.view()->hasHeat());
    const QImage shot = player.view()->grab().toImage();
    const QRectF r = player.view()->frameRect();
    const QColor hot = shot.pixelColor((r.topLeft() + QPointF(r.width() * 0.85, r.height() * 0.85)).toPoint());
    const QColor cold = shot.pixelColor((r.topLeft() + QPointF(r.width() * 0.15, r.height() * 0.15)).toPoint());
    QVERIFY2(hot.red() > 150 && hot.red() > cold.red() + 100, qPrintable(hot.name() + " vs " + cold.name()));
    player.clearHeat();
    QVERIFY(!player.view()->hasHeat());
  }

  void compareViewsStayInSync() {
    ComparePlayer compare;
    compare.resize(600, 300);
    auto a = makeVideo(4, 8, 8, 8.0);
    auto b = makeVideo(4, 8, 8, 8.0);
    VideoQuality q;
    for (int f = 0; f < 4; ++f) q.frames.push_back({40.0 + f, 0.9});
    compare.setVideos(a, b, q);
    compare.controls()->setFrame(3);
    QCOMPARE(compare.denseView()->frame(), 3);
    QCOMPARE(compare.sparseView()->frame(), 3);
    QCOMPARE(compare.differenceView()->frame(), 3);
    QVERIFY(compare.differenceView()->video());
    for (uint8_t v : compare.differenceView()->video()->rgb) QCOMPARE(int(v), 0);  // identical videos
  }
};

QTEST_MAIN(TestVideoPlayer)
#include "test_videoplayer.moc"
