// renderScene / shapeCentres: the background is drawn once and copied into
// every frame; each shape is then blended over its bounding box with
// anti-aliased coverage from its signed distance (coverage = 0.5 - d, d in
// pixels, clamped), other shapes first and the main shape last (on top).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/core/Error.h"
#include "engine/procedural/ProceduralVideo.h"
#include "engine/procedural/SceneSize.h"
#include "engine/procedural/ShapeGeometry.h"
#include "engine/procedural/SplitMix64.h"

namespace attnscope {
namespace procedural {
namespace {

std::string shapeField(size_t i, const char* field) {
  return "scene shape " + std::to_string(i) + " " + field;
}

void checkScene(const SceneSpec& scene, const SceneSize& size) {
  checkSceneSize(size);
  if (scene.shapes.empty()) throw Error("scene " + std::to_string(scene.seed) + " has no shapes");
  textureName(scene.texture);  // throws on a bad index
  if (scene.texturePeriod < 1)
    throw Error("scene texturePeriod must be at least 1 pixel, got " + std::to_string(scene.texturePeriod));
  const int paletteSize = static_cast<int>(shapePalette().size());
  const double last = static_cast<double>(size.frames - 1);
  for (size_t i = 0; i < scene.shapes.size(); ++i) {
    const ShapeSpec& s = scene.shapes[i];
    if (static_cast<int>(s.kind) < 0 || static_cast<int>(s.kind) > static_cast<int>(ShapeKind::Cross))
      throw Error(shapeField(i, "kind") + " " + std::to_string(static_cast<int>(s.kind)) + " is unknown");
    if (static_cast<int>(s.motion) < 0 || static_cast<int>(s.motion) > static_cast<int>(Motion::Shrink))
      throw Error(shapeField(i, "motion") + " " + std::to_string(static_cast<int>(s.motion)) + " is unknown");
    if (s.colour < 0 || s.colour >= paletteSize)
      throw Error(shapeField(i, "colour") + " " + std::to_string(s.colour) + " is not a palette index (0.." +
                  std::to_string(paletteSize - 1) + ")");
    for (double v : {s.x, s.y, s.radius, s.speed, s.angle, s.bounceHeight})
      if (!std::isfinite(v)) throw Error(shapeField(i, "has a value that is not finite"));
    if (s.radius <= 0) throw Error(shapeField(i, "radius") + " must be positive, got " + std::to_string(s.radius));
    if (s.speed < 0 && s.motion != Motion::Rotate)
      throw Error(shapeField(i, "speed") + " must not be negative for motion " + motionName(s.motion) + ", got " +
                  std::to_string(s.speed));
    if (s.motion == Motion::Shrink && s.radius - s.speed * last <= 0)
      throw Error(shapeField(i, "shrinks to nothing: radius ") + std::to_string(s.radius) + " - speed " +
                  std::to_string(s.speed) + " x " + std::to_string(size.frames - 1) + " frames");
    if (s.bounceHeight < 0)
      throw Error(shapeField(i, "bounceHeight") + " must not be negative, got " + std::to_string(s.bounceHeight));
  }
}

// The static background: base colour, plus the texture's lighter (dark
// backgrounds) or darker (light backgrounds) marks.
std::vector<uint8_t> drawBackground(const SceneSpec& scene, const SceneSize& size) {
  const int64_t h = size.height, w = size.width;
  std::vector<uint8_t> rgb(size_t(h * w * 3));
  const int sign = scene.darkBackground ? 1 : -1;
  const int period = scene.texturePeriod;
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      double mark = 0;  // 0..1: how much of the contrast this pixel gets
      switch (scene.texture) {
        case 1: {  // striped
          int64_t along = scene.stripeOrientation == 0 ? y : scene.stripeOrientation == 1 ? x : x + y;
          mark = (along / std::max(1, period / 2)) % 2;
          break;
        }
        case 2:  // checkered
          mark = ((x / period) + (y / period)) % 2;
          break;
        case 3: {  // dotted: a dot of radius period/5 at the middle of every cell
          double cx = (x % period) - (period - 1) / 2.0, cy = (y % period) - (period - 1) / 2.0;
          double r = std::max(0.8, period / 5.0);
          mark = std::clamp(r + 0.5 - std::sqrt(cx * cx + cy * cy), 0.0, 1.0);
          break;
        }
        case 4:  // noisy: fixed per-pixel noise
          mark = static_cast<double>(mixHash(scene.seed, uint64_t(y * w + x)) >> 11) * 0x1.0p-53;
          break;
        default:
          break;
      }
      uint8_t* px = rgb.data() + (y * w + x) * 3;
      for (int c = 0; c < 3; ++c)
        px[c] = static_cast<uint8_t>(
            std::clamp<long>(std::lround(scene.backgroundRgb[c] + sign * scene.textureContrast * mark), 0, 255));
    }
  return rgb;
}

void drawShape(uint8_t* frame, const SceneSize& size, const ShapeSpec& s, const ShapePose& pose) {
  const double reach = shapeExtent(s.kind) * pose.radius + 1.0;
  const int64_t x0 = std::max<int64_t>(0, static_cast<int64_t>(std::floor(pose.x - reach)));
  const int64_t x1 = std::min<int64_t>(size.width - 1, static_cast<int64_t>(std::ceil(pose.x + reach)));
  const int64_t y0 = std::max<int64_t>(0, static_cast<int64_t>(std::floor(pose.y - reach)));
  const int64_t y1 = std::min<int64_t>(size.height - 1, static_cast<int64_t>(std::ceil(pose.y + reach)));
  if (x0 > x1 || y0 > y1) return;
  const NamedColour& colour = shapePalette()[s.colour];
  const float rgb[3] = {float(colour.r), float(colour.g), float(colour.b)};
  const float inv = float(1.0 / pose.radius), r = float(pose.radius);
  // Pixel -> shape frame: rotate by -angle (clockwise angle on screen), scale by 1/r.
  const float c = float(std::cos(pose.angle)), sn = float(std::sin(pose.angle));
  for (int64_t y = y0; y <= y1; ++y) {
    const float dy = float(y - pose.y);
    uint8_t* row = frame + (y * size.width) * 3;
    for (int64_t x = x0; x <= x1; ++x) {
      const float dx = float(x - pose.x);
      const float u = (dx * c + dy * sn) * inv, v = (-dx * sn + dy * c) * inv;
      const float coverage = std::clamp(0.5f - shapeDistance(s.kind, u, v) * r, 0.0f, 1.0f);
      if (coverage <= 0) continue;
      uint8_t* px = row + x * 3;
      for (int k = 0; k < 3; ++k) px[k] = static_cast<uint8_t>(px[k] + (rgb[k] - px[k]) * coverage + 0.5f);
    }
  }
}

}  // namespace
}  // namespace procedural

VideoFrames renderScene(const SceneSpec& scene, const SceneSize& size) {
  using namespace procedural;
  checkScene(scene, size);
  VideoFrames video;
  video.frames = size.frames;
  video.height = size.height;
  video.width = size.width;
  video.fps = 8.0;
  video.rgb.resize(size_t(size.frames * size.height * size.width * 3));
  const std::vector<uint8_t> background = drawBackground(scene, size);
  for (int64_t f = 0; f < size.frames; ++f) {
    uint8_t* frame = video.frame(f);
    std::memcpy(frame, background.data(), background.size());
    for (size_t i = scene.shapes.size(); i-- > 0;) drawShape(frame, size, scene.shapes[i], shapePose(scene.shapes[i], f));
  }
  return video;
}

std::vector<std::vector<std::array<double, 2>>> shapeCentres(const SceneSpec& scene, const SceneSize& size) {
  using namespace procedural;
  checkScene(scene, size);
  std::vector<std::vector<std::array<double, 2>>> centres(size_t(size.frames));
  for (int64_t f = 0; f < size.frames; ++f)
    for (const auto& s : scene.shapes) {
      ShapePose p = shapePose(s, f);
      centres[f].push_back({p.x, p.y});
    }
  return centres;
}

}  // namespace attnscope
