#include "ui/SinkMapPicture.h"

#include <QMouseEvent>
#include <QPainter>

#include <algorithm>
#include <cmath>

#include "ui/ValueGridPicture.h"

namespace attnscope::ui {

namespace {
constexpr double kGap = 6, kCaption = 14, kLegend = 90;
}

SinkMapPicture::SinkMapPicture(QWidget* parent) : QWidget(parent) {
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void SinkMapPicture::setMap(const TokenGrid& grid, std::vector<double> values, const QString& what) {
  grid_ = grid;
  values_ = std::move(values);
  max_ = 0;
  for (double v : values_)
    if (std::isfinite(v)) max_ = std::max(max_, v);
  what_ = what;
  message_.clear();
  // Coloured once here: a paint is then one scaled image per frame, whatever the grid's size.
  tiles_.clear();
  const double scale = max_ > 0 ? 1.0 / max_ : 0.0;
  if (int64_t(values_.size()) == grid_.videoTokens())
    for (int64_t f = 0; f < grid_.frames; ++f) {
      QImage tile(int(grid_.width), int(grid_.height), QImage::Format_RGB32);
      for (int64_t y = 0; y < grid_.height; ++y)
        for (int64_t x = 0; x < grid_.width; ++x)
          tile.setPixel(int(x), int(y),
                        colormapColour(viz::Colormap::Magma, values_[size_t((f * grid_.height + y) * grid_.width + x)] * scale).rgb());
      tiles_.push_back(std::move(tile));
    }
  update();
}

void SinkMapPicture::clear(const QString& message) {
  values_.clear();
  tiles_.clear();
  max_ = 0;
  message_ = message;
  update();
}

SinkMapPicture::Layout SinkMapPicture::layout() const {
  Layout best;
  const int64_t F = grid_.frames, H = grid_.height, W = grid_.width;
  if (F <= 0 || H <= 0 || W <= 0) return best;
  const double width = std::max(10.0, this->width() - kLegend), height = std::max(10.0, double(this->height()));
  // The tiles per row that give the largest cells.
  for (int perRow = 1; perRow <= F; ++perRow) {
    const int rows = int((F + perRow - 1) / perRow);
    const double cell = std::min((width - kGap * perRow) / (perRow * W), (height - rows * (kGap + kCaption)) / (rows * H));
    if (cell > best.cell) best = {perRow, cell, cell * W, cell * H};
  }
  return best;
}

QRectF SinkMapPicture::cellRect(int64_t f, int64_t y, int64_t x) const {
  const Layout l = layout();
  const double left = (f % l.perRow) * (l.tileW + kGap);
  const double top = (f / l.perRow) * (l.tileH + kGap + kCaption) + kCaption;
  return QRectF(left + x * l.cell, top + y * l.cell, l.cell, l.cell);
}

void SinkMapPicture::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), palette().window());
  p.setPen(palette().color(QPalette::WindowText));
  if (values_.empty() || int64_t(values_.size()) != grid_.videoTokens()) {
    p.drawText(rect().adjusted(8, 8, -8, -8), Qt::AlignCenter | Qt::TextWordWrap, message_);
    return;
  }
  const Layout l = layout();
  if (l.cell <= 0) return;
  QFont small = font();
  small.setPointSizeF(std::max(6.0, font().pointSizeF() - 2));
  p.setFont(small);
  for (int64_t f = 0; f < grid_.frames && f < int64_t(tiles_.size()); ++f) {
    const QRectF first = cellRect(f, 0, 0);
    p.drawImage(QRectF(first.topLeft(), QSizeF(l.tileW, l.tileH)), tiles_[size_t(f)]);
    p.drawText(QRectF(first.left(), first.top() - kCaption, l.tileW, kCaption), Qt::AlignLeft | Qt::AlignBottom,
               tr("frame %1").arg(f));
  }
  // Legend: the ramp from 0 to the maximum.
  const double lx = width() - kLegend + 8, top = kCaption, bar = std::max(40.0, std::min(height() - 30.0, 160.0));
  for (int i = 0; i < int(bar); ++i)
    p.fillRect(QRectF(lx, top + i, 12, 1), colormapColour(viz::Colormap::Magma, 1.0 - double(i) / bar));
  p.drawRect(QRectF(lx, top, 12, bar));
  p.drawText(QPointF(lx + 16, top + 9), QString::number(max_, 'g', 3));
  p.drawText(QPointF(lx + 16, top + bar), QStringLiteral("0"));
  p.drawText(QRectF(lx - 4, top + bar + 2, kLegend - 4, 40), Qt::AlignLeft | Qt::TextWordWrap, what_);
}

void SinkMapPicture::mousePressEvent(QMouseEvent* event) {
  const Layout l = layout();
  if (l.cell <= 0 || values_.empty()) return;
  for (int64_t f = 0; f < grid_.frames; ++f) {
    const QRectF tile = cellRect(f, 0, 0).united(cellRect(f, grid_.height - 1, grid_.width - 1));
    if (!tile.contains(event->position())) continue;
    const int64_t x = std::min<int64_t>(grid_.width - 1, int64_t((event->position().x() - tile.left()) / l.cell));
    const int64_t y = std::min<int64_t>(grid_.height - 1, int64_t((event->position().y() - tile.top()) / l.cell));
    emit tokenClicked((f * grid_.height + y) * grid_.width + x);
    return;
  }
}

}  // namespace attnscope::ui
