#pragma once
// HeadTypesView (the Analytics dock's "Head types" tab): the engine's
// head-type report (classifyHeads) — per (layer, head) the share of mass in
// the query's frame (spatial), at its position in other frames (temporal),
// in a 3D window, on sinks, the rest, the entropy and the class — as a
// sortable table and a layer x head picture coloured by class. The class
// thresholds and the window are spin boxes: editing one asks for a new
// report (the panel re-classifies on its worker thread). When the atlas has
// no offset histograms the view says which columns cannot be computed.
#include <QColor>
#include <QWidget>

#include "engine/analytics/HeadTypes.h"

class QDoubleSpinBox;
class QLabel;
class QSpinBox;
class QTableWidget;

namespace attnscope::ui {

class ValueGridPicture;

class HeadTypesView : public QWidget {
  Q_OBJECT
 public:
  explicit HeadTypesView(QWidget* parent = nullptr);

  HeadTypeOptions options() const;  // without sinks/step: the panel adds them
  void showReport(const HeadTypeReport* report, const QString& message = {});

  static QColor colourOf(HeadType type);

  QTableWidget* table() const { return table_; }
  ValueGridPicture* picture() const { return picture_; }
  QLabel* note() const { return note_; }
  QDoubleSpinBox* sinkShareBox() const { return sinkShare_; }
  QDoubleSpinBox* spatialShareBox() const { return spatialShare_; }
  QDoubleSpinBox* temporalShareBox() const { return temporalShare_; }
  // The class shown for (layer, head), "" when there is no report.
  QString classOf(int layer, int head) const;

 signals:
  void optionsChanged();
  void headPicked(int layer, int head);

 private:
  QDoubleSpinBox *sinkShare_, *spatialShare_, *temporalShare_;
  QSpinBox *windowF_, *windowH_, *windowW_;
  QLabel *note_, *counts_;
  QTableWidget* table_;
  ValueGridPicture* picture_;
};

}  // namespace attnscope::ui
