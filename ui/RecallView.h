#pragma once
// RecallView (the Analytics dock's "Mask recall" tab): the engine's mask
// recall (maskRecall) of the current plan — per (layer, head) the attention
// mass the mask keeps next to its density, sortable — and the mean kept mass
// at every captured step, which shows whether a plan made at one step holds
// at the others. While a derive preview is live it is the preview's recall.
#include <QWidget>

#include "engine/analytics/MaskRecall.h"

class QLabel;
class QTableWidget;

namespace attnscope::ui {

class RecallView : public QWidget {
  Q_OBJECT
 public:
  explicit RecallView(QWidget* parent = nullptr);

  void showReport(const RecallReport* report, const QString& message = {});
  void setPreview(bool preview) { preview_ = preview; }  // the next report is of a preview
  QTableWidget* table() const { return table_; }
  QLabel* summary() const { return summary_; }

 signals:
  void headPicked(int layer, int head);

 private:
  QLabel* summary_;
  QTableWidget* table_;
  bool preview_ = false;
};

}  // namespace attnscope::ui
