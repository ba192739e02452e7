#pragma once
// Test data for the viewport: atlases with known values, built in the test
// (no files), and pixel helpers for rendered images.
#include <QDir>
#include <QImage>
#include <QString>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/atlas/AttentionAtlas.h"
#include "engine/mask/MaskPlan.h"
#include "viz/AtlasViewport.h"

namespace attnscope::testing {

// A deterministic pooled value spanning ~3.5 decades, different for every
// (layer, head, q, k), rows normalised to sum to 1.
inline float rawValue(int layer, int head, int64_t q, int64_t k) {
  int code = int((q * 7 + k * 3 + layer * 5 + head * 11) % 16);
  return std::pow(10.0f, -3.5f * float(code) / 15.0f);
}

// frames x height x width tokens, linear(block) layout, the given steps; every layer captured at every step.
inline AttentionAtlas syntheticAtlas(int layers, int heads, TokenGrid grid, BlockLayout layout,
                                     std::vector<int> steps = {0}) {
  AttentionAtlas atlas;
  atlas.modelId = "synthetic";
  atlas.grid = grid;
  atlas.layout = layout;
  atlas.heads = heads;
  atlas.layers = layers;
  atlas.totalSteps = 10;
  const int64_t n = atlas.numBlocks();
  for (int step : steps)
    for (int l = 0; l < layers; ++l) {
      AtlasEntry e;
      e.step = step;
      e.layer = l;
      e.pooled.resize(heads * n * n);
      for (int h = 0; h < heads; ++h)
        for (int64_t q = 0; q < n; ++q) {
          double sum = 0;
          for (int64_t k = 0; k < n; ++k) sum += rawValue(l + step, h, q, k);
          for (int64_t k = 0; k < n; ++k)
            e.pooled[(h * n + q) * n + k] = float(rawValue(l + step, h, q, k) / sum);
        }
      atlas.entries.push_back(std::move(e));
    }
  return atlas;
}

// 4 frames of 4x4 tokens, linear(4): 16 blocks, a new frame every 4 blocks.
inline AttentionAtlas smallAtlas(int layers = 3, int heads = 4, std::vector<int> steps = {0}) {
  return syntheticAtlas(layers, heads, TokenGrid{4, 4, 4, 0}, BlockLayout::linear(4), steps);
}

inline float pooled(const AttentionAtlas& a, int step, int layer, int head, int64_t q, int64_t k) {
  const int64_t n = a.numBlocks();
  return a.find(step, layer)->pooled[(head * n + q) * n + k];
}

using Rgb = std::array<int, 3>;

inline Rgb pixel(const viz::RenderedImage& img, int x, int y) {
  const uint8_t* p = img.rgba.data() + (size_t(y) * img.width + x) * 4;
  return {p[0], p[1], p[2]};
}

inline Rgb toBytes(const std::array<float, 3>& c) {
  return {int(std::lround(c[0] * 255)), int(std::lround(c[1] * 255)), int(std::lround(c[2] * 255))};
}
inline Rgb toRgb(const std::array<uint8_t, 3>& c) { return {c[0], c[1], c[2]}; }

inline int colourDistance(const Rgb& a, const Rgb& b) {
  return std::max({std::abs(a[0] - b[0]), std::abs(a[1] - b[1]), std::abs(a[2] - b[2])});
}

inline std::string describe(const Rgb& c) {
  return "(" + std::to_string(c[0]) + "," + std::to_string(c[1]) + "," + std::to_string(c[2]) + ")";
}

// Writes the image as a PNG snapshot under <build>/viz-snapshots/ (for people, not for checks).
inline void saveSnapshot(const viz::RenderedImage& img, const QString& name) {
  QDir dir(QStringLiteral(ATTNSCOPE_BINARY_DIR "/viz-snapshots"));
  dir.mkpath(".");
  QImage(img.rgba.data(), img.width, img.height, img.width * 4, QImage::Format_RGBA8888)
      .save(dir.filePath(name + ".png"));
}

}  // namespace attnscope::testing
