#pragma once
// PreparedAtlas: an atlas laid out for the heatmap shader. Every captured
// (step, layer, head) pooled map goes into one float storage buffer
// [entry, head, q, k]; per-map and per-row maxima (for the scalings) into a
// second; frame boundaries into a third. Building it copies and scans the
// whole atlas, so it is the part of setAtlas meant for a worker thread; it
// touches no state of the viewport and only creates Vulkan buffers
// (thread-safe on a device). Values stay readable on the CPU through the
// mapped memory (hover read-out, hitTest).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/atlas/AttentionAtlas.h"
#include "viz/FrameBoundaries.h"
#include "viz/VulkanContext.h"

namespace attnscope::viz {

struct PreparedAtlas {
  std::string modelId;
  TokenGrid grid;
  BlockLayout layout = BlockLayout::linear(64);
  int64_t layers = 0, heads = 0, blocks = 0;  // maps are blocks x blocks (nq = nk)
  std::vector<int> steps;                     // captured steps, ascending
  std::vector<int> entryOf;                   // [stepIndex * layers + layer]: entry index or -1
  std::vector<float> mapMax;                  // [entry * heads + head]
  std::vector<float> rowMax;                  // [(entry * heads + head) * blocks + q]
  FrameBoundaries boundaries;
  // Max-pooled levels: level l (1..) has side ceil(blocks / 2^l); every map's
  // level l lies at pyramidOffset[l] + map * side^2 (floats) in `pyramid`.
  std::vector<int64_t> pyramidOffset, pyramidSide;  // index 0 unused (level 0 is `maps`)
  GpuBuffer maps, stats, pyramid;

  // Throws attnscope::Error naming the fault: no entries, no heads/layers/blocks,
  // a layout that does not fit the grid, an entry of the wrong size or out of range.
  static std::shared_ptr<PreparedAtlas> build(const VulkanContext& ctx, const AttentionAtlas& atlas);

  // -1 -> the first captured step; a step that was not captured throws Error listing the captured ones.
  int resolveStep(int step) const;
  int entry(int step, int layer) const;  // -1 when (step, layer) was not captured
  float value(int entry, int64_t head, int64_t q, int64_t k) const {
    return maps.as<const float>()[((entry * heads + head) * blocks + q) * blocks + k];
  }
  int64_t mapCount() const { return static_cast<int64_t>(mapMax.size()); }
  int pyramidLevels() const { return static_cast<int>(pyramidSide.size()) - 1; }  // 0: none
  float pooledValue(int level, int entry, int64_t head, int64_t q, int64_t k) const {
    if (level == 0) return value(entry, head, q, k);
    const int64_t side = pyramidSide[level];
    return pyramid.as<const float>()[pyramidOffset[level] + (entry * heads + head) * side * side +
                                     (q >> level) * side + (k >> level)];
  }
};

}  // namespace attnscope::viz
