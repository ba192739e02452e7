#pragma once
// MaskPlan: the user's artefact. A BlockMask per (layer, head), the layout and
// TokenGrid and model they were made for, the dense warm-up steps before the
// masks apply, and how the plan was made.
//
// File format (JSON, "format": "attnscope.maskplan", "version": 1): masks are
// stored per (layer, head) as base64 of the bit-packed [nq, nk] matrix
// (row-major, most significant bit first; one continuous bit stream of
// nq*nk bits, zero-padded to whole bytes). Loading checks format, version,
// every field and every mask's length; a plan made for another model, grid or
// layout is refused by checkCompatible with a message naming both.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/BlockLayout.h"
#include "engine/core/TokenGrid.h"
#include "engine/mask/BlockMask.h"

namespace attnscope {

struct PlanProvenance {
  std::string method = "painted";  // "painted" or "strategy"
  std::string strategy;            // strategy name when method == "strategy"
  std::string paramsJson = "{}";   // the strategy's parameters as a JSON object
  std::string source;              // e.g. the atlas file it was derived from
  std::string created;             // ISO-8601 UTC
};

struct MaskPlan {
  std::string modelId;
  TokenGrid grid;
  BlockLayout layout = BlockLayout::linear(64);
  int64_t layers = 0;
  int64_t heads = 0;
  int denseWarmupSteps = 0;  // steps [0, denseWarmupSteps) run dense
  PlanProvenance provenance;
  std::vector<BlockMask> masks;  // layers * heads, index layer * heads + head
  std::string loadedFrom;        // file load() read it from (names it in errors); empty if built

  // All-keep masks sized for the grid and layout.
  static MaskPlan full(const std::string& modelId, const TokenGrid& grid, const BlockLayout& layout,
                       int64_t layers, int64_t heads);

  BlockMask& mask(int64_t layer, int64_t head) { return masks[layer * heads + head]; }
  const BlockMask& mask(int64_t layer, int64_t head) const { return masks[layer * heads + head]; }
  bool appliesAt(int step) const { return step >= denseWarmupSteps; }
  double density() const;                  // mean over all (layer, head)
  double layerDensity(int64_t layer) const;

  void save(const std::string& path) const;
  static MaskPlan load(const std::string& path);
  // Throws Error if this plan was made for another model, grid (video part) or
  // layer/head count.
  void checkCompatible(const std::string& modelId, const TokenGrid& grid, int64_t layers,
                       int64_t heads) const;
};

}  // namespace attnscope
