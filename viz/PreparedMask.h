#pragma once
// PreparedMask: a MaskPlan's keep/drop bytes [layer, head, q, k] in a storage
// buffer the heatmap shader reads (it dims and hatches dropped blocks), with
// a CPU copy for the hover read-out's kept row mass.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/mask/MaskPlan.h"
#include "viz/PreparedAtlas.h"
#include "viz/VulkanContext.h"

namespace attnscope::viz {

struct PreparedMask {
  int64_t layers = 0, heads = 0, blocks = 0;
  BlockLayout layout = BlockLayout::linear(64);
  std::vector<uint8_t> keep;
  GpuBuffer gpu;

  // Throws attnscope::Error when a mask's size disagrees with the plan's own layout.
  static std::shared_ptr<PreparedMask> build(const VulkanContext& ctx, const MaskPlan& plan);
  // Copies the plan's masks into this buffer when it has exactly this shape
  // (layers, heads, layout, every mask's size); false, untouched, otherwise.
  // Only between frames (frames are synchronous).
  bool refill(const MaskPlan& plan);
  // Throws attnscope::Error naming both shapes when the plan does not fit the atlas.
  void checkFits(const PreparedAtlas& atlas) const;
  bool kept(int64_t layer, int64_t head, int64_t q, int64_t k) const {
    return keep[((layer * heads + head) * blocks + q) * blocks + k] != 0;
  }
  std::string shape() const;
};

}  // namespace attnscope::viz
