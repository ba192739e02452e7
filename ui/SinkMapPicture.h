#pragma once
// SinkMapPicture: the sink map over the video frames — one small tile per
// token frame (height x width cells), each cell a token's value (how often it
// is a sink, or its mean received mass over uniform) through a colormap from
// 0 to the largest value, with a legend. Clicking a cell reports the token.
#include <QImage>
#include <QWidget>

#include <vector>

#include "engine/core/TokenGrid.h"

namespace attnscope::ui {

class SinkMapPicture : public QWidget {
  Q_OBJECT
 public:
  explicit SinkMapPicture(QWidget* parent = nullptr);

  // values [F * H * W] in natural order; `what` names them in the legend.
  void setMap(const TokenGrid& grid, std::vector<double> values, const QString& what);
  void clear(const QString& message);

  const std::vector<double>& values() const { return values_; }
  double maximum() const { return max_; }
  QRectF cellRect(int64_t frame, int64_t y, int64_t x) const;  // widget coordinates
  QSize sizeHint() const override { return {420, 200}; }
  QSize minimumSizeHint() const override { return {160, 80}; }

 signals:
  void tokenClicked(int64_t token);

 protected:
  void paintEvent(QPaintEvent*) override;
  void mousePressEvent(QMouseEvent* event) override;

 private:
  struct Layout {
    int perRow = 1;
    double cell = 0, tileW = 0, tileH = 0;
  };
  Layout layout() const;

  TokenGrid grid_;
  std::vector<double> values_;
  std::vector<QImage> tiles_;  // one W x H image per token frame, drawn scaled
  double max_ = 0;
  QString what_, message_;
};

}  // namespace attnscope::ui
