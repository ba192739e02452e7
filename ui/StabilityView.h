#pragma once
// StabilityView (the Analytics dock's "Stability" tab): the engine's
// step x step stability report (compareSteps) as two pictures with legends —
// the correlation of the pooled maps and the Jaccard index of the masks one
// strategy derives at one density from each step's maps — so the user sees
// from which step on a mask can be reused. The strategy and density are
// chosen here; editing them asks for a new report.
#include <QWidget>

#include "engine/analytics/Stability.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;

namespace attnscope::ui {

class ValueGridPicture;

class StabilityView : public QWidget {
  Q_OBJECT
 public:
  explicit StabilityView(QWidget* parent = nullptr);

  StabilityOptions options() const;
  void showReport(const StabilityReport* report, const QString& message = {});

  ValueGridPicture* correlationPicture() const { return correlation_; }
  ValueGridPicture* jaccardPicture() const { return jaccard_; }
  QLabel* summary() const { return summary_; }
  QComboBox* strategyBox() const { return strategy_; }
  QDoubleSpinBox* densityBox() const { return density_; }

 signals:
  void optionsChanged();

 private:
  QComboBox* strategy_;
  QDoubleSpinBox* density_;
  QLabel* summary_;
  ValueGridPicture *correlation_, *jaccard_;
};

}  // namespace attnscope::ui
