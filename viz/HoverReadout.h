#pragma once
// HoverReadout: what the overlay says about the block under the pointer:
// which layer/head/step, the q- and k-block's frame, y and x token ranges
// (BlockLayout::blockBox), the pooled value, the q-block row's total mass
// and, with a mask plan, the part of that mass the plan keeps. Built from
// the prepared data; lines() is the text the overlay draws (and the UI may
// show in a status bar).
#include <optional>
#include <string>
#include <vector>

#include "engine/core/BlockLayout.h"
#include "viz/AtlasViewport.h"

namespace attnscope::viz {

struct PreparedAtlas;
struct PreparedMask;

struct HoverReadout {
  HeatmapHit hit;
  int step = 0;
  BlockBox qBox{}, kBox{};           // frame, y, x token ranges of the two blocks
  float rowSum = 0;                  // the q-block row's total mass (1 up to rounding)
  std::optional<float> keptRowMass;  // mass of the row the mask keeps
  std::optional<bool> kept;          // whether the mask keeps this block

  static HoverReadout make(const PreparedAtlas& atlas, const PreparedMask* mask, const HeatmapHit& hit, int step);
  std::vector<std::string> lines() const;
};

}  // namespace attnscope::viz
