#include "ui/FrameView.h"

#include <QMouseEvent>
#include <QPainter>

#include <algorithm>

#include "ui/HeatColors.h"

namespace attnscope::ui {

FrameView::FrameView(QWidget* parent) : QWidget(parent) {
  setMinimumSize(96, 96);
  setToolTip(tr("Click a pixel to see where it attends in every frame"));
}

void FrameView::setVideo(std::shared_ptr<const VideoFrames> video) {
  video_ = std::move(video);
  frame_ = video_ ? std::clamp<int>(frame_, 0, std::max<int64_t>(0, video_->frames - 1)) : 0;
  update();
}

void FrameView::setFrame(int frame) {
  frame_ = frame;
  update();
}

void FrameView::setCaption(const QString& caption) {
  caption_ = caption;
  update();
}

void FrameView::setHeat(std::vector<float> heat, const TokenGrid& grid) {
  heat_ = std::move(heat);
  heatGrid_ = grid;
  heatMax_ = heat_.empty() ? 0.0f : *std::max_element(heat_.begin(), heat_.end());
  update();
}

void FrameView::setMarker(std::optional<QPointF> videoPixel) {
  marker_ = videoPixel;
  update();
}

QRectF FrameView::frameRect() const {
  if (!video_ || video_->width <= 0) return {};
  const double top = caption_.isEmpty() ? 0 : fontMetrics().height() + 4;
  const double w = width(), h = height() - top;
  const double scale = std::min(w / video_->width, h / video_->height);
  const double fw = video_->width * scale, fh = video_->height * scale;
  return {(w - fw) / 2, top + (h - fh) / 2, fw, fh};
}

void FrameView::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), palette().color(QPalette::Base).darker(140));
  if (!caption_.isEmpty()) {
    p.setPen(palette().color(QPalette::Text));
    p.drawText(QRect(0, 0, width(), fontMetrics().height() + 4), Qt::AlignCenter, caption_);
  }
  if (!video_ || video_->frames == 0) {
    p.setPen(palette().color(QPalette::PlaceholderText));
    p.drawText(rect(), Qt::AlignCenter, tr("No video yet"));
    return;
  }
  const QRectF target = frameRect();
  p.drawImage(target, frameImage(*video_, frame_));  // nearest neighbour: no smooth hint
  if (!heat_.empty() && heatGrid_.frames > 0) {
    const int64_t tokenFrame = std::min<int64_t>(heatGrid_.frames - 1, frame_ * heatGrid_.frames / video_->frames);
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    p.drawImage(target, heatImage(heat_, heatGrid_, tokenFrame, heatMax_));
  }
  if (marker_) {
    const double sx = target.width() / video_->width;
    QPointF c(target.left() + (marker_->x() + 0.5) * sx, target.top() + (marker_->y() + 0.5) * sx);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(QPen(Qt::white, 2));
    p.drawEllipse(c, 6, 6);
    p.setPen(QPen(Qt::black, 1));
    p.drawEllipse(c, 8, 8);
  }
}

void FrameView::mousePressEvent(QMouseEvent* event) {
  const QRectF target = frameRect();
  if (!video_ || event->button() != Qt::LeftButton || !target.contains(event->position())) return;
  const double scale = video_->width / target.width();
  const double x = (event->position().x() - target.left()) * scale;
  const double y = (event->position().y() - target.top()) * scale;
  emit pixelClicked(frame_, std::clamp(x, 0.0, double(video_->width) - 1e-3),
                    std::clamp(y, 0.0, double(video_->height) - 1e-3));
}

}  // namespace attnscope::ui
