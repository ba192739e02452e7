#include "ui/Workbench.h"

#include "engine/core/Error.h"
#include "ui/PlanCommands.h"

namespace attnscope::ui {

Workbench::Workbench(QObject* parent) : QObject(parent) {}

void Workbench::setModel(std::shared_ptr<ModelSession> model, const QString& path) {
  model_ = std::move(model);
  modelPath_ = path;
  emit modelChanged();
}

void Workbench::setDense(std::shared_ptr<const GenerationResult> run) {
  dense_ = std::move(run);
  emit denseChanged();
  if (dense_) {
    setVideo(std::shared_ptr<const VideoFrames>(dense_, &dense_->video));
    // An atlas belongs to its run: a run without capture leaves none to show.
    setAtlas(dense_->atlas.entries.empty() ? nullptr
                                           : std::shared_ptr<const AttentionAtlas>(dense_, &dense_->atlas));
  }
  // A new dense run makes the old comparison meaningless.
  setSparse(nullptr, std::nullopt);
}

void Workbench::setAtlas(std::shared_ptr<const AttentionAtlas> atlas) {
  atlas_ = std::move(atlas);
  ensurePlanForAtlas();
  emit atlasChanged();
}

void Workbench::setVideo(std::shared_ptr<const VideoFrames> video) {
  video_ = std::move(video);
  emit videoChanged();
}

void Workbench::setSparse(std::shared_ptr<const GenerationResult> run, std::optional<VideoQuality> quality) {
  sparse_ = std::move(run);
  quality_ = std::move(quality);
  emit sparseChanged();
}

void Workbench::replacePlan(const MaskPlan& plan, const QString& what) {
  undo_.push(new ReplacePlanCommand(this, plan_, plan, what));
}

void Workbench::editPlan(const MaskEdit& edit, const QString& what) {
  if (!plan_) throw Error("there is no mask plan to paint on: capture attention or load a plan first");
  MaskSnapshot before = applyMaskEdit(*plan_, edit);
  MaskSnapshot after = snapshotMasks(*plan_, before.indices);
  undo_.push(new MaskEditCommand(this, std::move(before), std::move(after), what));
}

void Workbench::copyMask(int64_t layer, int64_t head, EditScope scope) {
  if (!plan_) throw Error("there is no mask plan to copy from");
  MaskSnapshot before = copyMaskToScope(*plan_, layer, head, scope);
  MaskSnapshot after = snapshotMasks(*plan_, before.indices);
  undo_.push(new MaskEditCommand(this, std::move(before), std::move(after),
                                 tr("Copy L%1 H%2 to %3").arg(layer).arg(head)
                                     .arg(scope == EditScope::Layer ? tr("layer") : tr("all layers"))));
}

void Workbench::ensurePlanForAtlas() {
  if (!atlas_) return;
  const AttentionAtlas& a = *atlas_;
  if (plan_) {
    try {
      plan_->checkCompatible(a.modelId, a.grid, a.layers, a.heads);
      if (plan_->layout == a.layout) return;
    } catch (const Error&) {
    }
  }
  // Undoable, so a plan made for another run is not lost.
  replacePlan(MaskPlan::full(a.modelId, a.grid, a.layout, a.layers, a.heads), tr("New plan for the atlas"));
}

void Workbench::setPreview(std::optional<MaskPlan> preview) {
  preview_ = std::move(preview);
  emit planChanged();
}

void Workbench::setPlanValue(std::optional<MaskPlan> plan) {
  plan_ = std::move(plan);
  emit planChanged();
}

}  // namespace attnscope::ui
