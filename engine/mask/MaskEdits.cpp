#include "engine/mask/MaskEdits.h"

#include <algorithm>

#include "engine/core/Error.h"

namespace attnscope {

namespace {

void checkRange(const char* what, int64_t lo, int64_t hi, int64_t size) {
  if (hi < 0 || lo >= size)
    throw Error(std::string(what) + " " + std::to_string(lo) + ".." + std::to_string(hi) +
                " lies outside the mask's 0.." + std::to_string(size - 1));
}

}  // namespace

std::vector<int64_t> editTargets(const MaskPlan& plan, EditScope scope, int64_t layer, int64_t head) {
  if (layer < 0 || layer >= plan.layers || head < 0 || head >= plan.heads)
    throw Error("layer " + std::to_string(layer) + ", head " + std::to_string(head) + " is outside the plan's " +
                std::to_string(plan.layers) + " layers x " + std::to_string(plan.heads) + " heads");
  std::vector<int64_t> out;
  if (scope == EditScope::Head) {
    out.push_back(layer * plan.heads + head);
  } else if (scope == EditScope::Layer) {
    for (int64_t h = 0; h < plan.heads; ++h) out.push_back(layer * plan.heads + h);
  } else {
    for (int64_t i = 0; i < plan.layers * plan.heads; ++i) out.push_back(i);
  }
  return out;
}

MaskSnapshot snapshotMasks(const MaskPlan& plan, const std::vector<int64_t>& indices) {
  MaskSnapshot s;
  s.indices = indices;
  for (int64_t i : indices) s.masks.push_back(plan.masks.at(i));
  return s;
}

void restoreMasks(MaskPlan& plan, const MaskSnapshot& snapshot) {
  for (size_t i = 0; i < snapshot.indices.size(); ++i) plan.masks.at(snapshot.indices[i]) = snapshot.masks[i];
}

void fillRectangle(BlockMask& mask, int64_t q0, int64_t q1, int64_t k0, int64_t k1, bool keep) {
  if (q0 > q1) std::swap(q0, q1);
  if (k0 > k1) std::swap(k0, k1);
  q0 = std::max<int64_t>(0, q0);
  k0 = std::max<int64_t>(0, k0);
  q1 = std::min(mask.nq() - 1, q1);
  k1 = std::min(mask.nk() - 1, k1);
  for (int64_t q = q0; q <= q1; ++q)
    for (int64_t k = k0; k <= k1; ++k) mask.set(q, k, keep);
}

void fillRow(BlockMask& mask, int64_t q, bool keep) { fillRectangle(mask, q, q, 0, mask.nk() - 1, keep); }
void fillColumn(BlockMask& mask, int64_t k, bool keep) { fillRectangle(mask, 0, mask.nq() - 1, k, k, keep); }

MaskSnapshot applyMaskEdit(MaskPlan& plan, const MaskEdit& e) {
  std::vector<int64_t> targets = editTargets(plan, e.scope, e.layer, e.head);
  const BlockMask& first = plan.masks.at(targets.front());
  switch (e.shape) {
    case EditShape::Rectangle:
      checkRange("q-blocks", std::min(e.q0, e.q1), std::max(e.q0, e.q1), first.nq());
      checkRange("k-blocks", std::min(e.k0, e.k1), std::max(e.k0, e.k1), first.nk());
      break;
    case EditShape::Row: checkRange("q-block", e.q0, e.q0, first.nq()); break;
    case EditShape::Column: checkRange("k-block", e.k0, e.k0, first.nk()); break;
  }
  MaskSnapshot before = snapshotMasks(plan, targets);
  for (int64_t i : targets) {
    BlockMask& m = plan.masks[i];
    if (e.shape == EditShape::Rectangle)
      fillRectangle(m, e.q0, e.q1, e.k0, e.k1, e.keep);
    else if (e.shape == EditShape::Row)
      fillRow(m, e.q0, e.keep);
    else
      fillColumn(m, e.k0, e.keep);
  }
  return before;
}

MaskSnapshot copyMaskToScope(MaskPlan& plan, int64_t layer, int64_t head, EditScope scope) {
  std::vector<int64_t> targets = editTargets(plan, scope, layer, head);
  MaskSnapshot before = snapshotMasks(plan, targets);
  const BlockMask source = plan.mask(layer, head);
  for (int64_t i : targets) plan.masks[i] = source;
  return before;
}

}  // namespace attnscope
