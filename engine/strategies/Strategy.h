#pragma once
// Strategies: pure functions (pooled attention maps, parameters) -> masks.
// Each lives in its own file and registers itself with one line in
// StrategyRegistry.cpp. A strategy names one "density knob" parameter that
// derivePlan bisects to reach a target density.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/atlas/AttentionAtlas.h"
#include "engine/mask/MaskPlan.h"

namespace attnscope {

// The maps a strategy reads: per (layer, head) pooled [nq, nk] and sink [N],
// taken from one captured step or averaged over all captured steps.
struct PooledMaps {
  TokenGrid grid;
  BlockLayout layout = BlockLayout::linear(64);
  int64_t layers = 0, heads = 0, nq = 0, nk = 0;
  std::vector<float> pooled;  // [layers, heads, nq, nk]
  std::vector<float> sink;    // [layers, heads, N]

  const float* map(int64_t layer, int64_t head) const { return pooled.data() + (layer * heads + head) * nq * nk; }
  const float* sinkOf(int64_t layer, int64_t head) const {
    return sink.data() + (layer * heads + head) * grid.videoTokens();
  }
  // step < 0: mean over captured steps. Throws Error if the atlas misses a layer.
  static PooledMaps fromAtlas(const AttentionAtlas& atlas, int step = -1);
};

using StrategyParams = std::map<std::string, double>;

struct StrategyParam {
  std::string name;
  double defaultValue;
  double minValue, maxValue;
  bool integer;
  std::string help;
};

struct Strategy {
  std::string name;
  std::string summary;
  std::vector<StrategyParam> params;
  std::string densityKnob;  // the param --target-density moves
  // Masks for every (layer, head), index layer * heads + head.
  std::function<std::vector<BlockMask>(const PooledMaps&, const StrategyParams&)> build;
};

const std::vector<Strategy>& allStrategies();
const Strategy& findStrategy(const std::string& name);  // throws Error listing known names

struct DeriveRequest {
  std::string strategy;
  StrategyParams params;                // missing ones take defaults
  std::optional<double> targetDensity;  // bisect the knob to reach it
  int step = -1;                        // captured step to use; -1 = mean
  int denseWarmupSteps = 0;
  std::string source;                   // recorded in provenance
};

struct DeriveResult {
  MaskPlan plan;
  StrategyParams params;  // as used (knob after bisection)
  double density = 0;
  double keptMass = 0;
};

DeriveResult derivePlan(const AttentionAtlas& atlas, const DeriveRequest& request);

// Mean over (layer, head, q-block) of the pooled mass the masks keep.
double keptMass(const PooledMaps& maps, const std::vector<BlockMask>& masks);
double keptMass(const AttentionAtlas& atlas, const MaskPlan& plan, int step = -1);
// The same per (layer, head), index layer * heads + head: mean over q-blocks.
// The atlas overloads refuse a plan for another model, grid, layout or size.
std::vector<double> keptMassPerHead(const PooledMaps& maps, const std::vector<BlockMask>& masks);
std::vector<double> keptMassPerHead(const AttentionAtlas& atlas, const MaskPlan& plan, int step = -1);

}  // namespace attnscope
