#include "ui/StabilityView.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "ui/ValueGridPicture.h"

namespace attnscope::ui {

StabilityView::StabilityView(QWidget* parent) : QWidget(parent) {
  auto* column = new QVBoxLayout(this);
  column->setContentsMargins(4, 4, 4, 4);
  auto* bar = new QHBoxLayout;
  strategy_ = new QComboBox(this);
  for (const Strategy& s : allStrategies()) {
    strategy_->addItem(QString::fromStdString(s.name));
    strategy_->setItemData(strategy_->count() - 1, QString::fromStdString(s.summary), Qt::ToolTipRole);
  }
  strategy_->setCurrentText(QString::fromStdString(StabilityOptions{}.strategy));
  strategy_->setToolTip(tr("The strategy whose masks are compared across steps (Jaccard)"));
  density_ = new QDoubleSpinBox(this);
  density_->setRange(0.01, 1.0);
  density_->setSingleStep(0.05);
  density_->setValue(StabilityOptions{}.density);
  density_->setToolTip(tr("The target density of the masks compared"));
  bar->addWidget(new QLabel(tr("Masks:"), this));
  bar->addWidget(strategy_);
  bar->addWidget(new QLabel(tr("at density"), this));
  bar->addWidget(density_);
  otherButton_ = new QPushButton(tr("Against Another Atlas…"), this);
  otherButton_->setToolTip(tr("Compare this atlas's steps with another atlas's (the same model on another prompt or "
                              "seed): does a mask carry across prompts?"));
  clearOther_ = new QPushButton(tr("Steps of This Atlas"), this);
  clearOther_->setToolTip(tr("Compare this atlas's steps with each other again"));
  clearOther_->setEnabled(false);
  bar->addWidget(otherButton_);
  bar->addWidget(clearOther_);
  bar->addStretch(1);
  column->addLayout(bar);
  summary_ = new QLabel(this);
  summary_->setWordWrap(true);
  summary_->setToolTip(tr("How similar the steps are"));
  column->addWidget(summary_);
  auto* pictures = new QHBoxLayout;
  correlation_ = new ValueGridPicture(this);
  correlation_->setToolTip(tr("Pearson correlation of the pooled maps between two steps, mean over heads "
                              "(1 = the same pattern)"));
  jaccard_ = new ValueGridPicture(this);
  jaccard_->setToolTip(tr("Jaccard index of the masks derived from each step's maps (1 = the same blocks)"));
  for (ValueGridPicture* p : {correlation_, jaccard_}) p->setCellText(true);
  pictures->addWidget(correlation_);
  pictures->addWidget(jaccard_);
  column->addLayout(pictures, 1);
  connect(strategy_, &QComboBox::currentIndexChanged, this, &StabilityView::optionsChanged);
  connect(density_, &QDoubleSpinBox::valueChanged, this, &StabilityView::optionsChanged);
  connect(otherButton_, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Atlas to compare with"), QString(),
                                                      tr("Atlases (*.safetensors);;All files (*)"));
    if (!path.isEmpty()) setOtherAtlas(path);
  });
  connect(clearOther_, &QPushButton::clicked, this, [this] { setOtherAtlas(QString()); });
  showReport(nullptr, tr("Capture attention at several steps to compare them."));
}

void StabilityView::setOtherAtlas(const QString& path) {
  other_ = path;
  clearOther_->setEnabled(!path.isEmpty());
  emit optionsChanged();
}

StabilityOptions StabilityView::options() const {
  StabilityOptions o;
  o.strategy = strategy_->currentText().toStdString();
  o.density = density_->value();
  return o;
}

void StabilityView::showReport(const StabilityReport* r, const QString& message) {
  if (!r) {
    summary_->setText(message);
    correlation_->clear(message);
    jaccard_->clear(message);
    return;
  }
  QStringList rowLabels, colLabels;
  for (int s : r->rowSteps) rowLabels << QString::number(s);
  for (int s : r->colSteps) colLabels << QString::number(s);
  const int rows = int(r->rowSteps.size()), cols = int(r->colSteps.size());
  double low = 0;
  for (double v : r->correlation) low = std::min(low, v);
  correlation_->setValues(rows, cols, r->correlation, low, 1.0);
  jaccard_->setValues(rows, cols, r->jaccard, 0.0, 1.0);
  const QString against = other_.isEmpty() ? tr("step") : tr("step of %1").arg(QFileInfo(other_).fileName());
  correlation_->setLabels(rowLabels, colLabels, tr("step"), tr("map correlation · %1").arg(against));
  jaccard_->setLabels(rowLabels, colLabels, tr("step"), tr("mask Jaccard · %1").arg(against));
  if (!other_.isEmpty()) {
    // Against another atlas: the same steps (the diagonal) say most.
    double c = 0, j = 0;
    const int n = std::min(rows, cols);
    for (int i = 0; i < n; ++i) c += r->at(r->correlation, size_t(i), size_t(i)) / n, j += r->at(r->jaccard, size_t(i), size_t(i)) / n;
    summary_->setText(tr("Rows: steps of this atlas (%1); columns: steps of %2 (%3). At the same step the maps "
                         "correlate %4 on average and the %5 masks at density %6 overlap %7 (Jaccard).")
                          .arg(QString::fromStdString(r->rowModel), other_, QString::fromStdString(r->colModel))
                          .arg(c, 0, 'f', 3)
                          .arg(QString::fromStdString(r->options.strategy))
                          .arg(r->options.density, 0, 'f', 2)
                          .arg(j, 0, 'f', 3));
    return;
  }
  // The worst off-diagonal neighbour pair says most.
  double worstJ = 1, worstC = 1;
  for (int i = 0; i + 1 < std::min(rows, cols); ++i) {
    worstJ = std::min(worstJ, r->at(r->jaccard, size_t(i), size_t(i + 1)));
    worstC = std::min(worstC, r->at(r->correlation, size_t(i), size_t(i + 1)));
  }
  // Mask reuse: a mask derived at step s against the masks of every later step.
  QStringList reuse;
  for (size_t i = 0; i < r->laterJaccard.size() && i < r->rowSteps.size(); ++i)
    if (std::isfinite(r->laterJaccard[i]))
      reuse << QStringLiteral("%1: %2").arg(r->rowSteps[i]).arg(r->laterJaccard[i], 0, 'f', 3);
  summary_->setText(rows < 2 ? tr("Only one captured step: nothing to compare it with (capture several steps).")
                             : tr("%1 steps; between neighbouring steps the maps correlate ≥ %2 and the %3 masks at "
                                  "density %4 overlap ≥ %5 (Jaccard).%6")
                                   .arg(rows)
                                   .arg(worstC, 0, 'f', 3)
                                   .arg(QString::fromStdString(r->options.strategy))
                                   .arg(r->options.density, 0, 'f', 2)
                                   .arg(worstJ, 0, 'f', 3)
                                   .arg(reuse.isEmpty() ? QString()
                                                        : tr(" Mask made at step s, mean Jaccard with the later "
                                                             "steps — %1").arg(reuse.join("  "))));
}

}  // namespace attnscope::ui
