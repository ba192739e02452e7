#pragma once
// MaskPanel (the "Masks" dock): the painting tools and their scope, the live
// density read-out, auto-derive (any engine strategy, its parameters as spin
// boxes, a target density, live preview of the kept blocks while tuning), the
// per-head density table and the undo history. It reads the plan from the
// Workbench and asks MainWindow for changes through signals.
#include <QWidget>

#include "engine/mask/MaskEdits.h"
#include "engine/strategies/Strategy.h"
#include "viz/AtlasViewport.h"

class QButtonGroup;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QTimer;
class QUndoStack;
class QUndoView;

namespace attnscope::ui {

class MaskPanel : public QWidget {
  Q_OBJECT
 public:
  explicit MaskPanel(QUndoStack* undo, QWidget* parent = nullptr);

  viz::BrushTool tool() const { return tool_; }
  void setTool(viz::BrushTool tool);
  bool keep() const;
  EditScope scope() const;

  void setCapturedSteps(const std::vector<int>& steps);  // choices for the maps a strategy reads
  DeriveRequest deriveRequest() const;
  bool livePreview() const;
  // Redraws the read-out and table from the plan (and the selected head).
  void showPlan(const MaskPlan* plan, const MaskPlan* preview, int layer, int head);
  void showDeriveResult(const QString& text);

  QComboBox* strategyBox() const { return strategy_; }
  QDoubleSpinBox* paramBox(const QString& name) const;
  QCheckBox* targetCheck() const { return useTarget_; }
  QDoubleSpinBox* targetBox() const { return target_; }
  QPushButton* deriveButton() const { return derive_; }
  QPushButton* keepToggle() const { return keepButton_; }
  QTableWidget* densityTable() const { return table_; }
  QLabel* densityLabel() const { return density_; }

 signals:
  void toolChanged(attnscope::viz::BrushTool tool);
  void keepChanged(bool keep);
  void scopeChanged(attnscope::EditScope scope);
  void fillRequested(bool keep);         // whole head/layer/all in scope
  void copyRequested();                  // selected head's mask onto the scope
  void deriveRequested(bool preview);    // preview: tuning, not committed
  void previewCancelled();
  void headPicked(int layer, int head);

 private:
  void rebuildParams();
  void paramsEdited();

  viz::BrushTool tool_ = viz::BrushTool::Rectangle;
  QButtonGroup* tools_;
  QPushButton* keepButton_;
  QComboBox *scope_, *strategy_, *deriveStep_;
  QFormLayout* params_;
  QWidget* paramsHost_;
  QCheckBox *useTarget_, *live_;
  QDoubleSpinBox* target_;
  QSpinBox* warmup_;
  QPushButton* derive_;
  QLabel *density_, *deriveResult_;
  QTableWidget* table_;
  QUndoView* history_;
  QTimer* previewTimer_;
};

}  // namespace attnscope::ui
