#pragma once
// The undo commands that change the Workbench's MaskPlan. Thin: the edit
// itself is an engine function (engine/mask/MaskEdits.h); a command keeps
// the affected masks before and after and swaps them.
#include <QUndoCommand>

#include <optional>

#include "engine/mask/MaskEdits.h"

namespace attnscope::ui {

class Workbench;

// Some masks of the plan changed (paint, erase, fill, copy to heads).
class MaskEditCommand : public QUndoCommand {
 public:
  MaskEditCommand(Workbench* bench, MaskSnapshot before, MaskSnapshot after, const QString& text);
  void undo() override;
  void redo() override;

 private:
  Workbench* bench_;
  MaskSnapshot before_, after_;
};

// The whole plan was replaced (derive, load, new); before may be "no plan".
class ReplacePlanCommand : public QUndoCommand {
 public:
  ReplacePlanCommand(Workbench* bench, std::optional<MaskPlan> before, MaskPlan after, const QString& text);
  void undo() override;
  void redo() override;

 private:
  Workbench* bench_;
  std::optional<MaskPlan> before_;
  MaskPlan after_;
};

}  // namespace attnscope::ui
