#pragma once
// Mask recall: for a plan and an atlas, the attention mass the plan keeps
// per (layer, head), next to that mask's density, from the pooled maps (mean
// over q-blocks of the pooled mass inside the mask). Also the mean kept mass
// at every captured step, which shows whether a plan made from one step
// holds at the others.
#include <string>
#include <vector>

#include "engine/atlas/AttentionAtlas.h"
#include "engine/mask/MaskPlan.h"

namespace attnscope {

struct HeadRecall {
  int layer = 0, head = 0;
  double density = 0, keptMass = 0;
};

struct RecallReport {
  std::string planStrategy;  // provenance: strategy name, or "painted"
  int step = -1;             // the maps used; -1 = mean over captured steps
  double density = 0, keptMass = 0;
  std::vector<HeadRecall> heads;   // layer-major
  std::vector<int> steps;          // captured steps
  std::vector<double> stepKeptMass;  // mean kept mass at each of them
};

// Throws Error when the plan was made for another model, grid, layout or size.
RecallReport maskRecall(const AttentionAtlas& atlas, const MaskPlan& plan, int step = -1);

}  // namespace attnscope
