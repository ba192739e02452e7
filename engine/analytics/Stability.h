#pragma once
// Stability of attention across denoising steps (and across two atlases of
// different prompts): for every pair of captured steps (a, b),
//   correlation  Pearson correlation of the pooled maps, computed per
//                (layer, head) and averaged (1 = same pattern);
//   jaccard      |A & B| / |A | B| over all bits of the masks that one
//                strategy derives at the same target density from step a's
//                maps and from step b's (1 = the same blocks).
// A row whose values stay near 1 from some step on says a mask derived there
// can be reused for the later steps.
#include <string>
#include <vector>

#include "engine/atlas/AttentionAtlas.h"
#include "engine/strategies/Strategy.h"

namespace attnscope {

struct StabilityOptions {
  std::string strategy = "threshold";
  StrategyParams params;  // the strategy's other parameters
  double density = 0.2;   // target density of the masks compared
};

struct StabilityReport {
  StabilityOptions options;
  std::string rowModel, colModel;  // model ids of the two atlases
  std::vector<int> rowSteps, colSteps;
  std::vector<double> rowDensity, colDensity;  // density each step's mask reached
  std::vector<double> correlation;             // [rows, cols]
  std::vector<double> jaccard;                 // [rows, cols]
  // compareSteps only: per row step, the mean Jaccard of its mask with the
  // masks of every later captured step (NaN for the last): how well a mask
  // derived there would serve for the rest of the run.
  std::vector<double> laterJaccard;
  double at(const std::vector<double>& m, size_t row, size_t col) const { return m[row * colSteps.size() + col]; }
};

// Steps of `atlas` against themselves.
StabilityReport compareSteps(const AttentionAtlas& atlas, const StabilityOptions& options = {});
// Steps of `rows` against steps of `cols`; throws Error naming the field when
// their grids, layouts, layers or heads differ.
StabilityReport compareAtlases(const AttentionAtlas& rows, const AttentionAtlas& cols,
                               const StabilityOptions& options = {});

// The two measures on their own (exposed for tests and the GUI).
double pearson(const float* a, const float* b, int64_t n);
double jaccard(const std::vector<BlockMask>& a, const std::vector<BlockMask>& b);

}  // namespace attnscope
