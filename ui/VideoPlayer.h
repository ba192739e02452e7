#pragma once
// VideoPlayer: the generated video with its transport bar. A click on a
// pixel asks "where does this pixel look"; the answer is drawn as a heat
// overlay over every frame (setHeat).
#include <QWidget>

#include <memory>
#include <vector>

#include "engine/core/TokenGrid.h"
#include "engine/io/Video.h"

namespace attnscope::ui {

class FrameView;
class PlaybackControls;

class VideoPlayer : public QWidget {
  Q_OBJECT
 public:
  explicit VideoPlayer(QWidget* parent = nullptr);

  void setVideo(std::shared_ptr<const VideoFrames> video);
  void setHeat(std::vector<float> heat, const TokenGrid& grid, const QString& caption);
  void clearHeat();
  FrameView* view() const { return view_; }
  PlaybackControls* controls() const { return controls_; }

 signals:
  void pixelClicked(int frame, double x, double y);

 private:
  FrameView* view_;
  PlaybackControls* controls_;
};

}  // namespace attnscope::ui
