#include "ui/RecallView.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

#include "ui/NumberItem.h"

namespace attnscope::ui {

namespace {
enum Column { Layer, Head, Density, Kept, Columns };
}

RecallView::RecallView(QWidget* parent) : QWidget(parent) {
  auto* column = new QVBoxLayout(this);
  column->setContentsMargins(4, 4, 4, 4);
  summary_ = new QLabel(this);
  summary_->setWordWrap(true);
  summary_->setToolTip(tr("The plan's density and the attention mass it keeps, overall and per captured step"));
  column->addWidget(summary_);
  table_ = new QTableWidget(0, Columns, this);
  table_->setHorizontalHeaderLabels({tr("Layer"), tr("Head"), tr("Density"), tr("Kept mass")});
  table_->horizontalHeaderItem(Density)->setToolTip(tr("Fraction of the head's blocks the mask keeps"));
  table_->horizontalHeaderItem(Kept)->setToolTip(tr("Attention mass inside the mask, mean over query blocks"));
  table_->setToolTip(tr("Recall of the current plan per head: click a header to sort (lowest kept mass first shows "
                        "the heads the plan hurts most), a row to show the head"));
  table_->setSortingEnabled(true);
  table_->verticalHeader()->hide();
  table_->setWordWrap(false);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  column->addWidget(table_, 1);
  connect(table_, &QTableWidget::cellClicked, this, [this](int row, int) {
    emit headPicked(int(static_cast<NumberItem*>(table_->item(row, Layer))->value()),
                    int(static_cast<NumberItem*>(table_->item(row, Head))->value()));
  });
  showReport(nullptr, tr("Make or open a mask plan to see the attention mass it keeps."));
}

void RecallView::showReport(const RecallReport* r, const QString& message) {
  table_->setSortingEnabled(false);
  table_->setRowCount(0);
  if (!r) {
    summary_->setText(message);
    table_->setSortingEnabled(true);
    return;
  }
  table_->setRowCount(int(r->heads.size()));
  for (int row = 0; row < int(r->heads.size()); ++row) {
    const HeadRecall& h = r->heads[size_t(row)];
    table_->setItem(row, Layer, new NumberItem((long long)h.layer));
    table_->setItem(row, Head, new NumberItem((long long)h.head));
    table_->setItem(row, Density, new NumberItem(h.density, 3));
    table_->setItem(row, Kept, new NumberItem(h.keptMass, 3));
  }
  table_->setSortingEnabled(true);
  table_->sortItems(Kept, Qt::AscendingOrder);
  QStringList steps;
  for (size_t i = 0; i < r->steps.size(); ++i)
    steps << QStringLiteral("%1: %2").arg(r->steps[i]).arg(r->stepKeptMass[i], 0, 'f', 3);
  summary_->setText(tr("%1 (%2): density %3 keeps %4 of the attention mass (%5). Kept mass per captured step — %6")
                        .arg(preview_ ? tr("Preview") : tr("Plan"),
                             QString::fromStdString(r->planStrategy.empty() ? "painted" : r->planStrategy))
                        .arg(r->density, 0, 'f', 3)
                        .arg(r->keptMass, 0, 'f', 3)
                        .arg(r->step < 0 ? tr("maps: mean over captured steps") : tr("maps of step %1").arg(r->step))
                        .arg(steps.join("  ")));
}

}  // namespace attnscope::ui
