#include "ui/LayersPanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHeaderView>
#include <QListWidget>
#include <QSignalBlocker>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace attnscope::ui {

namespace {
constexpr int kLayerRole = Qt::UserRole, kHeadRole = Qt::UserRole + 1;
}

LayersPanel::LayersPanel(QWidget* parent) : QWidget(parent) {
  auto* column = new QVBoxLayout(this);
  auto* form = new QFormLayout;
  column->addLayout(form);

  step_ = new QComboBox(this);
  step_->setToolTip(tr("Captured denoising step whose maps are shown"));
  form->addRow(tr("Step"), step_);
  mode_ = new QComboBox(this);
  mode_->addItems({tr("Grid: every layer × head"), tr("Zoom: one head")});
  mode_->setToolTip(tr("All captured heads at once, or the selected head zoomed in for painting (G)"));
  form->addRow(tr("View"), mode_);
  colormap_ = new QComboBox(this);
  colormap_->addItems({"viridis", "magma", "inferno", "cividis"});
  colormap_->setToolTip(tr("Perceptual colormap of the heatmaps (computed in the shaders)"));
  form->addRow(tr("Colormap"), colormap_);
  scaling_ = new QComboBox(this);
  scaling_->addItems({tr("linear"), tr("log"), tr("per-row normalised")});
  scaling_->setToolTip(tr("Value scaling before the colormap: linear mass, log mass, or each query row "
                          "divided by its maximum"));
  form->addRow(tr("Scaling"), scaling_);
  showMask_ = new QCheckBox(tr("Mask overlay"), this);
  showMask_->setToolTip(tr("Draw the mask plan over the heatmaps (masked-out blocks dimmed)"));
  showFrames_ = new QCheckBox(tr("Frame boundaries"), this);
  showFrames_->setToolTip(tr("Lines where the query/key blocks cross into the next frame"));
  showOverlay_ = new QCheckBox(tr("Read-out, legend, palette"), this);
  showOverlay_->setToolTip(tr("The Dear ImGui overlay inside the viewport"));
  for (QCheckBox* box : {showMask_, showFrames_, showOverlay_}) {
    box->setChecked(true);
    column->addWidget(box);
  }

  tree_ = new QTreeWidget(this);
  tree_->setHeaderLabels({tr("Layer / head")});
  tree_->header()->setVisible(false);
  tree_->setToolTip(tr("Pick the head to zoom into and to ask where pixels look"));
  column->addWidget(tree_, 2);

  auto* look = new QGroupBox(tr("On the video"), this);
  auto* lookColumn = new QVBoxLayout(look);
  lookHeads_ = new QComboBox(look);
  lookHeads_->addItems({tr("selected head"), tr("mean of the layer's heads")});
  lookHeads_->setToolTip(tr("Click a pixel in the video: its attention from the selected head, or the mean over "
                            "the heads of the selected layer, drawn over every frame"));
  lookColumn->addWidget(lookHeads_);
  words_ = new QListWidget(look);
  words_->setToolTip(tr("Pick a prompt word: its cross-attention map over the frames"));
  lookColumn->addWidget(words_);
  column->addWidget(look, 1);

  connect(step_, &QComboBox::currentIndexChanged, this, &LayersPanel::emitView);
  connect(mode_, &QComboBox::currentIndexChanged, this, &LayersPanel::emitView);
  connect(colormap_, &QComboBox::currentIndexChanged, this, &LayersPanel::emitView);
  connect(scaling_, &QComboBox::currentIndexChanged, this, &LayersPanel::emitView);
  for (QCheckBox* box : {showMask_, showFrames_, showOverlay_})
    connect(box, &QCheckBox::toggled, this, &LayersPanel::emitView);
  connect(tree_, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* item) {
    if (!item || reflecting_) return;
    view_.layer = item->data(0, kLayerRole).toInt();
    if (item->data(0, kHeadRole).isValid()) view_.head = item->data(0, kHeadRole).toInt();
    emit viewEdited(view_);
  });
  connect(tree_, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem* item) {
    if (!item->data(0, kHeadRole).isValid()) return;
    mode_->setCurrentIndex(1);
  });
  connect(lookHeads_, &QComboBox::currentIndexChanged, this, &LayersPanel::lookOptionsChanged);
  connect(words_, &QListWidget::currentRowChanged, this, [this](int row) {
    if (row >= 0 && !reflecting_) emit wordPicked(words_->item(row)->data(Qt::UserRole).toInt());
  });
  setAtlas(nullptr);
}

void LayersPanel::setAtlas(std::shared_ptr<const AttentionAtlas> atlas) {
  atlas_ = std::move(atlas);
  reflecting_ = true;
  QSignalBlocker b1(step_), b2(tree_), b3(words_);
  step_->clear();
  tree_->clear();
  words_->clear();
  if (atlas_) {
    for (int s : atlas_->capturedSteps()) step_->addItem(tr("step %1 of %2").arg(s).arg(atlas_->totalSteps), s);
    for (int l = 0; l < atlas_->layers; ++l) {
      auto* layer = new QTreeWidgetItem(tree_, {tr("Layer %1").arg(l)});
      layer->setData(0, kLayerRole, l);
      for (int h = 0; h < atlas_->heads; ++h) {
        auto* head = new QTreeWidgetItem(layer, {tr("Head %1").arg(h)});
        head->setData(0, kLayerRole, l);
        head->setData(0, kHeadRole, h);
      }
    }
    tree_->expandAll();
    for (size_t t = 0; t < atlas_->textTokens.size(); ++t) {
      const std::string& word = atlas_->textTokens[t];
      if (word == "<pad>") continue;
      auto* item = new QListWidgetItem(QString::fromStdString(word), words_);
      item->setData(Qt::UserRole, int(t));
      item->setToolTip(tr("text token %1").arg(t));
    }
    view_.layer = std::min<int>(view_.layer, int(atlas_->layers) - 1);
    view_.head = std::min<int>(view_.head, int(atlas_->heads) - 1);
    view_.step = step_->count() ? step_->itemData(0).toInt() : -1;
  }
  reflecting_ = false;
  setView(view_);
}

void LayersPanel::setView(const viz::ViewState& view) {
  view_ = view;
  reflecting_ = true;
  QSignalBlocker b1(step_), b2(mode_), b3(colormap_), b4(scaling_), b5(showMask_), b6(showFrames_),
      b7(showOverlay_), b8(tree_);
  const int stepIndex = step_->findData(view.step);
  if (stepIndex >= 0) step_->setCurrentIndex(stepIndex);
  mode_->setCurrentIndex(view.mode == viz::ViewMode::Grid ? 0 : 1);
  colormap_->setCurrentIndex(int(view.colormap));
  scaling_->setCurrentIndex(int(view.scaling));
  showMask_->setChecked(view.showMask);
  showFrames_->setChecked(view.showFrameBoundaries);
  showOverlay_->setChecked(view.showOverlay);
  if (QTreeWidgetItem* layer = tree_->topLevelItem(view.layer))
    if (QTreeWidgetItem* head = layer->child(view.head)) tree_->setCurrentItem(head);
  reflecting_ = false;
}

bool LayersPanel::averageHeads() const { return lookHeads_->currentIndex() == 1; }

int LayersPanel::chosenStep() const {
  if (view_.step >= 0) return view_.step;
  return step_->count() ? step_->itemData(0).toInt() : -1;
}

void LayersPanel::emitView() {
  if (reflecting_) return;
  if (step_->currentIndex() >= 0) view_.step = step_->currentData().toInt();
  view_.mode = mode_->currentIndex() == 0 ? viz::ViewMode::Grid : viz::ViewMode::Zoom;
  view_.colormap = viz::Colormap(colormap_->currentIndex());
  view_.scaling = viz::Scaling(scaling_->currentIndex());
  view_.showMask = showMask_->isChecked();
  view_.showFrameBoundaries = showFrames_->isChecked();
  view_.showOverlay = showOverlay_->isChecked();
  emit viewEdited(view_);
}

}  // namespace attnscope::ui
