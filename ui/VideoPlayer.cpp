#include "ui/VideoPlayer.h"

#include <QVBoxLayout>

#include "ui/FrameView.h"
#include "ui/PlaybackControls.h"

namespace attnscope::ui {

VideoPlayer::VideoPlayer(QWidget* parent) : QWidget(parent) {
  auto* column = new QVBoxLayout(this);
  view_ = new FrameView(this);
  controls_ = new PlaybackControls(this);
  column->addWidget(view_, 1);
  column->addWidget(controls_);
  connect(controls_, &PlaybackControls::frameChanged, view_, &FrameView::setFrame);
  connect(view_, &FrameView::pixelClicked, this, &VideoPlayer::pixelClicked);
}

void VideoPlayer::setVideo(std::shared_ptr<const VideoFrames> video) {
  controls_->setFrameCount(video ? int(video->frames) : 0, video ? video->fps : 8.0);
  view_->setVideo(std::move(video));
  view_->setFrame(controls_->frame());
}

void VideoPlayer::setHeat(std::vector<float> heat, const TokenGrid& grid, const QString& caption) {
  view_->setHeat(std::move(heat), grid);
  view_->setCaption(caption);
}

void VideoPlayer::clearHeat() {
  view_->setHeat({}, {});
  view_->setMarker(std::nullopt);
  view_->setCaption({});
}

}  // namespace attnscope::ui
