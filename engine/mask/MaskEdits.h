#pragma once
// Mask edits: what a painting front end does to a MaskPlan, as plain
// functions so every edit is testable without a window and undoable by
// swapping snapshots.
//   shape:  a rectangle of blocks [q0, q1] x [k0, k1] (inclusive; a brush dab
//           is a 1x1 rectangle), a whole q-row, a whole k-column;
//   scope:  this head, every head of its layer, every head of every layer;
//   keep:   true paints kept blocks, false erases (masks blocks out).
// applyMaskEdit returns the masks as they were before, so an undo command
// restores them with restoreMasks.
#include <cstdint>
#include <vector>

#include "engine/mask/MaskPlan.h"

namespace attnscope {

enum class EditShape { Rectangle, Row, Column };
enum class EditScope { Head, Layer, AllLayers };

struct MaskEdit {
  EditShape shape = EditShape::Rectangle;
  EditScope scope = EditScope::Head;
  int64_t layer = 0, head = 0;
  int64_t q0 = 0, q1 = 0, k0 = 0, k1 = 0;  // Row uses q0, Column uses k0
  bool keep = true;
};

// Masks of some (layer, head) indices (layer * heads + head) as they were.
struct MaskSnapshot {
  std::vector<int64_t> indices;
  std::vector<BlockMask> masks;
};

// The plan indices an edit touches. Throws Error for a layer/head outside the plan.
std::vector<int64_t> editTargets(const MaskPlan& plan, EditScope scope, int64_t layer, int64_t head);
MaskSnapshot snapshotMasks(const MaskPlan& plan, const std::vector<int64_t>& indices);
void restoreMasks(MaskPlan& plan, const MaskSnapshot& snapshot);

// Fills in one mask; the rectangle is clamped to the mask, corners in any order.
void fillRectangle(BlockMask& mask, int64_t q0, int64_t q1, int64_t k0, int64_t k1, bool keep);
void fillRow(BlockMask& mask, int64_t q, bool keep);
void fillColumn(BlockMask& mask, int64_t k, bool keep);

// Applies the edit to every target mask; returns them as they were. Throws
// Error (plan untouched) when a row/column/rectangle lies wholly outside the masks.
MaskSnapshot applyMaskEdit(MaskPlan& plan, const MaskEdit& edit);

// Copies the mask of (layer, head) onto the other heads in scope.
MaskSnapshot copyMaskToScope(MaskPlan& plan, int64_t layer, int64_t head, EditScope scope);

}  // namespace attnscope
