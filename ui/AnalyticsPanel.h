#pragma once
// AnalyticsPanel (the "Analytics" dock): the engine's attention analytics of
// the Workbench's atlas — Sinks (table + sink map), Head types (shares,
// entropy, class with live thresholds), Stability (step x step pictures) and
// Mask recall of the current plan — for one captured step or the mean over
// steps. Every number comes from engine/analytics; the reports are computed
// on the panel's own JobController thread (so a generation never waits for
// them, nor they for it), the latest settings winning, and redrawn when the
// atlas, the plan or a setting changes. A report that cannot be computed
// says why in its tab; the others still show. The last reports can be
// written as the same CSV files `attnscope-cli analyze --csv` writes.
#include <QWidget>

#include <memory>
#include <vector>

#include "engine/core/TokenGrid.h"

class QComboBox;
class QLabel;
class QPushButton;
class QTabWidget;
class QTimer;

namespace attnscope::ui {

class HeadTypesView;
class JobController;
class RecallView;
class SinksView;
class StabilityView;
class Workbench;

class AnalyticsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit AnalyticsPanel(Workbench* bench, QWidget* parent = nullptr);
  ~AnalyticsPanel() override;

  int step() const;  // -1: mean over captured steps
  // True while a report is being computed or one is waiting to start.
  bool busy() const;
  // Writes sinks.csv, sink_tokens.csv, sink_map.csv, heads.csv, stability.csv
  // and recall.csv (those it has) into `folder`; false and a message when it cannot.
  bool exportCsv(const QString& folder);

  QComboBox* stepBox() const { return step_; }
  QTabWidget* tabs() const { return tabs_; }
  SinksView* sinksView() const { return sinks_; }
  HeadTypesView* headTypesView() const { return heads_; }
  StabilityView* stabilityView() const { return stability_; }
  RecallView* recallView() const { return recall_; }
  QLabel* status() const { return status_; }

 signals:
  void updated();  // reports redrawn
  void headPicked(int layer, int head);
  void heatRequested(const std::vector<float>& heat, const attnscope::TokenGrid& grid, const QString& caption);

 private:
  enum Part { Sinks = 1, Heads = 2, Stability = 4, Recall = 8, All = 15 };
  struct Reports;
  void atlasChanged();
  void request(int parts);
  void launch();

  Workbench* bench_;
  JobController* jobs_;
  QTimer* timer_;
  int pending_ = 0;
  QComboBox* step_;
  QLabel* status_;
  QPushButton* export_;
  QTabWidget* tabs_;
  SinksView* sinks_;
  HeadTypesView* heads_;
  StabilityView* stability_;
  RecallView* recall_;
  std::shared_ptr<Reports> last_;
};

}  // namespace attnscope::ui
