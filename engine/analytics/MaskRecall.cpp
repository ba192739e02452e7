#include "engine/analytics/MaskRecall.h"

#include "engine/strategies/Strategy.h"

namespace attnscope {

RecallReport maskRecall(const AttentionAtlas& atlas, const MaskPlan& plan, int step) {
  RecallReport r;
  r.planStrategy = plan.provenance.method == "strategy" ? plan.provenance.strategy : plan.provenance.method;
  r.step = step;
  std::vector<double> kept = keptMassPerHead(atlas, plan, step);  // checks the plan fits
  for (int64_t l = 0; l < plan.layers; ++l)
    for (int64_t h = 0; h < plan.heads; ++h) {
      const double k = kept[l * plan.heads + h];
      r.heads.push_back({int(l), int(h), plan.mask(l, h).density(), k});
      r.keptMass += k / double(kept.size());
    }
  r.density = plan.density();
  r.steps = atlas.capturedSteps();
  for (int s : r.steps) r.stepKeptMass.push_back(keptMass(atlas, plan, s));
  return r;
}

}  // namespace attnscope
