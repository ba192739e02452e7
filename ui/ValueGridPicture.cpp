#include "ui/ValueGridPicture.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace attnscope::ui {

namespace {
constexpr double kLeft = 44, kTop = 30, kBottom = 6, kLegend = 110, kMaxCell = 56;
}

QColor colormapColour(viz::Colormap map, double t) {
  const auto rgb = viz::colormapRgb(map, float(std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0)));
  return QColor(rgb[0], rgb[1], rgb[2]);
}

ValueGridPicture::ValueGridPicture(QWidget* parent) : QWidget(parent) {
  setMouseTracking(false);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void ValueGridPicture::setValues(int rows, int cols, std::vector<double> values, double low, double high,
                                 viz::Colormap map) {
  rows_ = rows;
  cols_ = cols;
  values_ = std::move(values);
  ramp_ = true;
  low_ = low;
  high_ = high > low ? high : low + 1;
  map_ = map;
  colours_.clear();
  for (double v : values_) colours_.push_back(colormapColour(map, (v - low_) / (high_ - low_)));
  message_.clear();
  updateGeometry();
  update();
}

void ValueGridPicture::setColours(int rows, int cols, std::vector<QColor> colours,
                                  std::vector<std::pair<QString, QColor>> legend) {
  rows_ = rows;
  cols_ = cols;
  colours_ = std::move(colours);
  values_.assign(colours_.size(), 0.0);
  ramp_ = false;
  legend_ = std::move(legend);
  message_.clear();
  updateGeometry();
  update();
}

void ValueGridPicture::setLabels(QStringList rowLabels, QStringList colLabels, const QString& rowTitle,
                                 const QString& colTitle) {
  rowLabels_ = std::move(rowLabels);
  colLabels_ = std::move(colLabels);
  rowTitle_ = rowTitle;
  colTitle_ = colTitle;
  update();
}

void ValueGridPicture::clear(const QString& message) {
  rows_ = cols_ = 0;
  values_.clear();
  colours_.clear();
  tips_.clear();
  message_ = message;
  update();
}

QSize ValueGridPicture::sizeHint() const {
  const int cell = 22;
  return QSize(int(kLeft + kLegend) + std::max(4, cols_) * cell, int(kTop + kBottom) + std::max(4, rows_) * cell);
}

ValueGridPicture::Geometry ValueGridPicture::geometry() const {
  Geometry g;
  if (rows_ <= 0 || cols_ <= 0) return g;
  const double w = width() - kLeft - kLegend, h = height() - kTop - kBottom;
  g.cell = std::max(2.0, std::min({w / cols_, h / rows_, kMaxCell}));
  g.grid = QRectF(kLeft, kTop, g.cell * cols_, g.cell * rows_);
  return g;
}

QRectF ValueGridPicture::cellRect(int row, int col) const {
  const Geometry g = geometry();
  return QRectF(g.grid.left() + col * g.cell, g.grid.top() + row * g.cell, g.cell, g.cell);
}

std::pair<int, int> ValueGridPicture::cellAt(QPointF p) const {
  const Geometry g = geometry();
  if (g.cell <= 0 || !g.grid.contains(p)) return {-1, -1};
  const int col = std::min(cols_ - 1, int((p.x() - g.grid.left()) / g.cell));
  const int row = std::min(rows_ - 1, int((p.y() - g.grid.top()) / g.cell));
  return {row, col};
}

void ValueGridPicture::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), palette().window());
  if (rows_ <= 0 || cols_ <= 0) {
    p.setPen(palette().color(QPalette::WindowText));
    p.drawText(rect().adjusted(8, 8, -8, -8), Qt::AlignCenter | Qt::TextWordWrap, message_);
    return;
  }
  const Geometry g = geometry();
  QFont small = font();
  small.setPointSizeF(std::max(6.0, font().pointSizeF() - 2));
  p.setFont(small);
  for (int r = 0; r < rows_; ++r)
    for (int c = 0; c < cols_; ++c) {
      const QRectF cell = cellRect(r, c);
      const QColor colour = colours_[size_t(r * cols_ + c)];
      p.fillRect(cell, colour);
      if (showText_ && g.cell >= 22) {
        p.setPen(colour.lightnessF() > 0.55 ? Qt::black : Qt::white);
        p.drawText(cell, Qt::AlignCenter, QString::number(values_[size_t(r * cols_ + c)], 'f', 2));
      }
    }
  p.setPen(palette().color(QPalette::WindowText));
  p.drawRect(g.grid);
  // Labels: every one when there is room, else every k-th.
  const int rowStep = std::max(1, int(std::ceil(14.0 / g.cell))), colStep = std::max(1, int(std::ceil(24.0 / g.cell)));
  for (int r = 0; r < rows_ && r < rowLabels_.size(); r += rowStep)
    p.drawText(QRectF(0, cellRect(r, 0).top(), kLeft - 4, g.cell), Qt::AlignRight | Qt::AlignVCenter, rowLabels_[r]);
  for (int c = 0; c < cols_ && c < colLabels_.size(); c += colStep)
    p.drawText(QRectF(cellRect(0, c).left() - 8, kTop - 15, g.cell + 16, 14), Qt::AlignCenter, colLabels_[c]);
  p.drawText(QRectF(g.grid.left(), 0, std::max(g.grid.width(), width() - g.grid.left()), 14),
             Qt::AlignLeft, colTitle_);
  p.save();
  p.translate(10, g.grid.center().y());
  p.rotate(-90);
  p.drawText(QRectF(-g.grid.height() / 2, -8, g.grid.height(), 14), Qt::AlignCenter, rowTitle_);
  p.restore();

  // Legend
  const double lx = g.grid.right() + 12;
  if (ramp_) {
    const double top = g.grid.top(), bar = std::max(40.0, g.grid.height());
    for (int i = 0; i < int(bar); ++i)
      p.fillRect(QRectF(lx, top + i, 14, 1), colormapColour(map_, 1.0 - double(i) / bar));
    p.drawRect(QRectF(lx, top, 14, bar));
    p.drawText(QPointF(lx + 18, top + 10), QString::number(high_, 'g', 3));
    p.drawText(QPointF(lx + 18, top + bar), QString::number(low_, 'g', 3));
  } else {
    double y = g.grid.top();
    for (const auto& [name, colour] : legend_) {
      p.fillRect(QRectF(lx, y, 12, 12), colour);
      p.drawRect(QRectF(lx, y, 12, 12));
      p.drawText(QPointF(lx + 16, y + 10), name);
      y += 16;
    }
  }
}

void ValueGridPicture::mousePressEvent(QMouseEvent* event) {
  const auto [row, col] = cellAt(event->position());
  if (row >= 0) emit cellClicked(row, col);
}

bool ValueGridPicture::event(QEvent* event) {
  if (event->type() == QEvent::ToolTip) {
    auto* help = static_cast<QHelpEvent*>(event);
    const auto [row, col] = cellAt(help->pos());
    if (row >= 0 && row * cols_ + col < tips_.size()) {
      QToolTip::showText(help->globalPos(), tips_[row * cols_ + col], this);
      return true;
    }
  }
  return QWidget::event(event);
}

}  // namespace attnscope::ui
