#include "ui/ComparePlayer.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

#include "engine/core/Error.h"
#include "engine/metrics/ComparisonVideo.h"
#include "ui/FrameView.h"
#include "ui/PlaybackControls.h"

namespace attnscope::ui {

ComparePlayer::ComparePlayer(QWidget* parent) : QWidget(parent) {
  auto* column = new QVBoxLayout(this);
  auto* row = new QHBoxLayout;
  const QString captions[3] = {tr("Dense"), tr("Sparse (plan)"), tr("Difference ×4")};
  const QString tips[3] = {tr("The dense run"), tr("The re-render with the mask plan"),
                           tr("|dense − sparse| per channel, ×4")};
  for (int i = 0; i < 3; ++i) {
    views_[i] = new FrameView(this);
    views_[i]->setCaption(captions[i]);
    views_[i]->setToolTip(tips[i]);
    row->addWidget(views_[i], 1);
  }
  column->addLayout(row, 1);
  readout_ = new QLabel(this);
  readout_->setToolTip(tr("Quality of this frame of the sparse re-render against the dense run"));
  column->addWidget(readout_);
  controls_ = new PlaybackControls(this);
  column->addWidget(controls_);
  connect(controls_, &PlaybackControls::frameChanged, this, &ComparePlayer::showFrame);
  setVideos(nullptr, nullptr, std::nullopt);
}

void ComparePlayer::setVideos(std::shared_ptr<const VideoFrames> dense, std::shared_ptr<const VideoFrames> sparse,
                              std::optional<VideoQuality> quality) {
  quality_ = std::move(quality);
  std::shared_ptr<const VideoFrames> difference;
  if (dense && sparse) {
    try {
      difference = std::make_shared<const VideoFrames>(differenceVideo(*dense, *sparse));
    } catch (const Error&) {  // different sizes: nothing to difference
    }
  }
  const auto& lead = dense ? dense : sparse;
  controls_->setFrameCount(lead ? int(lead->frames) : 0, lead ? lead->fps : 8.0);
  views_[0]->setVideo(std::move(dense));
  views_[1]->setVideo(std::move(sparse));
  views_[2]->setVideo(std::move(difference));
  showFrame(controls_->frame());
}

void ComparePlayer::showFrame(int frame) {
  for (FrameView* v : views_) v->setFrame(frame);
  if (quality_ && frame < int(quality_->frames.size())) {
    const FrameQuality& q = quality_->frames[frame];
    readout_->setText(tr("Frame %1: PSNR %2 dB, SSIM %3   (mean PSNR %4 dB, SSIM %5)")
                          .arg(frame + 1).arg(q.psnr, 0, 'f', 2).arg(q.ssim, 0, 'f', 4)
                          .arg(quality_->meanPsnr, 0, 'f', 2).arg(quality_->meanSsim, 0, 'f', 4));
  } else {
    readout_->setText(tr("Re-render with a mask plan to compare (Run ▸ Re-render, Ctrl+R)"));
  }
}

}  // namespace attnscope::ui
