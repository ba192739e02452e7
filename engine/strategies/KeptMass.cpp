// keptMass: how much of the pooled attention a set of masks keeps.
#include "engine/core/Error.h"
#include "engine/strategies/Strategy.h"

namespace attnscope {

std::vector<double> keptMassPerHead(const PooledMaps& maps, const std::vector<BlockMask>& masks) {
  if (int64_t(masks.size()) != maps.layers * maps.heads)
    throw Error("kept mass: got " + std::to_string(masks.size()) + " masks for " + std::to_string(maps.layers) +
                " layers x " + std::to_string(maps.heads) + " heads");
  std::vector<double> kept(masks.size(), 0.0);
  if (maps.nq == 0) return kept;
  for (int64_t l = 0; l < maps.layers; ++l)
    for (int64_t h = 0; h < maps.heads; ++h) {
      const BlockMask& mask = masks[l * maps.heads + h];
      if (mask.nq() != maps.nq || mask.nk() != maps.nk)
        throw Error("kept mass: mask of layer " + std::to_string(l) + ", head " + std::to_string(h) + " is " +
                    std::to_string(mask.nq()) + "x" + std::to_string(mask.nk()) + " blocks, the maps are " +
                    std::to_string(maps.nq) + "x" + std::to_string(maps.nk));
      const float* map = maps.map(l, h);
      double total = 0;
      for (int64_t q = 0; q < maps.nq; ++q)
        for (int64_t k = 0; k < maps.nk; ++k)
          if (mask.get(q, k)) total += map[q * maps.nk + k];
      kept[l * maps.heads + h] = total / double(maps.nq);
    }
  return kept;
}

double keptMass(const PooledMaps& maps, const std::vector<BlockMask>& masks) {
  std::vector<double> perHead = keptMassPerHead(maps, masks);
  if (perHead.empty()) return 0.0;
  double sum = 0;
  for (double v : perHead) sum += v;
  return sum / double(perHead.size());
}

namespace {

void checkPlanFitsAtlas(const AttentionAtlas& atlas, const MaskPlan& plan) {
  if (plan.layout != atlas.layout)
    throw Error("kept mass: the plan uses layout " + plan.layout.str() + ", the atlas " + atlas.layout.str());
  plan.checkCompatible(atlas.modelId, atlas.grid, atlas.layers, atlas.heads);
}

}  // namespace

double keptMass(const AttentionAtlas& atlas, const MaskPlan& plan, int step) {
  checkPlanFitsAtlas(atlas, plan);
  return keptMass(PooledMaps::fromAtlas(atlas, step), plan.masks);
}

std::vector<double> keptMassPerHead(const AttentionAtlas& atlas, const MaskPlan& plan, int step) {
  checkPlanFitsAtlas(atlas, plan);
  return keptMassPerHead(PooledMaps::fromAtlas(atlas, step), plan.masks);
}

}  // namespace attnscope
