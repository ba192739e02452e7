#include "ui/SinksView.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <map>
#include <set>

#include "ui/NumberItem.h"
#include "ui/SinkMapPicture.h"

namespace attnscope::ui {

namespace {
enum Column { Token, Frame, Y, X, Word, Kind, Appearances, FirstLayer, LongestRun, Steps, MeanShare, Columns };
}

SinksView::SinksView(QWidget* parent) : QWidget(parent) {
  auto* column = new QVBoxLayout(this);
  column->setContentsMargins(4, 4, 4, 4);
  auto* options = new QHBoxLayout;
  ratio_ = new QDoubleSpinBox(this);
  ratio_->setRange(1.5, 100000);
  ratio_->setDecimals(1);
  ratio_->setValue(SinkOptions{}.ratio);
  ratio_->setToolTip(tr("A video token is a sink of a head when it receives at least this many times the uniform "
                        "share 1/N of the head's attention mass"));
  textRatio_ = new QDoubleSpinBox(this);
  textRatio_->setRange(1.1, 1000);
  textRatio_->setDecimals(1);
  textRatio_->setValue(SinkOptions{}.textRatio);
  textRatio_->setToolTip(tr("A prompt word is a sink when it receives at least this many times 1/T of the "
                            "cross-attention mass"));
  primaryLayers_ = new QSpinBox(this);
  primaryLayers_->setRange(0, 1000);
  primaryLayers_->setSpecialValueText(tr("auto"));
  primaryLayers_->setToolTip(tr("A sink is primary when it lasts this many consecutive layers (auto: half the "
                                "layers, at least 2); shorter ones are secondary"));
  options->addWidget(new QLabel(tr("Sink ≥"), this));
  options->addWidget(ratio_);
  options->addWidget(new QLabel(tr("× uniform; word ≥"), this));
  options->addWidget(textRatio_);
  options->addWidget(new QLabel(tr("×; primary ≥"), this));
  options->addWidget(primaryLayers_);
  options->addWidget(new QLabel(tr("layers"), this));
  options->addStretch(1);
  column->addLayout(options);
  summary_ = new QLabel(this);
  summary_->setWordWrap(true);
  summary_->setToolTip(tr("What the sink analysis found in the atlas"));
  column->addWidget(summary_);

  auto* split = new QSplitter(Qt::Horizontal, this);
  table_ = new QTableWidget(0, Columns, split);
  table_->setHorizontalHeaderLabels({tr("Token"), tr("Frame"), tr("y"), tr("x"), tr("Word"), tr("Kind"),
                                     tr("Times"), tr("First layer"), tr("Run"), tr("Steps"), tr("Mean share")});
  table_->horizontalHeaderItem(Appearances)->setToolTip(tr("(step, layer, head) in which the token is a sink"));
  table_->horizontalHeaderItem(LongestRun)->setToolTip(tr("Most consecutive layers, within one step, it is a sink"));
  table_->horizontalHeaderItem(MeanShare)->setToolTip(tr("Its mean share of the head's attention mass where it is a sink"));
  table_->horizontalHeaderItem(Kind)->setToolTip(tr("primary: lasts through many layers; secondary: appears and fades; "
                                                    "text: a prompt word"));
  table_->setToolTip(tr("Sink tokens: click a column header to sort"));
  table_->setSortingEnabled(true);
  table_->verticalHeader()->hide();
  table_->setWordWrap(false);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);

  auto* mapHost = new QWidget(split);
  auto* mapColumn = new QVBoxLayout(mapHost);
  mapColumn->setContentsMargins(0, 0, 0, 0);
  auto* mapBar = new QHBoxLayout;
  mapChoice_ = new QComboBox(mapHost);
  mapChoice_->addItems({tr("Times a sink"), tr("Mean received mass ÷ uniform")});
  mapChoice_->setToolTip(tr("What the sink map shows per token: how many (step, layer, head) have it as a sink, or "
                            "the mass it receives over the uniform share, averaged over every head"));
  onVideo_ = new QPushButton(tr("Show on video"), mapHost);
  onVideo_->setToolTip(tr("Draw this map as a heat overlay over the frames in the video player"));
  mapBar->addWidget(mapChoice_, 1);
  mapBar->addWidget(onVideo_);
  mapColumn->addLayout(mapBar);
  map_ = new SinkMapPicture(mapHost);
  map_->setToolTip(tr("The sink map over the token frames; click a token to find it in the table"));
  mapColumn->addWidget(map_, 1);
  split->addWidget(table_);
  split->addWidget(mapHost);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  column->addWidget(split, 1);

  for (QDoubleSpinBox* box : {ratio_, textRatio_})
    connect(box, &QDoubleSpinBox::valueChanged, this, &SinksView::optionsChanged);
  connect(primaryLayers_, &QSpinBox::valueChanged, this, &SinksView::optionsChanged);
  connect(mapChoice_, &QComboBox::currentIndexChanged, this, &SinksView::showMap);
  connect(onVideo_, &QPushButton::clicked, this, [this] {
    const std::vector<double>& values = mapChoice_->currentIndex() == 0 ? counts_ : ratios_;
    emit heatRequested(std::vector<float>(values.begin(), values.end()), grid_,
                       tr("Sink map: %1").arg(mapChoice_->currentText().toLower()));
  });
  connect(map_, &SinkMapPicture::tokenClicked, this, [this](int64_t token) {
    for (int r = 0; r < table_->rowCount(); ++r)
      if (table_->item(r, Kind)->text() != tr("text") &&
          static_cast<NumberItem*>(table_->item(r, Token))->value() == double(token)) {
        table_->selectRow(r);
        return;
      }
    table_->clearSelection();
  });
  showReport(nullptr, tr("Capture attention or open an atlas to find its sinks."));
}

SinkOptions SinksView::options() const {
  SinkOptions o;
  o.ratio = ratio_->value();
  o.textRatio = textRatio_->value();
  o.primaryLayers = primaryLayers_->value();
  return o;
}

void SinksView::showReport(const SinkReport* r, const QString& message) {
  table_->setSortingEnabled(false);
  table_->setRowCount(0);
  hasReport_ = r != nullptr;
  onVideo_->setEnabled(hasReport_);
  if (!r) {
    summary_->setText(message);
    counts_.clear();
    ratios_.clear();
    map_->clear(message);
    table_->setSortingEnabled(true);
    return;
  }
  grid_ = r->grid;
  counts_.assign(r->sinkCount.begin(), r->sinkCount.end());
  ratios_ = r->meanRatio;
  auto addRow = [this](const std::vector<QTableWidgetItem*>& items) {
    const int row = table_->rowCount();
    table_->insertRow(row);
    for (int c = 0; c < int(items.size()); ++c) table_->setItem(row, c, items[c]);
  };
  int primary = 0;
  for (const SinkToken& t : r->tokens) {
    primary += t.primary;
    addRow({new NumberItem((long long)t.token), new NumberItem((long long)t.at.f), new NumberItem((long long)t.at.y),
            new NumberItem((long long)t.at.x), textItem(QString()),
            textItem(t.primary ? tr("primary") : tr("secondary")), new NumberItem((long long)t.appearances),
            new NumberItem((long long)t.firstLayer), new NumberItem((long long)t.longestRun),
            new NumberItem((long long)t.steps), new NumberItem(t.meanMass, 4)});
  }
  // Text sinks: the report lists them per (step, layer, head); one row per word.
  struct Word {
    int times = 0, firstLayer = 1 << 30;
    std::set<int> steps;
    double mass = 0;
  };
  std::map<int64_t, Word> words;
  for (const SinkHit& h : r->text) {
    Word& w = words[h.token];
    ++w.times;
    w.firstLayer = std::min(w.firstLayer, h.layer);
    w.steps.insert(h.step);
    w.mass += h.mass;
  }
  for (const auto& [token, w] : words) {
    const QString word = token < int64_t(r->textTokens.size()) ? QString::fromStdString(r->textTokens[token]) : QString();
    addRow({new NumberItem((long long)token), new NumberItem(NAN, 0), new NumberItem(NAN, 0), new NumberItem(NAN, 0),
            textItem(word), textItem(tr("text")), new NumberItem((long long)w.times),
            new NumberItem((long long)w.firstLayer), new NumberItem(NAN, 0),
            new NumberItem((long long)w.steps.size()), new NumberItem(w.mass / w.times, 4)});
  }
  table_->setSortingEnabled(true);
  table_->sortItems(Appearances, Qt::DescendingOrder);
  summary_->setText(tr("%1 sink token(s) (%2 primary, %3 secondary) and %4 prompt word(s), over %5 captured step(s); "
                       "primary = a run of ≥ %6 layers.")
                        .arg(r->tokens.size())
                        .arg(primary)
                        .arg(int(r->tokens.size()) - primary)
                        .arg(words.size())
                        .arg(r->capturedSteps)
                        .arg(r->options.primaryLayers));
  showMap();
}

void SinksView::showMap() {
  if (!hasReport_) return;
  if (mapChoice_->currentIndex() == 0)
    map_->setMap(grid_, counts_, tr("times a sink"));
  else
    map_->setMap(grid_, ratios_, tr("mean mass ÷ uniform"));
}

}  // namespace attnscope::ui
