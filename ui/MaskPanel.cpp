#include "ui/MaskPanel.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QTimer>
#include <QToolButton>
#include <QUndoStack>
#include <QUndoView>
#include <QVBoxLayout>

namespace attnscope::ui {

MaskPanel::MaskPanel(QUndoStack* undo, QWidget* parent) : QWidget(parent) {
  auto* column = new QVBoxLayout(this);

  // Painting
  auto* paint = new QGroupBox(tr("Paint (zoomed head)"), this);
  auto* paintGrid = new QGridLayout(paint);
  tools_ = new QButtonGroup(this);
  struct ToolSpec {
    viz::BrushTool tool;
    QString name, key, tip;
  };
  const ToolSpec specs[] = {
      {viz::BrushTool::Brush, tr("Brush"), "B", tr("Paint block by block while dragging")},
      {viz::BrushTool::Rectangle, tr("Rectangle"), "R", tr("Drag a box of blocks")},
      {viz::BrushTool::Erase, tr("Erase"), "E", tr("Mask out block by block while dragging")},
      {viz::BrushTool::FillRow, tr("Row"), "W", tr("Click a block: its whole query row")},
      {viz::BrushTool::FillColumn, tr("Column"), "C", tr("Click a block: its whole key column")},
  };
  int i = 0;
  for (const ToolSpec& s : specs) {
    auto* b = new QToolButton(paint);
    b->setText(s.name);
    b->setCheckable(true);
    b->setShortcut(QKeySequence(s.key));
    b->setToolTip(tr("%1 (%2)").arg(s.tip, s.key));
    b->setToolButtonStyle(Qt::ToolButtonTextOnly);
    tools_->addButton(b, int(s.tool));
    paintGrid->addWidget(b, 0, i++);
  }
  tools_->button(int(tool_))->setChecked(true);
  keepButton_ = new QPushButton(tr("Paints: mask out"), paint);
  keepButton_->setCheckable(true);
  keepButton_->setToolTip(tr("What brush, rectangle, row and column paint: kept blocks (checked) or masked-out "
                             "blocks (K; Shift while painting inverts)"));
  keepButton_->setShortcut(QKeySequence("K"));
  paintGrid->addWidget(keepButton_, 1, 0, 1, 3);
  scope_ = new QComboBox(paint);
  scope_->addItems({tr("this head"), tr("all heads of the layer"), tr("all layers")});
  scope_->setToolTip(tr("Which heads an edit applies to"));
  paintGrid->addWidget(scope_, 1, 3, 1, 2);
  auto* clear = new QPushButton(tr("Mask out all"), paint);
  clear->setToolTip(tr("Mask out every block of the heads in scope"));
  auto* fill = new QPushButton(tr("Keep all"), paint);
  fill->setToolTip(tr("Keep every block of the heads in scope (dense)"));
  auto* copy = new QPushButton(tr("Copy head"), paint);
  copy->setToolTip(tr("Copy the selected head's mask onto the other heads in scope"));
  paintGrid->addWidget(clear, 2, 0, 1, 2);
  paintGrid->addWidget(fill, 2, 2, 1, 2);
  paintGrid->addWidget(copy, 2, 4);
  density_ = new QLabel(paint);
  density_->setToolTip(tr("Fraction of blocks kept: the whole plan, the selected layer and head"));
  paintGrid->addWidget(density_, 3, 0, 1, 5);
  column->addWidget(paint);

  // Auto-derive
  auto* derive = new QGroupBox(tr("Auto-derive"), this);
  auto* deriveColumn = new QVBoxLayout(derive);
  auto* top = new QFormLayout;
  strategy_ = new QComboBox(derive);
  for (const Strategy& s : allStrategies()) {
    strategy_->addItem(QString::fromStdString(s.name));
    strategy_->setItemData(strategy_->count() - 1, QString::fromStdString(s.summary), Qt::ToolTipRole);
  }
  strategy_->setToolTip(tr("Engine strategy that turns the atlas into masks"));
  top->addRow(tr("Strategy"), strategy_);
  deriveColumn->addLayout(top);
  paramsHost_ = new QWidget(derive);
  params_ = new QFormLayout(paramsHost_);
  params_->setContentsMargins(0, 0, 0, 0);
  deriveColumn->addWidget(paramsHost_);
  auto* more = new QFormLayout;
  auto* targetRow = new QHBoxLayout;
  useTarget_ = new QCheckBox(derive);
  useTarget_->setChecked(true);
  useTarget_->setToolTip(tr("Move the strategy's density knob until this density is reached"));
  target_ = new QDoubleSpinBox(derive);
  target_->setRange(0.01, 1.0);
  target_->setSingleStep(0.05);
  target_->setValue(0.25);
  target_->setToolTip(useTarget_->toolTip());
  targetRow->addWidget(useTarget_);
  targetRow->addWidget(target_, 1);
  more->addRow(tr("Target density"), targetRow);
  deriveStep_ = new QComboBox(derive);
  deriveStep_->addItem(tr("mean of captured steps"), -1);
  deriveStep_->setToolTip(tr("Which captured step's maps the strategy reads"));
  more->addRow(tr("Maps"), deriveStep_);
  warmup_ = new QSpinBox(derive);
  warmup_->setRange(0, 500);
  warmup_->setToolTip(tr("Denoising steps that stay dense before the masks apply"));
  more->addRow(tr("Dense warm-up"), warmup_);
  deriveColumn->addLayout(more);
  auto* deriveRow = new QHBoxLayout;
  live_ = new QCheckBox(tr("Live preview"), derive);
  live_->setChecked(true);
  live_->setToolTip(tr("Show the kept blocks in the viewport while tuning, before applying"));
  derive_ = new QPushButton(tr("Derive"), derive);
  derive_->setToolTip(tr("Replace the plan with the strategy's masks (undoable, Ctrl+D)"));
  deriveRow->addWidget(live_);
  deriveRow->addWidget(derive_);
  deriveColumn->addLayout(deriveRow);
  deriveResult_ = new QLabel(derive);
  deriveResult_->setWordWrap(true);
  deriveResult_->setToolTip(tr("Density reached and attention mass kept by the last derive or preview"));
  deriveColumn->addWidget(deriveResult_);
  column->addWidget(derive);

  // Table and history share the rest.
  auto* split = new QSplitter(Qt::Vertical, this);
  table_ = new QTableWidget(split);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->setToolTip(tr("Density of every head's mask (rows: layers, columns: heads); click to select"));
  table_->horizontalHeader()->setDefaultSectionSize(44);
  table_->verticalHeader()->setDefaultSectionSize(20);
  history_ = new QUndoView(undo, split);
  history_->setEmptyLabel(tr("<plan as first made>"));
  history_->setToolTip(tr("Undo history of the plan: click an entry to go back to it (Ctrl+Z / Ctrl+Shift+Z)"));
  column->addWidget(split, 1);

  previewTimer_ = new QTimer(this);
  previewTimer_->setSingleShot(true);
  previewTimer_->setInterval(150);  // coalesce spin-box bursts

  connect(tools_, &QButtonGroup::idClicked, this, [this](int id) {
    tool_ = viz::BrushTool(id);
    emit toolChanged(tool_);
  });
  connect(keepButton_, &QPushButton::toggled, this, [this](bool keep) {
    keepButton_->setText(keep ? tr("Paints: keep") : tr("Paints: mask out"));
    emit keepChanged(keep);
  });
  connect(scope_, &QComboBox::currentIndexChanged, this, [this] { emit scopeChanged(scope()); });
  connect(clear, &QPushButton::clicked, this, [this] { emit fillRequested(false); });
  connect(fill, &QPushButton::clicked, this, [this] { emit fillRequested(true); });
  connect(copy, &QPushButton::clicked, this, &MaskPanel::copyRequested);
  connect(strategy_, &QComboBox::currentIndexChanged, this, [this] {
    rebuildParams();
    paramsEdited();
  });
  connect(useTarget_, &QCheckBox::toggled, this, &MaskPanel::paramsEdited);
  connect(target_, &QDoubleSpinBox::valueChanged, this, &MaskPanel::paramsEdited);
  connect(deriveStep_, &QComboBox::currentIndexChanged, this, &MaskPanel::paramsEdited);
  connect(live_, &QCheckBox::toggled, this, [this](bool on) {
    if (on)
      paramsEdited();
    else
      emit previewCancelled();
  });
  connect(previewTimer_, &QTimer::timeout, this, [this] { emit deriveRequested(true); });
  connect(derive_, &QPushButton::clicked, this, [this] { emit deriveRequested(false); });
  connect(table_, &QTableWidget::cellClicked, this, [this](int row, int col) { emit headPicked(row, col); });
  rebuildParams();
}

void MaskPanel::setTool(viz::BrushTool tool) {
  tool_ = tool;
  if (QAbstractButton* b = tools_->button(int(tool))) b->setChecked(true);
}

void MaskPanel::setCapturedSteps(const std::vector<int>& steps) {
  const QSignalBlocker block(deriveStep_);
  deriveStep_->clear();
  deriveStep_->addItem(tr("mean of captured steps"), -1);
  for (int s : steps) deriveStep_->addItem(tr("step %1").arg(s), s);
}

bool MaskPanel::keep() const { return keepButton_->isChecked(); }
EditScope MaskPanel::scope() const { return EditScope(scope_->currentIndex()); }
bool MaskPanel::livePreview() const { return live_->isChecked(); }

QDoubleSpinBox* MaskPanel::paramBox(const QString& name) const {
  return paramsHost_->findChild<QDoubleSpinBox*>(name);
}

void MaskPanel::rebuildParams() {
  while (params_->rowCount()) params_->removeRow(0);
  if (strategy_->currentIndex() < 0) return;
  const Strategy& s = findStrategy(strategy_->currentText().toStdString());
  for (const StrategyParam& p : s.params) {
    auto* box = new QDoubleSpinBox(paramsHost_);
    box->setObjectName(QString::fromStdString(p.name));
    box->setDecimals(p.integer ? 0 : 3);
    box->setRange(p.minValue, p.maxValue);
    box->setSingleStep(p.integer ? 1.0 : std::max(0.001, (p.maxValue - p.minValue) / 50.0));
    box->setValue(p.defaultValue);
    QString tip = QString::fromStdString(p.help);
    if (p.name == s.densityKnob) tip += tr("\n(density knob: set by the target density when that is on)");
    box->setToolTip(tip);
    connect(box, &QDoubleSpinBox::valueChanged, this, &MaskPanel::paramsEdited);
    params_->addRow(QString::fromStdString(p.name), box);
  }
}

void MaskPanel::paramsEdited() {
  if (live_->isChecked()) previewTimer_->start();
}

DeriveRequest MaskPanel::deriveRequest() const {
  DeriveRequest r;
  r.strategy = strategy_->currentText().toStdString();
  const Strategy& s = findStrategy(r.strategy);
  for (const StrategyParam& p : s.params)
    if (QDoubleSpinBox* box = paramBox(QString::fromStdString(p.name))) r.params[p.name] = box->value();
  if (useTarget_->isChecked()) r.targetDensity = target_->value();
  r.step = deriveStep_->currentData().toInt();
  r.denseWarmupSteps = warmup_->value();
  return r;
}

void MaskPanel::showPlan(const MaskPlan* plan, const MaskPlan* preview, int layer, int head) {
  const MaskPlan* shown = preview ? preview : plan;
  if (!shown) {
    density_->setText(tr("No plan yet: capture attention or open a plan."));
    table_->setRowCount(0);
    table_->setColumnCount(0);
    return;
  }
  const bool inRange = layer >= 0 && layer < shown->layers && head >= 0 && head < shown->heads;
  density_->setText(tr("%1density %2% · layer %3: %4% · head %5: %6%")
                        .arg(preview ? tr("<b>preview</b> ") : QString())
                        .arg(shown->density() * 100, 0, 'f', 1)
                        .arg(layer)
                        .arg(inRange ? shown->layerDensity(layer) * 100 : 0.0, 0, 'f', 1)
                        .arg(head)
                        .arg(inRange ? shown->mask(layer, head).density() * 100 : 0.0, 0, 'f', 1));
  table_->setRowCount(int(shown->layers));
  table_->setColumnCount(int(shown->heads));
  for (int l = 0; l < shown->layers; ++l) {
    table_->setVerticalHeaderItem(l, new QTableWidgetItem(tr("L%1").arg(l)));
    for (int h = 0; h < shown->heads; ++h) {
      if (l == 0) table_->setHorizontalHeaderItem(h, new QTableWidgetItem(tr("H%1").arg(h)));
      const double d = shown->mask(l, h).density();
      auto* item = new QTableWidgetItem(QString::number(d * 100, 'f', 0));
      item->setBackground(QColor::fromHsvF(0.33 * d, 0.45, 0.95));
      item->setForeground(Qt::black);
      item->setTextAlignment(Qt::AlignCenter);
      table_->setItem(l, h, item);
    }
  }
  if (inRange) table_->setCurrentCell(layer, head);
}

void MaskPanel::showDeriveResult(const QString& text) { deriveResult_->setText(text); }

}  // namespace attnscope::ui
