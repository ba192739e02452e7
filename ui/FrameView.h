#pragma once
// FrameView: one video frame, scaled to fit with square pixels (nearest
// neighbour: generated videos are small), optionally with a per-token heat
// overlay and a marker at the pixel the user picked. A click reports the
// video pixel under the pointer.
#include <QImage>
#include <QString>
#include <QWidget>

#include <memory>
#include <optional>
#include <vector>

#include "engine/core/TokenGrid.h"
#include "engine/io/Video.h"

namespace attnscope::ui {

class FrameView : public QWidget {
  Q_OBJECT
 public:
  explicit FrameView(QWidget* parent = nullptr);

  void setVideo(std::shared_ptr<const VideoFrames> video);
  std::shared_ptr<const VideoFrames> video() const { return video_; }
  void setFrame(int frame);
  int frame() const { return frame_; }
  void setCaption(const QString& caption);
  // Heat [F, H, W] over the token grid; empty clears. Normalised by its maximum.
  void setHeat(std::vector<float> heat, const TokenGrid& grid);
  bool hasHeat() const { return !heat_.empty(); }
  void setMarker(std::optional<QPointF> videoPixel);

  QRectF frameRect() const;  // where the frame is drawn, widget coordinates
  QSize sizeHint() const override { return {320, 320}; }

 signals:
  void pixelClicked(int frame, double x, double y);  // video pixel coordinates

 protected:
  void paintEvent(QPaintEvent*) override;
  void mousePressEvent(QMouseEvent* event) override;

 private:
  std::shared_ptr<const VideoFrames> video_;
  int frame_ = 0;
  QString caption_;
  std::vector<float> heat_;
  TokenGrid heatGrid_;
  float heatMax_ = 0;
  std::optional<QPointF> marker_;
};

}  // namespace attnscope::ui
