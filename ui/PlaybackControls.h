#pragma once
// PlaybackControls: the transport bar shared by the video and compare
// players — play/pause, frame step back/forward, a scrub slider, loop — and
// the QTimer that advances frames at the video's frame rate.
#include <QWidget>

class QCheckBox;
class QLabel;
class QSlider;
class QTimer;
class QToolButton;

namespace attnscope::ui {

class PlaybackControls : public QWidget {
  Q_OBJECT
 public:
  explicit PlaybackControls(QWidget* parent = nullptr);

  void setFrameCount(int frames, double fps);
  int frame() const;
  bool playing() const;
  bool looping() const;

 public slots:
  void setFrame(int frame);
  void play();
  void pause();
  void togglePlay();
  void stepForward();
  void stepBack();
  void setLooping(bool loop);

 signals:
  void frameChanged(int frame);

 private:
  void advance();
  void refresh();

  QToolButton *playButton_, *backButton_, *forwardButton_;
  QSlider* slider_;
  QCheckBox* loop_;
  QLabel* label_;
  QTimer* timer_;
  int frames_ = 0;
};

}  // namespace attnscope::ui
