#include "ui/PlaybackControls.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QStyle>
#include <QTimer>
#include <QToolButton>

#include <algorithm>

namespace attnscope::ui {

PlaybackControls::PlaybackControls(QWidget* parent) : QWidget(parent) {
  auto* row = new QHBoxLayout(this);
  row->setContentsMargins(0, 0, 0, 0);
  auto button = [&](QStyle::StandardPixmap icon, const QString& tip) {
    auto* b = new QToolButton(this);
    b->setIcon(style()->standardIcon(icon));
    b->setToolTip(tip);
    b->setAutoRaise(true);
    row->addWidget(b);
    return b;
  };
  backButton_ = button(QStyle::SP_MediaSeekBackward, tr("Previous frame (,)"));
  playButton_ = button(QStyle::SP_MediaPlay, tr("Play / pause (Space)"));
  forwardButton_ = button(QStyle::SP_MediaSeekForward, tr("Next frame (.)"));
  slider_ = new QSlider(Qt::Horizontal, this);
  slider_->setToolTip(tr("Scrub through the frames"));
  row->addWidget(slider_, 1);
  label_ = new QLabel(this);
  label_->setMinimumWidth(60);
  label_->setToolTip(tr("Current frame / frame count"));
  row->addWidget(label_);
  loop_ = new QCheckBox(tr("Loop"), this);
  loop_->setChecked(true);
  loop_->setToolTip(tr("Start over after the last frame"));
  row->addWidget(loop_);
  timer_ = new QTimer(this);

  connect(backButton_, &QToolButton::clicked, this, &PlaybackControls::stepBack);
  connect(forwardButton_, &QToolButton::clicked, this, &PlaybackControls::stepForward);
  connect(playButton_, &QToolButton::clicked, this, &PlaybackControls::togglePlay);
  connect(slider_, &QSlider::valueChanged, this, [this](int f) {
    refresh();
    emit frameChanged(f);
  });
  connect(timer_, &QTimer::timeout, this, &PlaybackControls::advance);
  setFrameCount(0, 8.0);
}

void PlaybackControls::setFrameCount(int frames, double fps) {
  frames_ = frames;
  timer_->setInterval(int(1000.0 / std::max(1.0, fps)));
  slider_->setRange(0, std::max(0, frames - 1));
  setEnabled(frames > 0);
  if (frames == 0) pause();
  refresh();
}

int PlaybackControls::frame() const { return slider_->value(); }
bool PlaybackControls::playing() const { return timer_->isActive(); }
bool PlaybackControls::looping() const { return loop_->isChecked(); }

void PlaybackControls::setFrame(int frame) { slider_->setValue(std::clamp(frame, 0, std::max(0, frames_ - 1))); }

void PlaybackControls::play() {
  if (frames_ <= 1) return;
  if (frame() >= frames_ - 1 && !looping()) setFrame(0);
  timer_->start();
  refresh();
}

void PlaybackControls::pause() {
  timer_->stop();
  refresh();
}

void PlaybackControls::togglePlay() { playing() ? pause() : play(); }

void PlaybackControls::stepForward() {
  pause();
  setFrame(frame() + 1);
}

void PlaybackControls::stepBack() {
  pause();
  setFrame(frame() - 1);
}

void PlaybackControls::setLooping(bool loop) { loop_->setChecked(loop); }

void PlaybackControls::advance() {
  if (frame() + 1 < frames_)
    setFrame(frame() + 1);
  else if (looping())
    setFrame(0);
  else
    pause();
}

void PlaybackControls::refresh() {
  playButton_->setIcon(style()->standardIcon(playing() ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
  label_->setText(frames_ ? tr("%1 / %2").arg(frame() + 1).arg(frames_) : tr("– / –"));
}

}  // namespace attnscope::ui
