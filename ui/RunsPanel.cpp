#include "ui/RunsPanel.h"

#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include "engine/core/Error.h"

namespace attnscope::ui {

RunsPanel::RunsPanel(QWidget* parent) : QWidget(parent) {
  auto* column = new QVBoxLayout(this);
  auto* top = new QHBoxLayout;
  label_ = new QLabel(this);
  label_->setToolTip(tr("The run history database"));
  auto* refresh = new QToolButton(this);
  refresh->setText(tr("Refresh"));
  refresh->setToolTip(tr("Read the history again (runs from attnscope-cli appear too)"));
  top->addWidget(label_, 1);
  top->addWidget(refresh);
  column->addLayout(top);
  table_ = new QTableWidget(0, 8, this);
  table_->setHorizontalHeaderLabels(
      {tr("id"), tr("when"), tr("command"), tr("prompt"), tr("seed"), tr("steps"), tr("density"), tr("total / attn s")});
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->verticalHeader()->setVisible(false);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->setToolTip(tr("Recorded runs, newest first; double-click to open the files a run names"));
  column->addWidget(table_);
  connect(refresh, &QToolButton::clicked, this, &RunsPanel::refresh);
  connect(table_, &QTableWidget::cellDoubleClicked, this, [this](int row) {
    if (row >= 0 && row < int(runs_.size())) emit openRequested(runs_[row]);
  });
}

void RunsPanel::setDatabase(const QString& path) {
  path_ = path;
  label_->setText(QFileInfo(path).fileName());
  label_->setToolTip(path);
  refresh();
}

bool RunsPanel::record(const RunRecord& record, QString* error) {
  try {
    RunHistory(path_.toStdString()).add(record);
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    return false;
  }
  refresh();
  return true;
}

void RunsPanel::refresh() {
  runs_.clear();
  try {
    if (!path_.isEmpty()) runs_ = RunHistory(path_.toStdString()).list(200);
  } catch (const std::exception& e) {
    emit errorOccurred(QString::fromStdString(e.what()));
  }
  table_->setRowCount(int(runs_.size()));
  for (int r = 0; r < int(runs_.size()); ++r) {
    const RunRecord& run = runs_[r];
    const QStringList cells = {QString::number(run.id),
                               QString::fromStdString(run.created),
                               QString::fromStdString(run.command),
                               QString::fromStdString(run.prompt),
                               QString::number(run.seed),
                               QString::number(run.steps),
                               QString::number(run.maskDensity, 'f', 3),
                               QStringLiteral("%1 / %2").arg(run.totalSeconds, 0, 'f', 2).arg(run.attentionSeconds, 0, 'f', 2)};
    for (int c = 0; c < cells.size(); ++c) {
      auto* item = new QTableWidgetItem(cells[c]);
      item->setToolTip(tr("model %1 · grid %2\nvideo %3\natlas %4\nmask %5")
                           .arg(QString::fromStdString(run.modelId), QString::fromStdString(run.grid),
                                QString::fromStdString(run.videoPath), QString::fromStdString(run.atlasPath),
                                QString::fromStdString(run.maskPath)));
      table_->setItem(r, c, item);
    }
  }
  table_->resizeColumnsToContents();
}

}  // namespace attnscope::ui
