#include "viz/PreparedMask.h"

#include <cstring>

#include "engine/core/Error.h"

namespace attnscope::viz {

static std::string shapeText(int64_t layers, int64_t heads, int64_t blocks, const BlockLayout& layout) {
  return std::to_string(layers) + " layers x " + std::to_string(heads) + " heads of " +
         std::to_string(blocks) + "x" + std::to_string(blocks) + " blocks (" + layout.str() + ")";
}

std::shared_ptr<PreparedMask> PreparedMask::build(const VulkanContext& ctx, const MaskPlan& plan) {
  auto m = std::make_shared<PreparedMask>();
  m->layers = plan.layers;
  m->heads = plan.heads;
  m->layout = plan.layout;
  m->blocks = plan.grid.videoTokens() > 0 ? plan.layout.numBlocks(plan.grid) : 0;
  const std::string name = plan.loadedFrom.empty() ? "mask plan" : "mask plan " + plan.loadedFrom;
  if (m->layers <= 0 || m->heads <= 0 || m->blocks <= 0)
    throw Error(name + " is empty (" + shapeText(m->layers, m->heads, m->blocks, m->layout) + ")");
  if (static_cast<int64_t>(plan.masks.size()) != m->layers * m->heads)
    throw Error(name + " has " + std::to_string(plan.masks.size()) + " masks; expected " +
                std::to_string(m->layers * m->heads) + " (layers x heads)");
  const int64_t mapSize = m->blocks * m->blocks;
  m->keep.resize(m->layers * m->heads * mapSize);
  for (int64_t i = 0; i < m->layers * m->heads; ++i) {
    const BlockMask& mask = plan.masks[i];
    if (mask.nq() != m->blocks || mask.nk() != m->blocks)
      throw Error(name + ": the mask of layer " + std::to_string(i / m->heads) + " head " +
                  std::to_string(i % m->heads) + " is " + std::to_string(mask.nq()) + "x" +
                  std::to_string(mask.nk()) + " blocks; its layout gives " + std::to_string(m->blocks) + "x" +
                  std::to_string(m->blocks));
    std::memcpy(m->keep.data() + i * mapSize, mask.bytes().data(), mapSize);
  }
  m->gpu = GpuBuffer(ctx, m->keep.size(), VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
  std::memcpy(m->gpu.mapped(), m->keep.data(), m->keep.size());
  return m;
}

bool PreparedMask::refill(const MaskPlan& plan) {
  if (plan.layers != layers || plan.heads != heads || plan.layout != layout ||
      (plan.grid.videoTokens() > 0 ? plan.layout.numBlocks(plan.grid) : 0) != blocks ||
      static_cast<int64_t>(plan.masks.size()) != layers * heads)
    return false;
  const int64_t mapSize = blocks * blocks;
  for (const BlockMask& mask : plan.masks)
    if (mask.nq() != blocks || mask.nk() != blocks) return false;
  for (int64_t i = 0; i < layers * heads; ++i)
    std::memcpy(keep.data() + i * mapSize, plan.masks[i].bytes().data(), mapSize);
  std::memcpy(gpu.mapped(), keep.data(), keep.size());
  return true;
}

std::string PreparedMask::shape() const { return shapeText(layers, heads, blocks, layout); }

void PreparedMask::checkFits(const PreparedAtlas& atlas) const {
  if (layers != atlas.layers || heads != atlas.heads || blocks != atlas.blocks || layout != atlas.layout)
    throw Error("mask plan is for " + shape() + "; the atlas has " +
                shapeText(atlas.layers, atlas.heads, atlas.blocks, atlas.layout));
}

}  // namespace attnscope::viz
