#include "ui/PlanCommands.h"

#include "ui/Workbench.h"

namespace attnscope::ui {

MaskEditCommand::MaskEditCommand(Workbench* bench, MaskSnapshot before, MaskSnapshot after, const QString& text)
    : QUndoCommand(text), bench_(bench), before_(std::move(before)), after_(std::move(after)) {}

void MaskEditCommand::undo() {
  restoreMasks(*bench_->mutablePlan(), before_);
  bench_->notifyPlanChanged();
}

// The first redo re-applies what the edit already did: harmless, and keeps one path.
void MaskEditCommand::redo() {
  restoreMasks(*bench_->mutablePlan(), after_);
  bench_->notifyPlanChanged();
}

ReplacePlanCommand::ReplacePlanCommand(Workbench* bench, std::optional<MaskPlan> before, MaskPlan after,
                                       const QString& text)
    : QUndoCommand(text), bench_(bench), before_(std::move(before)), after_(std::move(after)) {}

void ReplacePlanCommand::undo() { bench_->setPlanValue(before_); }
void ReplacePlanCommand::redo() { bench_->setPlanValue(after_); }

}  // namespace attnscope::ui
