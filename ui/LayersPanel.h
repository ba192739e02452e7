#pragma once
// LayersPanel (the "Layers & heads" dock): which captured step, layer and
// head the viewport shows, grid or zoom, colormap, scaling and overlays; and
// what the video player's heat overlay shows — where a clicked pixel looks
// (this head or the mean of the layer's heads) or a prompt word's
// cross-attention map.
#include <QWidget>

#include <memory>

#include "viz/AtlasViewport.h"

class QCheckBox;
class QComboBox;
class QListWidget;
class QTreeWidget;

namespace attnscope::ui {

class LayersPanel : public QWidget {
  Q_OBJECT
 public:
  explicit LayersPanel(QWidget* parent = nullptr);

  void setAtlas(std::shared_ptr<const AttentionAtlas> atlas);
  void setView(const viz::ViewState& view);  // reflects it, emits nothing
  viz::ViewState view() const { return view_; }
  bool averageHeads() const;
  int chosenStep() const;  // the view's step, or the first captured one

  QTreeWidget* headTree() const { return tree_; }
  QListWidget* wordList() const { return words_; }
  QComboBox* stepBox() const { return step_; }

 signals:
  void viewEdited(const attnscope::viz::ViewState& view);
  void wordPicked(int textToken);
  void lookOptionsChanged();  // head vs mean of heads

 private:
  void emitView();

  std::shared_ptr<const AttentionAtlas> atlas_;
  viz::ViewState view_;
  bool reflecting_ = false;
  QComboBox *step_, *mode_, *colormap_, *scaling_, *lookHeads_;
  QCheckBox *showMask_, *showFrames_, *showOverlay_;
  QTreeWidget* tree_;
  QListWidget* words_;
};

}  // namespace attnscope::ui
