#include "engine/atlas/AtlasQueries.h"

#include <algorithm>
#include <cmath>

#include "engine/core/Error.h"

namespace attnscope {

namespace {

// The entries a query reads: one step, or every captured step for step < 0.
std::vector<const AtlasEntry*> entriesFor(const AttentionAtlas& atlas, int step, int layer) {
  if (layer < 0 || layer >= atlas.layers)
    throw Error("layer " + std::to_string(layer) + " is outside the atlas' " + std::to_string(atlas.layers) +
                " layers");
  std::vector<const AtlasEntry*> out;
  for (int s : atlas.capturedSteps())
    if (step < 0 || s == step)
      if (const AtlasEntry* e = atlas.find(s, layer)) out.push_back(e);
  if (out.empty())
    throw Error("the atlas has no capture of layer " + std::to_string(layer) +
                (step < 0 ? std::string() : " at step " + std::to_string(step)));
  return out;
}

void checkHead(const AttentionAtlas& atlas, int head) {
  if (head >= atlas.heads)
    throw Error("head " + std::to_string(head) + " is outside the atlas' " + std::to_string(atlas.heads) + " heads");
}

}  // namespace

int64_t tokenAtPixel(const TokenGrid& grid, int64_t frame, double px, double py, int64_t videoFrames,
                     int64_t videoHeight, int64_t videoWidth) {
  if (videoFrames <= 0 || videoHeight <= 0 || videoWidth <= 0 || grid.videoTokens() <= 0)
    throw Error("no video or token grid to map a pixel onto");
  if (frame < 0 || frame >= videoFrames || px < 0 || py < 0 || px >= videoWidth || py >= videoHeight)
    throw Error("pixel (" + std::to_string(int64_t(px)) + ", " + std::to_string(int64_t(py)) + ") of frame " +
                std::to_string(frame) + " is outside the " + std::to_string(videoFrames) + "-frame " +
                std::to_string(videoWidth) + "x" + std::to_string(videoHeight) + " video");
  // Frames and pixels map evenly onto token frames and patches.
  int64_t f = std::min(grid.frames - 1, frame * grid.frames / videoFrames);
  int64_t y = std::min(grid.height - 1, int64_t(py * grid.height / videoHeight));
  int64_t x = std::min(grid.width - 1, int64_t(px * grid.width / videoWidth));
  return (f * grid.height + y) * grid.width + x;
}

int64_t blockOfToken(const BlockLayout& layout, const TokenGrid& grid, int64_t token) {
  if (token < 0 || token >= grid.videoTokens())
    throw Error("token " + std::to_string(token) + " is outside the grid's " + std::to_string(grid.videoTokens()) +
                " video tokens");
  if (layout.kind() == BlockLayout::Kind::Linear) return token / layout.blockSize();
  TokenCoord c = tokenCoord(grid, token);
  int64_t tilesY = grid.height / layout.tileHeight(), tilesX = grid.width / layout.tileWidth();
  return ((c.f / layout.tileFrames()) * tilesY + c.y / layout.tileHeight()) * tilesX + c.x / layout.tileWidth();
}

std::vector<float> pixelHeat(const AttentionAtlas& atlas, int step, int layer, int head, int64_t queryToken) {
  checkHead(atlas, head);
  const TokenGrid& g = atlas.grid;
  const int64_t nb = atlas.numBlocks(), n = g.videoTokens();
  const int64_t q = blockOfToken(atlas.layout, g, queryToken);
  auto entries = entriesFor(atlas, step, layer);

  // Mean pooled row over the chosen heads and steps, per key block.
  std::vector<double> row(nb, 0.0);
  int64_t h0 = head < 0 ? 0 : head, h1 = head < 0 ? atlas.heads : head + 1;
  for (const AtlasEntry* e : entries)
    for (int64_t h = h0; h < h1; ++h) {
      const float* r = e->pooled.data() + (h * nb + q) * nb;
      for (int64_t k = 0; k < nb; ++k) row[k] += r[k];
    }
  const double scale = 1.0 / double(entries.size() * (h1 - h0));

  std::vector<float> heat(n, 0.0f);
  std::vector<int64_t> order = atlas.layout.permutation(g);  // empty = linear
  for (int64_t p = 0; p < n; ++p) {
    int64_t b = p / atlas.layout.blockSize();
    int64_t token = order.empty() ? p : order[p];
    heat[token] = float(row[b] * scale / double(atlas.layout.blockTokens(g, b)));
  }
  return heat;
}

std::vector<float> crossHeat(const AttentionAtlas& atlas, int step, int layer, int head, int64_t textToken) {
  checkHead(atlas, head);
  const int64_t n = atlas.grid.videoTokens(), t = atlas.grid.text;
  if (textToken < 0 || textToken >= t)
    throw Error("text token " + std::to_string(textToken) + " is outside the atlas' " + std::to_string(t) +
                " text tokens");
  auto entries = entriesFor(atlas, step, layer);
  int64_t h0 = head < 0 ? 0 : head, h1 = head < 0 ? atlas.heads : head + 1;
  std::vector<double> sum(n, 0.0);
  for (const AtlasEntry* e : entries) {
    if (e->cross.empty())
      throw Error("the atlas holds no cross-attention for layer " + std::to_string(layer) + " at step " +
                  std::to_string(e->step));
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t i = 0; i < n; ++i) sum[i] += e->cross[(h * n + i) * t + textToken];
  }
  const double scale = 1.0 / double(entries.size() * (h1 - h0));
  std::vector<float> heat(n);
  for (int64_t i = 0; i < n; ++i) heat[i] = float(sum[i] * scale);
  return heat;
}

}  // namespace attnscope
