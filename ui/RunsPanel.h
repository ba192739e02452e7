#pragma once
// RunsPanel (the "Runs" dock): the SQLite run history (engine RunHistory),
// newest first. Double-clicking a run opens the files it names.
#include <QString>
#include <QWidget>

#include <vector>

#include "engine/pipeline/RunHistory.h"

class QLabel;
class QTableWidget;

namespace attnscope::ui {

class RunsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit RunsPanel(QWidget* parent = nullptr);

  void setDatabase(const QString& path);  // created when missing
  QString database() const { return path_; }
  // Adds a record and refreshes; returns false (and says why) when the database cannot be written.
  bool record(const RunRecord& record, QString* error = nullptr);
  void refresh();
  const std::vector<RunRecord>& runs() const { return runs_; }
  QTableWidget* table() const { return table_; }

 signals:
  void openRequested(const attnscope::RunRecord& record);
  void errorOccurred(const QString& message);

 private:
  QString path_;
  std::vector<RunRecord> runs_;
  QLabel* label_;
  QTableWidget* table_;
};

}  // namespace attnscope::ui
