#include "ui/HeadTypesView.h"

#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include "ui/NumberItem.h"
#include "ui/ValueGridPicture.h"

namespace attnscope::ui {

namespace {
enum Column { Layer, Head, Class, Spatial, Temporal, Window, Sink, Rest, Entropy, NormEntropy, Columns };
constexpr HeadType kTypes[] = {HeadType::Spatial, HeadType::Temporal, HeadType::Global, HeadType::SinkDominated,
                               HeadType::Unknown};
}  // namespace

QColor HeadTypesView::colourOf(HeadType type) {
  switch (type) {
    case HeadType::Spatial: return QColor(0x1f, 0x77, 0xb4);
    case HeadType::Temporal: return QColor(0xff, 0x7f, 0x0e);
    case HeadType::Global: return QColor(0x2c, 0xa0, 0x2c);
    case HeadType::SinkDominated: return QColor(0xd6, 0x27, 0x28);
    case HeadType::Unknown: break;
  }
  return QColor(0x9a, 0x9a, 0x9a);
}

HeadTypesView::HeadTypesView(QWidget* parent) : QWidget(parent) {
  auto* column = new QVBoxLayout(this);
  column->setContentsMargins(4, 4, 4, 4);
  const HeadTypeOptions defaults;
  auto share = [this](double value, const QString& tip) {
    auto* box = new QDoubleSpinBox(this);
    box->setRange(0.0, 1.0);
    box->setSingleStep(0.05);
    box->setDecimals(2);
    box->setValue(value);
    box->setToolTip(tip);
    connect(box, &QDoubleSpinBox::valueChanged, this, &HeadTypesView::optionsChanged);
    return box;
  };
  auto window = [this](int64_t value, const QString& tip) {
    auto* box = new QSpinBox(this);
    box->setRange(0, 512);
    box->setValue(int(value));
    box->setToolTip(tip);
    connect(box, &QSpinBox::valueChanged, this, &HeadTypesView::optionsChanged);
    return box;
  };
  sinkShare_ = share(defaults.sinkShare, tr("A head is sink-dominated when its sinks take at least this share of its "
                                            "mass (checked first)"));
  spatialShare_ = share(defaults.spatialShare, tr("Otherwise spatial when at least this share stays in the query's "
                                                  "own frame"));
  temporalShare_ = share(defaults.temporalShare, tr("Otherwise temporal when at least this share goes to the same "
                                                    "position in other frames; else global"));
  windowF_ = window(defaults.windowFrames, tr("3D window half-width in frames (for the window share)"));
  windowH_ = window(defaults.windowHeight, tr("3D window half-height in token rows"));
  windowW_ = window(defaults.windowWidth, tr("3D window half-width in token columns"));
  auto* form = new QGridLayout;
  form->addWidget(new QLabel(tr("Sink ≥"), this), 0, 0);
  form->addWidget(sinkShare_, 0, 1);
  form->addWidget(new QLabel(tr("Spatial ≥"), this), 0, 2);
  form->addWidget(spatialShare_, 0, 3);
  form->addWidget(new QLabel(tr("Temporal ≥"), this), 0, 4);
  form->addWidget(temporalShare_, 0, 5);
  form->addWidget(new QLabel(tr("Window ± (f, y, x)"), this), 1, 0, 1, 2);
  form->addWidget(windowF_, 1, 2);
  form->addWidget(windowH_, 1, 3);
  form->addWidget(windowW_, 1, 4);
  form->setColumnStretch(6, 1);
  column->addLayout(form);
  note_ = new QLabel(this);
  note_->setWordWrap(true);
  note_->setToolTip(tr("What the head-type analysis could not compute, and why"));
  note_->setStyleSheet("color: #a04000");
  counts_ = new QLabel(this);
  counts_->setWordWrap(true);
  counts_->setToolTip(tr("Heads of each class; uniform attention would give these spatial and temporal shares"));
  column->addWidget(note_);
  column->addWidget(counts_);

  auto* split = new QSplitter(Qt::Horizontal, this);
  table_ = new QTableWidget(0, Columns, split);
  table_->setHorizontalHeaderLabels({tr("Layer"), tr("Head"), tr("Class"), tr("Spatial"), tr("Temporal"),
                                     tr("Window"), tr("Sink"), tr("Rest"), tr("Entropy"), tr("Entropy / log N")});
  table_->horizontalHeaderItem(Spatial)->setToolTip(tr("Share of mass within the query's own frame"));
  table_->horizontalHeaderItem(Temporal)->setToolTip(tr("Share at the same (y, x) in other frames"));
  table_->horizontalHeaderItem(Window)->setToolTip(tr("Share within the 3D window (overlaps spatial and temporal)"));
  table_->horizontalHeaderItem(Sink)->setToolTip(tr("Share on the head's sink tokens (overlaps the others)"));
  table_->horizontalHeaderItem(Rest)->setToolTip(tr("Share outside the frame, the temporal line and the window"));
  table_->horizontalHeaderItem(Entropy)->setToolTip(tr("Mean row entropy, nats"));
  table_->setToolTip(tr("Per-head attention shares and class: click a header to sort, a row to show the head"));
  table_->setSortingEnabled(true);
  table_->verticalHeader()->hide();
  table_->setWordWrap(false);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  picture_ = new ValueGridPicture(split);
  picture_->setToolTip(tr("Layer × head, coloured by class; click a head to show it in the viewport"));
  split->addWidget(table_);
  split->addWidget(picture_);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  column->addWidget(split, 1);

  connect(picture_, &ValueGridPicture::cellClicked, this, &HeadTypesView::headPicked);
  connect(table_, &QTableWidget::cellClicked, this, [this](int row, int) {
    emit headPicked(int(static_cast<NumberItem*>(table_->item(row, Layer))->value()),
                    int(static_cast<NumberItem*>(table_->item(row, Head))->value()));
  });
  showReport(nullptr, tr("Capture attention or open an atlas to classify its heads."));
}

HeadTypeOptions HeadTypesView::options() const {
  HeadTypeOptions o;
  o.sinkShare = sinkShare_->value();
  o.spatialShare = spatialShare_->value();
  o.temporalShare = temporalShare_->value();
  o.windowFrames = windowF_->value();
  o.windowHeight = windowH_->value();
  o.windowWidth = windowW_->value();
  return o;
}

QString HeadTypesView::classOf(int layer, int head) const {
  for (int r = 0; r < table_->rowCount(); ++r)
    if (static_cast<NumberItem*>(table_->item(r, Layer))->value() == layer &&
        static_cast<NumberItem*>(table_->item(r, Head))->value() == head)
      return table_->item(r, Class)->text();
  return {};
}

void HeadTypesView::showReport(const HeadTypeReport* r, const QString& message) {
  table_->setSortingEnabled(false);
  table_->setRowCount(0);
  if (!r) {
    note_->setText(message);
    note_->setVisible(!message.isEmpty());
    counts_->clear();
    picture_->clear(message);
    table_->setSortingEnabled(true);
    return;
  }
  note_->setText(r->note.empty() ? QString() : tr("Cannot compute: %1").arg(QString::fromStdString(r->note)));
  note_->setVisible(!r->note.empty());
  QStringList parts;
  for (HeadType t : kTypes)
    if (int n = r->count(t)) parts << QStringLiteral("%1 %2").arg(n).arg(QString::fromUtf8(headTypeName(t)));
  QStringList steps;
  for (int s : r->steps) steps << QString::number(s);
  counts_->setText(tr("%1 · step %2 · uniform attention: spatial %3, temporal %4")
                       .arg(parts.join(", "), r->steps.size() == 1 ? steps.first() : tr("mean of %1").arg(steps.join(", ")))
                       .arg(r->uniformSpatial, 0, 'f', 3)
                       .arg(r->uniformTemporal, 0, 'f', 4));
  int layers = 0, heads = 0;
  for (const HeadProfile& p : r->heads) {
    layers = std::max(layers, p.layer + 1);
    heads = std::max(heads, p.head + 1);
  }
  std::vector<QColor> colours(size_t(layers * heads), colourOf(HeadType::Unknown));
  QStringList tips;
  for (int i = 0; i < layers * heads; ++i) tips << QString();
  table_->setRowCount(int(r->heads.size()));
  int row = 0;
  for (const HeadProfile& p : r->heads) {
    const QString type = QString::fromUtf8(headTypeName(p.type));
    auto* cls = textItem(type);
    cls->setForeground(colourOf(p.type));
    const std::vector<QTableWidgetItem*> items = {
        new NumberItem((long long)p.layer), new NumberItem((long long)p.head), cls,
        new NumberItem(p.spatial, 3),       new NumberItem(p.temporal, 3),     new NumberItem(p.window, 3),
        new NumberItem(p.sink, 3),          new NumberItem(p.rest, 3),         new NumberItem(p.entropy, 3),
        new NumberItem(p.normalizedEntropy, 3)};
    for (int c = 0; c < Columns; ++c) table_->setItem(row, c, items[size_t(c)]);
    ++row;
    colours[size_t(p.layer * heads + p.head)] = colourOf(p.type);
    tips[p.layer * heads + p.head] = tr("layer %1 head %2: %3 — spatial %4, temporal %5, sink %6")
                                         .arg(p.layer).arg(p.head).arg(type)
                                         .arg(p.spatial, 0, 'f', 2).arg(p.temporal, 0, 'f', 2).arg(p.sink, 0, 'f', 2);
  }
  table_->setSortingEnabled(true);
  std::vector<std::pair<QString, QColor>> legend;
  for (HeadType t : kTypes)
    if (t != HeadType::Unknown || r->count(t)) legend.emplace_back(QString::fromUtf8(headTypeName(t)), colourOf(t));
  QStringList rowLabels, colLabels;
  for (int l = 0; l < layers; ++l) rowLabels << QString::number(l);
  for (int h = 0; h < heads; ++h) colLabels << QString::number(h);
  picture_->setColours(layers, heads, std::move(colours), std::move(legend));
  picture_->setLabels(rowLabels, colLabels, tr("layer"), tr("head"));
  picture_->setCellTips(tips);
}

}  // namespace attnscope::ui
