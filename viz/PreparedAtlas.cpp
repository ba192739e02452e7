#include "viz/PreparedAtlas.h"

#include <algorithm>
#include <cstring>

#include "engine/core/Error.h"

namespace attnscope::viz {

std::shared_ptr<PreparedAtlas> PreparedAtlas::build(const VulkanContext& ctx, const AttentionAtlas& atlas) {
  const std::string what = "atlas" + (atlas.modelId.empty() ? std::string() : " of model '" + atlas.modelId + "'");
  if (atlas.entries.empty())
    throw Error(what + " has no captured attention maps (0 entries): nothing to draw");
  if (atlas.heads <= 0 || atlas.layers <= 0)
    throw Error(what + " has " + std::to_string(atlas.layers) + " layers and " +
                std::to_string(atlas.heads) + " heads: nothing to draw");
  atlas.layout.validate(atlas.grid);  // throws naming layout and grid

  auto p = std::make_shared<PreparedAtlas>();
  p->modelId = atlas.modelId;
  p->grid = atlas.grid;
  p->layout = atlas.layout;
  p->layers = atlas.layers;
  p->heads = atlas.heads;
  p->blocks = atlas.numBlocks();
  p->steps = atlas.capturedSteps();
  const int64_t n = p->blocks, mapSize = n * n, entries = static_cast<int64_t>(atlas.entries.size());

  p->entryOf.assign(p->steps.size() * p->layers, -1);
  for (int64_t e = 0; e < entries; ++e) {
    const AtlasEntry& entry = atlas.entries[e];
    std::string name = "entry step " + std::to_string(entry.step) + " layer " + std::to_string(entry.layer);
    if (entry.layer < 0 || entry.layer >= p->layers)
      throw Error(what + ": " + name + " is outside its " + std::to_string(p->layers) + " layers");
    if (static_cast<int64_t>(entry.pooled.size()) != p->heads * mapSize)
      throw Error(what + ": " + name + " has " + std::to_string(entry.pooled.size()) +
                  " pooled values; expected heads x blocks x blocks = " + std::to_string(p->heads) + "x" +
                  std::to_string(n) + "x" + std::to_string(n));
    size_t s = std::lower_bound(p->steps.begin(), p->steps.end(), entry.step) - p->steps.begin();
    p->entryOf[s * p->layers + entry.layer] = static_cast<int>(e);
  }

  const int64_t maps = entries * p->heads;
  const uint64_t mapBytes = sizeof(float) * uint64_t(maps) * uint64_t(mapSize);
  if (mapBytes > ctx.maxStorageBufferRange())
    throw Error(what + " needs " + std::to_string(mapBytes >> 20) + " MiB for its " + std::to_string(maps) +
                " maps; the Vulkan device reads at most " + std::to_string(ctx.maxStorageBufferRange() >> 20) +
                " MiB per buffer (capture fewer steps or use larger blocks)");
  p->maps = GpuBuffer(ctx, sizeof(float) * maps * mapSize, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
  p->mapMax.assign(maps, 0.0f);
  p->rowMax.assign(maps * n, 0.0f);
  float* out = p->maps.as<float>();
  for (int64_t e = 0; e < entries; ++e) {
    const float* src = atlas.entries[e].pooled.data();
    std::memcpy(out + e * p->heads * mapSize, src, sizeof(float) * p->heads * mapSize);
    for (int64_t h = 0; h < p->heads; ++h) {
      const int64_t m = e * p->heads + h;
      float top = 0.0f;
      for (int64_t q = 0; q < n; ++q) {
        const float* row = src + (h * n + q) * n;
        float rowTop = *std::max_element(row, row + n);
        p->rowMax[m * n + q] = rowTop;
        top = std::max(top, rowTop);
      }
      p->mapMax[m] = top;
    }
  }

  p->stats = GpuBuffer(ctx, sizeof(float) * (p->mapMax.size() + p->rowMax.size()),
                       VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
  std::memcpy(p->stats.as<float>(), p->mapMax.data(), sizeof(float) * p->mapMax.size());
  std::memcpy(p->stats.as<float>() + p->mapMax.size(), p->rowMax.data(), sizeof(float) * p->rowMax.size());

  // Max-pooled levels, each from the one below, down to a single block.
  p->pyramidOffset = {0};
  p->pyramidSide = {n};
  int64_t total = 0;
  for (int64_t side = (n + 1) / 2; n > 1; side = (side + 1) / 2) {
    p->pyramidOffset.push_back(total);
    p->pyramidSide.push_back(side);
    total += maps * side * side;
    if (side == 1) break;
  }
  p->pyramid = GpuBuffer(ctx, sizeof(float) * total, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
  // Built per map in host memory (mapped GPU memory can be slow to read back), then copied.
  std::vector<float> current, next;
  for (int64_t m = 0; m < maps; ++m) {
    const float* src = atlas.entries[m / p->heads].pooled.data() + (m % p->heads) * mapSize;
    current.assign(src, src + mapSize);
    for (int level = 1; level <= p->pyramidLevels(); ++level) {
      const int64_t side = p->pyramidSide[level], below = p->pyramidSide[level - 1];
      next.assign(side * side, 0.0f);
      for (int64_t q = 0; q < side; ++q)
        for (int64_t k = 0; k < side; ++k) {
          float top = current[(2 * q) * below + 2 * k];
          if (2 * k + 1 < below) top = std::max(top, current[(2 * q) * below + 2 * k + 1]);
          if (2 * q + 1 < below) {
            top = std::max(top, current[(2 * q + 1) * below + 2 * k]);
            if (2 * k + 1 < below) top = std::max(top, current[(2 * q + 1) * below + 2 * k + 1]);
          }
          next[q * side + k] = top;
        }
      std::memcpy(p->pyramid.as<float>() + p->pyramidOffset[level] + m * side * side, next.data(),
                  sizeof(float) * next.size());
      current.swap(next);
    }
  }

  p->boundaries = FrameBoundaries::compute(p->grid, p->layout);
  return p;
}

int PreparedAtlas::resolveStep(int step) const {
  if (step < 0) return steps.front();
  if (std::binary_search(steps.begin(), steps.end(), step)) return step;
  std::string list;
  for (int s : steps) list += (list.empty() ? "" : ", ") + std::to_string(s);
  throw Error("step " + std::to_string(step) + " was not captured in this atlas; captured steps: " + list);
}

int PreparedAtlas::entry(int step, int layer) const {
  auto it = std::lower_bound(steps.begin(), steps.end(), step);
  if (it == steps.end() || *it != step || layer < 0 || layer >= layers) return -1;
  return entryOf[(it - steps.begin()) * layers + layer];
}

}  // namespace attnscope::viz
