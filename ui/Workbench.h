#pragma once
// Workbench: the one data model every view of the window reads and redraws
// from (Tracy's habit: views keep no second copy). It holds the loaded model,
// the dense run (video + captured atlas), the current MaskPlan, the sparse
// re-render and its comparison. Plan edits go through the undo stack
// (PlanCommands); everything else is replaced whole by finished jobs.
// GUI thread only; jobs get copies.
#include <QObject>
#include <QString>
#include <QUndoStack>

#include <memory>
#include <optional>

#include "engine/mask/MaskEdits.h"
#include "engine/metrics/VideoMetrics.h"
#include "engine/pipeline/ModelSession.h"

namespace attnscope::ui {

class Workbench : public QObject {
  Q_OBJECT
 public:
  explicit Workbench(QObject* parent = nullptr);

  // Model
  void setModel(std::shared_ptr<ModelSession> model, const QString& path);
  std::shared_ptr<ModelSession> model() const { return model_; }
  QString modelPath() const { return modelPath_; }

  // Runs (shared, immutable once set)
  void setDense(std::shared_ptr<const GenerationResult> run);
  void setAtlas(std::shared_ptr<const AttentionAtlas> atlas);  // e.g. loaded from a file
  void setSparse(std::shared_ptr<const GenerationResult> run, std::optional<VideoQuality> quality);
  std::shared_ptr<const GenerationResult> dense() const { return dense_; }
  std::shared_ptr<const GenerationResult> sparse() const { return sparse_; }
  std::shared_ptr<const AttentionAtlas> atlas() const { return atlas_; }
  const std::optional<VideoQuality>& quality() const { return quality_; }
  // The frames to show: the dense run's video, or one loaded from a file.
  void setVideo(std::shared_ptr<const VideoFrames> video);
  std::shared_ptr<const VideoFrames> video() const { return video_; }

  // The plan: nullptr until an atlas or a plan file gives one.
  const MaskPlan* plan() const { return plan_ ? &*plan_ : nullptr; }
  QUndoStack* undoStack() { return &undo_; }
  // Undoable: replaces the whole plan (derive, load), or edits masks (paint).
  void replacePlan(const MaskPlan& plan, const QString& what);
  void editPlan(const MaskEdit& edit, const QString& what);   // throws Error (plan untouched)
  void copyMask(int64_t layer, int64_t head, EditScope scope);
  // Not undoable: a fresh all-kept plan for the atlas when there is no plan
  // (or the plan was made for another grid; that plan is kept in the undo history).
  void ensurePlanForAtlas();

  // Preview of a plan being tuned (drawn instead of the plan while set).
  void setPreview(std::optional<MaskPlan> preview);
  const MaskPlan* preview() const { return preview_ ? &*preview_ : nullptr; }
  const MaskPlan* shownPlan() const { return preview_ ? &*preview_ : plan(); }

  // Used by PlanCommands only.
  MaskPlan* mutablePlan() { return plan_ ? &*plan_ : nullptr; }
  void setPlanValue(std::optional<MaskPlan> plan);
  void notifyPlanChanged() { emit planChanged(); }

 signals:
  void modelChanged();
  void denseChanged();
  void atlasChanged();
  void videoChanged();
  void planChanged();    // plan or preview
  void sparseChanged();  // sparse run and/or quality

 private:
  std::shared_ptr<ModelSession> model_;
  QString modelPath_;
  std::shared_ptr<const GenerationResult> dense_, sparse_;
  std::shared_ptr<const AttentionAtlas> atlas_;
  std::shared_ptr<const VideoFrames> video_;
  std::optional<VideoQuality> quality_;
  std::optional<MaskPlan> plan_, preview_;
  QUndoStack undo_;
};

}  // namespace attnscope::ui
