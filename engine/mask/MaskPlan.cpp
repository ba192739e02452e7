#include "engine/mask/MaskPlan.h"

#include "engine/core/Error.h"

namespace attnscope {

namespace {

std::string describe(const std::string& modelId, const TokenGrid& grid, int64_t layers, int64_t heads) {
  return "model '" + modelId + "' with grid " + grid.str() + " (" + std::to_string(layers) + " layers x " +
         std::to_string(heads) + " heads)";
}

}  // namespace

MaskPlan MaskPlan::full(const std::string& modelId, const TokenGrid& grid, const BlockLayout& layout,
                        int64_t layers, int64_t heads) {
  layout.validate(grid);
  if (layers < 0 || heads < 0)
    throw Error("a mask plan needs a non-negative layer and head count, got " + std::to_string(layers) +
                " layers x " + std::to_string(heads) + " heads");
  MaskPlan plan;
  plan.modelId = modelId;
  plan.grid = grid;
  plan.layout = layout;
  plan.layers = layers;
  plan.heads = heads;
  int64_t n = layout.numBlocks(grid);
  plan.masks.assign(layers * heads, BlockMask(n, n, true));
  return plan;
}

double MaskPlan::density() const {
  if (masks.empty()) return 0.0;
  double sum = 0;
  for (const BlockMask& m : masks) sum += m.density();
  return sum / double(masks.size());
}

double MaskPlan::layerDensity(int64_t layer) const {
  if (layer < 0 || layer >= layers)
    throw Error("layer " + std::to_string(layer) + " is outside the plan's " + std::to_string(layers) + " layers");
  if (heads == 0) return 0.0;
  double sum = 0;
  for (int64_t h = 0; h < heads; ++h) sum += mask(layer, h).density();
  return sum / double(heads);
}

void MaskPlan::checkCompatible(const std::string& runModelId, const TokenGrid& runGrid, int64_t runLayers,
                               int64_t runHeads) const {
  // The text count does not shape self-attention masks, so only the video part must match.
  bool sameGrid = grid.frames == runGrid.frames && grid.height == runGrid.height && grid.width == runGrid.width;
  if (modelId == runModelId && sameGrid && layers == runLayers && heads == runHeads) return;
  std::string name = loadedFrom.empty() ? std::string("the mask plan") : loadedFrom;
  throw Error(name + " was made for " + describe(modelId, grid, layers, heads) + "; this run is " +
              describe(runModelId, runGrid, runLayers, runHeads));
}

}  // namespace attnscope
