#pragma once
// SinksView (the Analytics dock's "Sinks" tab): the engine's sink report
// (findSinks) as a sortable table — one row per sink token: where it is
// (frame, y, x, or the prompt word), primary or secondary, how often and for
// how many consecutive layers it is a sink, its mean share of the head's
// mass — and the sink map over the video frames (how often each token is a
// sink, or its mean received mass over uniform). "Show on video" hands the
// map to the video player as a heat overlay. The thresholds are the
// engine's SinkOptions; editing one asks for a new report.
#include <QWidget>

#include <vector>

#include "engine/analytics/SinkAnalysis.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace attnscope::ui {

class SinkMapPicture;

class SinksView : public QWidget {
  Q_OBJECT
 public:
  explicit SinksView(QWidget* parent = nullptr);

  SinkOptions options() const;
  // Null report with a message: nothing to show, and why.
  void showReport(const SinkReport* report, const QString& message = {});

  QTableWidget* table() const { return table_; }
  SinkMapPicture* map() const { return map_; }
  QComboBox* mapChoice() const { return mapChoice_; }
  QDoubleSpinBox* ratioBox() const { return ratio_; }
  QPushButton* showOnVideoButton() const { return onVideo_; }
  QLabel* summary() const { return summary_; }

 signals:
  void optionsChanged();
  void heatRequested(const std::vector<float>& heat, const attnscope::TokenGrid& grid, const QString& caption);

 private:
  void showMap();

  QDoubleSpinBox *ratio_, *textRatio_;
  QSpinBox* primaryLayers_;
  QLabel* summary_;
  QTableWidget* table_;
  QComboBox* mapChoice_;
  QPushButton* onVideo_;
  SinkMapPicture* map_;
  bool hasReport_ = false;
  TokenGrid grid_;
  std::vector<double> counts_, ratios_;
};

}  // namespace attnscope::ui
