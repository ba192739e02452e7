#pragma once
// AtlasViewportWidget: hosts the Vulkan atlas viewport (viz::AtlasViewport,
// rendered offscreen) in a QWidget. It forwards the pointer as PointerInput
// (for the Dear ImGui overlay), paints the returned image, and turns mouse
// gestures on a zoomed head into mask edits:
//   brush / erase: every block the pointer crosses, bracketed by
//                  strokeStarted/strokeFinished (one undo step);
//   rectangle:     drag a box of blocks; fill row / column: click a block.
// In the grid a click selects a head, a double click zooms into it. Pan with
// the right or middle button, zoom with the wheel. Keys: G grid/zoom, 0 fit,
// [ ] previous/next head, PgUp/PgDn previous/next layer, Shift inverts keep/mask.
// The viewport is created at run time; when that fails (no usable Vulkan
// device) the widget shows why instead. A new atlas is prepared
// for the GPU on a worker thread; only the short commit runs on the GUI thread.
#include <QImage>
#include <QWidget>

#include <memory>
#include <optional>

#include "engine/mask/MaskEdits.h"
#include "viz/AtlasViewport.h"

namespace attnscope::ui {

class JobController;

class AtlasViewportWidget : public QWidget {
  Q_OBJECT
 public:
  explicit AtlasViewportWidget(QWidget* parent = nullptr);
  ~AtlasViewportWidget() override;

  bool available() const { return viewport_ != nullptr; }
  QString unavailableReason() const { return reason_; }
  QString deviceName() const;

  void setAtlas(std::shared_ptr<const AttentionAtlas> atlas);
  bool hasAtlas() const { return committed_; }  // uploaded and drawable
  double lastCommitMs() const { return commitMs_; }  // GUI-thread time of the last atlas swap
  void setPlan(const MaskPlan* plan);  // call again whenever the plan changes
  const viz::ViewState& view() const { return view_; }
  void setView(const viz::ViewState& view);

  // Painting settings (the Masks panel sets them).
  void setTool(viz::BrushTool tool);
  viz::BrushTool tool() const { return tool_; }
  void setKeep(bool keep) { keep_ = keep; }  // what brush/rectangle/fill paint (erase always masks out)
  void setScope(EditScope scope) { scope_ = scope; }

  std::optional<viz::HeatmapHit> hitAt(QPointF point) const;
  QImage image() const { return image_; }  // the last rendered frame
  double lastRenderMs() const { return renderMs_; }

 signals:
  void viewChanged(const attnscope::viz::ViewState& view);
  void hoverChanged(const QString& readout);
  void editRequested(const attnscope::MaskEdit& edit);
  void strokeStarted(const QString& what);
  void strokeFinished();
  void toolPicked(attnscope::viz::BrushTool tool);  // chosen in the ImGui palette
  void renderFailed(const QString& message);
  void atlasReady();  // the atlas set last is on the GPU

 protected:
  void paintEvent(QPaintEvent*) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void mouseDoubleClickEvent(QMouseEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void leaveEvent(QEvent*) override;

 private:
  void updatePointer(QPointF pos, Qt::MouseButtons buttons);
  void changeView(const viz::ViewState& view);
  MaskEdit editAt(const viz::HeatmapHit& hit, EditShape shape, bool keep) const;
  bool keepFor(Qt::KeyboardModifiers modifiers) const;
  QSize renderSize() const;
  void startUpload();
  void applyPlan();

  std::unique_ptr<viz::AtlasViewport> viewport_;
  QString reason_;
  std::shared_ptr<const AttentionAtlas> atlas_;
  const MaskPlan* plan_ = nullptr;
  bool committed_ = false, uploadPending_ = false;
  double commitMs_ = 0;
  JobController* uploads_;
  viz::ViewState view_;
  viz::PointerInput pointer_;
  viz::BrushTool tool_ = viz::BrushTool::Rectangle;
  viz::BrushTool paletteTool_ = viz::BrushTool::Rectangle;
  EditScope scope_ = EditScope::Head;
  bool keep_ = false;
  QImage image_;
  double renderMs_ = 0;

  // Gesture in progress.
  enum class Gesture { None, Stroke, Rectangle, Pan };
  Gesture gesture_ = Gesture::None;
  std::optional<viz::HeatmapHit> anchor_, last_;
  QPointF pressPos_, panStart_;
  bool gestureKeep_ = true;
};

}  // namespace attnscope::ui
