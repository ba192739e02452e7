#pragma once
// ValueGridPicture: a small picture of a rows x columns table of values —
// the layer x head map of head classes, the step x step stability matrix.
// Each cell is a coloured square (a colour given per cell, or the value
// through a viz colormap over [low, high]), optionally with its value
// written in it; row and column labels on the edges; a legend beside it
// (the colormap ramp with its range, or named colour swatches). A click on
// a cell reports it; hovering shows the cell's tooltip text.
#include <QColor>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <utility>
#include <vector>

#include "viz/AtlasViewport.h"

namespace attnscope::ui {

class ValueGridPicture : public QWidget {
  Q_OBJECT
 public:
  explicit ValueGridPicture(QWidget* parent = nullptr);

  // Values [rows * cols], row-major; coloured through `map` over [low, high].
  void setValues(int rows, int cols, std::vector<double> values, double low, double high,
                 viz::Colormap map = viz::Colormap::Viridis);
  // Colours given per cell [rows * cols]; `legend` names the colours.
  void setColours(int rows, int cols, std::vector<QColor> colours, std::vector<std::pair<QString, QColor>> legend);
  void setLabels(QStringList rowLabels, QStringList colLabels, const QString& rowTitle, const QString& colTitle);
  void setCellText(bool show) { showText_ = show; update(); }
  void setCellTips(QStringList tips) { tips_ = std::move(tips); }  // [rows * cols]
  void clear(const QString& message);

  int rows() const { return rows_; }
  int cols() const { return cols_; }
  double value(int row, int col) const { return values_.at(size_t(row * cols_ + col)); }
  QColor colour(int row, int col) const { return colours_.at(size_t(row * cols_ + col)); }
  QString message() const { return message_; }
  QRectF cellRect(int row, int col) const;  // widget coordinates
  QSize sizeHint() const override;
  QSize minimumSizeHint() const override { return {120, 80}; }

 signals:
  void cellClicked(int row, int col);

 protected:
  void paintEvent(QPaintEvent*) override;
  void mousePressEvent(QMouseEvent* event) override;
  bool event(QEvent* event) override;  // tooltips per cell

 private:
  struct Geometry {
    QRectF grid;
    double cell = 0;
  };
  Geometry geometry() const;
  std::pair<int, int> cellAt(QPointF p) const;  // (-1, -1) outside

  int rows_ = 0, cols_ = 0;
  std::vector<double> values_;
  std::vector<QColor> colours_;
  bool ramp_ = false;
  double low_ = 0, high_ = 1;
  viz::Colormap map_ = viz::Colormap::Viridis;
  std::vector<std::pair<QString, QColor>> legend_;
  QStringList rowLabels_, colLabels_, tips_;
  QString rowTitle_, colTitle_, message_;
  bool showText_ = false;
};

// The colour of t in [0, 1] under a viz colormap (the shaders' colours).
QColor colormapColour(viz::Colormap map, double t);

}  // namespace attnscope::ui
