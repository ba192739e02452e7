#include "ui/AtlasViewportWidget.h"

#include <QElapsedTimer>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

#include "engine/core/Error.h"
#include "ui/JobController.h"
#include "viz/GridLayout.h"

namespace attnscope::ui {

AtlasViewportWidget::AtlasViewportWidget(QWidget* parent) : QWidget(parent) {
  setMouseTracking(true);
  setFocusPolicy(Qt::StrongFocus);
  setMinimumSize(200, 160);
  setAttribute(Qt::WA_OpaquePaintEvent);
  setToolTip(tr("Attention atlas. Grid: click selects a head, double click zooms in (G toggles).\n"
                "Zoomed head: paint with the Masks panel's tool; Shift inverts keep/mask out;\n"
                "right or middle drag pans, the wheel zooms, 0 fits, [ ] heads, PgUp/PgDn layers."));
  try {
    viewport_ = std::make_unique<viz::AtlasViewport>();
  } catch (const std::exception& e) {
    reason_ = tr("The Vulkan viewport could not start: %1").arg(QString::fromStdString(e.what()));
  }
  uploads_ = new JobController(this);
  connect(uploads_, &JobController::busyChanged, this, [this](bool busy) {
    if (!busy && uploadPending_) {
      uploadPending_ = false;
      startUpload();
    }
  });
  connect(uploads_, &JobController::failed, this, [this](const QString&, const QString& message) {
    emit renderFailed(tr("The atlas cannot be shown: %1").arg(message));
  });
}

// uploads_ (a child QObject) is destroyed in ~QObject, after viewport_: stop it first.
AtlasViewportWidget::~AtlasViewportWidget() { delete uploads_; }

QString AtlasViewportWidget::deviceName() const {
  return viewport_ ? QString::fromStdString(viewport_->deviceName()) : QString();
}

void AtlasViewportWidget::setTool(viz::BrushTool tool) {
  tool_ = paletteTool_ = tool;
  if (viewport_) viewport_->setBrush(tool);
  update();
}

void AtlasViewportWidget::setAtlas(std::shared_ptr<const AttentionAtlas> atlas) {
  atlas_ = std::move(atlas);
  committed_ = false;
  if (viewport_ && !atlas_) viewport_->clearAtlas();
  if (viewport_ && atlas_) {
    if (uploads_->busy())
      uploadPending_ = true;  // the newest atlas goes up when the current upload ends
    else
      startUpload();
  }
  update();
}

void AtlasViewportWidget::startUpload() {
  if (!atlas_) return;
  std::shared_ptr<const AttentionAtlas> atlas = atlas_;
  const viz::AtlasViewport* viewport = viewport_.get();
  uploads_->start(tr("Uploading atlas"), [this, atlas, viewport](const JobController::Context&) -> JobController::Deliver {
    std::shared_ptr<const viz::PreparedAtlas> prepared = viewport->prepareAtlas(*atlas);
    return [this, atlas, prepared] {
      if (atlas != atlas_) return;  // a newer atlas is on its way
      QElapsedTimer clock;
      clock.start();
      viewport_->commitAtlas(prepared);
      commitMs_ = clock.nsecsElapsed() / 1e6;
      committed_ = true;
      applyPlan();
      update();
      emit atlasReady();
    };
  });
}

void AtlasViewportWidget::setPlan(const MaskPlan* plan) {
  plan_ = plan;
  applyPlan();
  update();
}

// The plan waits for its atlas: until the atlas is committed the viewport
// still holds the previous one, which the new plan need not fit.
void AtlasViewportWidget::applyPlan() {
  if (!viewport_ || !committed_) return;
  try {
    viewport_->setMaskPlan(plan_);
  } catch (const std::exception& e) {
    viewport_->setMaskPlan(nullptr);
    emit renderFailed(tr("The mask overlay cannot be drawn: %1").arg(QString::fromStdString(e.what())));
  }
}

void AtlasViewportWidget::setView(const viz::ViewState& view) {
  view_ = view;
  update();
}

void AtlasViewportWidget::changeView(const viz::ViewState& view) {
  view_ = view;
  update();
  emit viewChanged(view_);
}

QSize AtlasViewportWidget::renderSize() const {
  const qreal dpr = devicePixelRatioF();
  return {std::max(1, int(width() * dpr)), std::max(1, int(height() * dpr))};
}

std::optional<viz::HeatmapHit> AtlasViewportWidget::hitAt(QPointF point) const {
  if (!viewport_ || !committed_) return std::nullopt;
  const QSize size = renderSize();
  const qreal dpr = devicePixelRatioF();
  return viewport_->hitTest(size.width(), size.height(), view_, float(point.x() * dpr), float(point.y() * dpr));
}

void AtlasViewportWidget::paintEvent(QPaintEvent*) {
  QPainter p(this);
  if (!viewport_ || !committed_) {
    p.fillRect(rect(), QColor(24, 24, 28));
    p.setPen(QColor(200, 200, 200));
    p.drawText(rect().adjusted(16, 16, -16, -16), Qt::AlignCenter | Qt::TextWordWrap,
               !viewport_ ? reason_
               : atlas_   ? tr("Uploading the atlas…")
                          : tr("No attention captured yet.\nGenerate with capture steps (Run panel), or open an "
                               "atlas (File ▸ Open Atlas…)."));
    return;
  }
  const QSize size = renderSize();
  QElapsedTimer clock;
  clock.start();
  try {
    viz::RenderedImage out = viewport_->render(size.width(), size.height(), view_, pointer_);
    pointer_.wheel = 0;  // a wheel step is delivered once
    image_ = QImage(out.rgba.data(), out.width, out.height, out.width * 4, QImage::Format_RGBA8888).copy();
    image_.setDevicePixelRatio(devicePixelRatioF());
  } catch (const std::exception& e) {
    image_ = QImage();
    p.fillRect(rect(), QColor(24, 24, 28));
    p.setPen(QColor(255, 160, 160));
    p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap, tr("Viewport error: %1").arg(e.what()));
    return;
  }
  renderMs_ = clock.nsecsElapsed() / 1e6;
  p.drawImage(QPoint(0, 0), image_);
  if (gesture_ == Gesture::Rectangle) {
    p.setPen(QPen(gestureKeep_ ? QColor(120, 255, 120) : QColor(255, 110, 110), 1, Qt::DashLine));
    p.drawRect(QRectF(pressPos_, pointer_.x >= 0 ? QPointF(pointer_.x, pointer_.y) / devicePixelRatioF() : pressPos_)
                   .normalized());
  }
  const viz::BrushTool picked = viewport_->overlay().brush;
  if (picked != paletteTool_) {  // the ImGui palette chose another tool
    paletteTool_ = picked;
    tool_ = picked;
    emit toolPicked(picked);
  }
}

void AtlasViewportWidget::updatePointer(QPointF pos, Qt::MouseButtons buttons) {
  const qreal dpr = devicePixelRatioF();
  pointer_.x = float(pos.x() * dpr);
  pointer_.y = float(pos.y() * dpr);
  pointer_.down[0] = buttons & Qt::LeftButton;
  pointer_.down[1] = buttons & Qt::RightButton;
  pointer_.down[2] = buttons & Qt::MiddleButton;
}

bool AtlasViewportWidget::keepFor(Qt::KeyboardModifiers modifiers) const {
  bool keep = tool_ == viz::BrushTool::Erase ? false : keep_;
  return (modifiers & Qt::ShiftModifier) ? !keep : keep;
}

MaskEdit AtlasViewportWidget::editAt(const viz::HeatmapHit& hit, EditShape shape, bool keep) const {
  MaskEdit e;
  e.shape = shape;
  e.scope = scope_;
  e.layer = hit.layer;
  e.head = hit.head;
  e.q0 = e.q1 = hit.qBlock;
  e.k0 = e.k1 = hit.kBlock;
  e.keep = keep;
  return e;
}

void AtlasViewportWidget::mousePressEvent(QMouseEvent* event) {
  setFocus();
  updatePointer(event->position(), event->buttons());
  update();
  if (!viewport_ || !committed_) return;
  if (event->button() == Qt::RightButton || event->button() == Qt::MiddleButton) {
    if (view_.mode == viz::ViewMode::Zoom) {
      gesture_ = Gesture::Pan;
      panStart_ = event->position();
    }
    return;
  }
  if (event->button() != Qt::LeftButton) return;
  std::optional<viz::HeatmapHit> hit = hitAt(event->position());
  if (!hit || viewport_->overlay().wantsPointer) return;
  if (view_.mode == viz::ViewMode::Grid) {
    viz::ViewState v = view_;
    v.layer = hit->layer;
    v.head = hit->head;
    changeView(v);
    return;
  }
  gestureKeep_ = keepFor(event->modifiers());
  pressPos_ = event->position();
  anchor_ = last_ = hit;
  switch (tool_) {
    case viz::BrushTool::Brush:
    case viz::BrushTool::Erase:
      gesture_ = Gesture::Stroke;
      emit strokeStarted(gestureKeep_ ? tr("Brush") : tr("Erase"));
      emit editRequested(editAt(*hit, EditShape::Rectangle, gestureKeep_));
      break;
    case viz::BrushTool::Rectangle: gesture_ = Gesture::Rectangle; break;
    case viz::BrushTool::FillRow: emit editRequested(editAt(*hit, EditShape::Row, gestureKeep_)); break;
    case viz::BrushTool::FillColumn: emit editRequested(editAt(*hit, EditShape::Column, gestureKeep_)); break;
  }
}

void AtlasViewportWidget::mouseMoveEvent(QMouseEvent* event) {
  updatePointer(event->position(), event->buttons());
  std::optional<viz::HeatmapHit> hit = hitAt(event->position());
  if (gesture_ == Gesture::Pan) {
    const QPointF d = (event->position() - panStart_) * devicePixelRatioF();
    panStart_ = event->position();
    const QSize size = renderSize();
    const int64_t nb = atlas_ ? atlas_->numBlocks() : 1;
    changeView(viz::panByPixels(view_, size.width(), size.height(), nb, nb, float(d.x()), float(d.y())));
  } else if (hit && (gesture_ == Gesture::Stroke || gesture_ == Gesture::Rectangle) && hit->layer == anchor_->layer &&
             hit->head == anchor_->head) {
    if (gesture_ == Gesture::Stroke && (hit->qBlock != last_->qBlock || hit->kBlock != last_->kBlock))
      emit editRequested(editAt(*hit, EditShape::Rectangle, gestureKeep_));
    last_ = hit;
  }
  if (hit) {
    emit hoverChanged(tr("layer %1 head %2 · q-block %3 → k-block %4 · mass %5")
                          .arg(hit->layer).arg(hit->head).arg(hit->qBlock).arg(hit->kBlock)
                          .arg(double(hit->value), 0, 'g', 4));
  }
  update();
}

void AtlasViewportWidget::mouseReleaseEvent(QMouseEvent* event) {
  updatePointer(event->position(), event->buttons());
  if (gesture_ == Gesture::Rectangle && anchor_ && last_) {
    MaskEdit e = editAt(*anchor_, EditShape::Rectangle, gestureKeep_);
    e.q1 = last_->qBlock;
    e.k1 = last_->kBlock;
    emit editRequested(e);
  } else if (gesture_ == Gesture::Stroke) {
    emit strokeFinished();
  }
  gesture_ = Gesture::None;
  anchor_.reset();
  last_.reset();
  update();
}

void AtlasViewportWidget::mouseDoubleClickEvent(QMouseEvent* event) {
  if (view_.mode != viz::ViewMode::Grid || event->button() != Qt::LeftButton) return;
  if (std::optional<viz::HeatmapHit> hit = hitAt(event->position())) {
    viz::ViewState v = view_;
    v.layer = hit->layer;
    v.head = hit->head;
    v.mode = viz::ViewMode::Zoom;
    v.zoom = 1;
    v.panX = v.panY = 0.5f;
    changeView(v);
  }
}

void AtlasViewportWidget::wheelEvent(QWheelEvent* event) {
  pointer_.wheel += float(event->angleDelta().y()) / 120.0f;
  if (view_.mode == viz::ViewMode::Zoom && !(viewport_ && viewport_->overlay().wantsPointer)) {
    const QSize size = renderSize();
    const int64_t nb = atlas_ ? atlas_->numBlocks() : 1;
    const QPointF at = event->position() * devicePixelRatioF();
    changeView(viz::zoomAbout(view_, size.width(), size.height(), nb, nb, float(at.x()), float(at.y()),
                              std::pow(1.2f, float(event->angleDelta().y()) / 120.0f)));
  } else {
    update();
  }
}

void AtlasViewportWidget::keyPressEvent(QKeyEvent* event) {
  viz::ViewState v = view_;
  const int layers = atlas_ ? int(atlas_->layers) : 1, heads = atlas_ ? int(atlas_->heads) : 1;
  switch (event->key()) {
    case Qt::Key_G:
      v.mode = v.mode == viz::ViewMode::Grid ? viz::ViewMode::Zoom : viz::ViewMode::Grid;
      break;
    case Qt::Key_0:
    case Qt::Key_Home:
      v.zoom = 1;
      v.panX = v.panY = 0.5f;
      break;
    case Qt::Key_BracketLeft: v.head = (v.head + heads - 1) % heads; break;
    case Qt::Key_BracketRight: v.head = (v.head + 1) % heads; break;
    case Qt::Key_PageUp: v.layer = (v.layer + layers - 1) % layers; break;
    case Qt::Key_PageDown: v.layer = (v.layer + 1) % layers; break;
    case Qt::Key_Plus:
    case Qt::Key_Equal: v.zoom = std::min(64.0f, v.zoom * 1.25f); break;
    case Qt::Key_Minus: v.zoom = std::max(1.0f, v.zoom / 1.25f); break;
    default: QWidget::keyPressEvent(event); return;
  }
  changeView(v);
}

void AtlasViewportWidget::leaveEvent(QEvent*) {
  pointer_ = viz::PointerInput{};
  update();
}

}  // namespace attnscope::ui
