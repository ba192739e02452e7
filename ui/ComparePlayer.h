#pragma once
// ComparePlayer: dense | sparse | difference, three frames kept in sync by
// one transport bar, with the frame's PSNR / SSIM under them.
#include <QWidget>

#include <memory>
#include <optional>

#include "engine/io/Video.h"
#include "engine/metrics/VideoMetrics.h"

class QLabel;

namespace attnscope::ui {

class FrameView;
class PlaybackControls;

class ComparePlayer : public QWidget {
  Q_OBJECT
 public:
  explicit ComparePlayer(QWidget* parent = nullptr);

  // Either may be null; the difference is shown when both are there.
  void setVideos(std::shared_ptr<const VideoFrames> dense, std::shared_ptr<const VideoFrames> sparse,
                 std::optional<VideoQuality> quality);
  FrameView* denseView() const { return views_[0]; }
  FrameView* sparseView() const { return views_[1]; }
  FrameView* differenceView() const { return views_[2]; }
  PlaybackControls* controls() const { return controls_; }

 private:
  void showFrame(int frame);

  FrameView* views_[3];
  PlaybackControls* controls_;
  QLabel* readout_;
  std::optional<VideoQuality> quality_;
};

}  // namespace attnscope::ui
