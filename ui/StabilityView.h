#pragma once
// StabilityView (the Analytics dock's "Stability" tab): the engine's
// step x step stability report (compareSteps) as two pictures with legends —
// the correlation of the pooled maps and the Jaccard index of the masks one
// strategy derives at one density from each step's maps — so the user sees
// from which step on a mask can be reused. With another atlas chosen (e.g.
// the same model on another prompt) the rows are this atlas's steps and the
// columns the other's (compareAtlases): how far a mask carries across
// prompts. The strategy, density and other atlas are chosen here; editing
// them asks for a new report.
#include <QWidget>

#include "engine/analytics/Stability.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;

namespace attnscope::ui {

class ValueGridPicture;

class StabilityView : public QWidget {
  Q_OBJECT
 public:
  explicit StabilityView(QWidget* parent = nullptr);

  StabilityOptions options() const;
  // "" = this atlas's steps against themselves.
  QString otherAtlas() const { return other_; }
  void setOtherAtlas(const QString& path);
  void showReport(const StabilityReport* report, const QString& message = {});

  ValueGridPicture* correlationPicture() const { return correlation_; }
  ValueGridPicture* jaccardPicture() const { return jaccard_; }
  QLabel* summary() const { return summary_; }
  QComboBox* strategyBox() const { return strategy_; }
  QDoubleSpinBox* densityBox() const { return density_; }
  QPushButton* otherButton() const { return otherButton_; }
  QPushButton* clearOtherButton() const { return clearOther_; }

 signals:
  void optionsChanged();

 private:
  QComboBox* strategy_;
  QDoubleSpinBox* density_;
  QLabel* summary_;
  QPushButton *otherButton_, *clearOther_;
  QString other_;
  ValueGridPicture *correlation_, *jaccard_;
};

}  // namespace attnscope::ui
