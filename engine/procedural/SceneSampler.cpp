// sampleScene: draws a scene from its seed with SplitMix64 only, so that a
// seed gives the same scene on every platform. Sizes scale with
// min(height, width) / 64 and paths with the clip length, so a scene looks
// alike at any size: the main shape keeps a radius of at least 8 px at 64×64,
// stays inside the frame, and translates 35–55% of the frame over the clip
// (1.5–2.3 px per frame at 16 frames).
#include <algorithm>
#include <cmath>

#include "engine/core/Error.h"
#include "engine/procedural/ProceduralVideo.h"
#include "engine/procedural/SceneSize.h"
#include "engine/procedural/ShapeGeometry.h"
#include "engine/procedural/SplitMix64.h"

namespace attnscope {
namespace procedural {
namespace {

constexpr double kPi = 3.14159265358979323846;


Motion drawMotion(SplitMix64& rng) {
  // 60% translations (the directions the evaluation measures), 10% still,
  // 7.5% each for bounce, rotate, grow and shrink.
  double u = rng.uniform();
  if (u < 0.60) return static_cast<Motion>(1 + static_cast<int>(u / 0.60 * 8));  // Left..DownRight
  if (u < 0.70) return Motion::Still;
  static const Motion rest[4] = {Motion::Bounce, Motion::Rotate, Motion::Grow, Motion::Shrink};
  return rest[std::min(3, static_cast<int>((u - 0.70) / 0.075))];
}

ShapeKind drawKind(SplitMix64& rng, Motion motion) {
  // A spinning circle or ring looks still: rotating shapes have corners.
  static const ShapeKind cornered[5] = {ShapeKind::Square, ShapeKind::Triangle, ShapeKind::Star, ShapeKind::Diamond,
                                        ShapeKind::Cross};
  if (motion == Motion::Rotate) return cornered[rng.below(5)];
  return static_cast<ShapeKind>(rng.below(7));
}

// Unit direction of a translation (image y down).
void directionOf(Motion m, double& dx, double& dy) {
  const double d = std::sqrt(0.5);
  dx = dy = 0;
  switch (m) {
    case Motion::Left: dx = -1; break;
    case Motion::Right: dx = 1; break;
    case Motion::Up: dy = -1; break;
    case Motion::Down: dy = 1; break;
    case Motion::UpLeft: dx = -d, dy = -d; break;
    case Motion::UpRight: dx = d, dy = -d; break;
    case Motion::DownLeft: dx = -d, dy = d; break;
    case Motion::DownRight: dx = d, dy = d; break;
    default: break;
  }
}

// Start coordinate on one axis so that the centre stays within
// [margin, extent-1-margin] while it travels `travel` (signed) pixels.
double placeOnAxis(SplitMix64& rng, double extent, double margin, double travel) {
  double lo = margin - std::min(0.0, travel);
  double hi = extent - 1 - margin - std::max(0.0, travel);
  if (hi < lo) return (extent - 1 - travel) / 2;  // too tight: centre the path
  return rng.uniform(lo, hi);
}

// Motion, speed and position for a shape of frame-0 radius `radius` (already
// drawn), keeping its whole outline in frame when `inFrame`.
void drawPath(SplitMix64& rng, ShapeSpec& s, const SceneSize& size, double scale, double maxRadius) {
  const double steps = static_cast<double>(size.frames - 1);
  const double w = static_cast<double>(size.width), h = static_cast<double>(size.height);
  const double margin = shapeExtent(s.kind) * maxRadius + 0.5;
  s.angle = 0;
  s.bounceHeight = 0;
  if (isTranslation(s.motion)) {
    double dx, dy;
    directionOf(s.motion, dx, dy);
    double travel = rng.uniform(0.35, 0.55) * std::min(w, h);
    // Shorten the path where the frame is too small to hold it.
    if (dx != 0) travel = std::min(travel, (w - 1 - 2 * margin) / std::fabs(dx));
    if (dy != 0) travel = std::min(travel, (h - 1 - 2 * margin) / std::fabs(dy));
    travel = std::max(travel, 0.0);
    s.speed = travel / steps;
    s.x = placeOnAxis(rng, w, margin, dx * travel);
    s.y = placeOnAxis(rng, h, margin, dy * travel);
    return;
  }
  s.x = placeOnAxis(rng, w, margin, 0);
  s.y = placeOnAxis(rng, h, margin, 0);
  switch (s.motion) {
    case Motion::Bounce: {  // two hops over the clip
      double hop = std::min(rng.uniform(0.18, 0.28) * h, std::max(0.0, h - 1 - 2 * margin));
      s.y = placeOnAxis(rng, h, margin, -hop);
      s.bounceHeight = std::max(hop, 0.5 * scale);
      s.speed = 4 * s.bounceHeight / steps;
      break;
    }
    case Motion::Rotate:
      s.speed = rng.uniform(1.8, 3.3) / steps * (rng.chance(0.5) ? 1 : -1);
      break;
    case Motion::Grow:
    case Motion::Shrink:
      // radius and speed were set with the size (see drawSizes)
      break;
    default:
      s.speed = 0;
      break;
  }
}

// Frame-0 radius, and the speed for grow / shrink, of the main shape.
void drawMainSize(SplitMix64& rng, ShapeSpec& s, double scale, double steps) {
  if (s.motion == Motion::Grow) {
    s.radius = rng.uniform(8.0, 9.5) * scale;
    s.speed = s.radius * rng.uniform(0.6, 0.9) / steps;
  } else if (s.motion == Motion::Shrink) {
    s.radius = rng.uniform(13.5, 16.0) * scale;
    s.speed = (s.radius - rng.uniform(8.0, 9.0) * scale) / steps;
  } else {
    s.radius = rng.uniform(8.5, 12.0) * scale;
  }
}

double largestRadius(const ShapeSpec& s, double steps) {
  return s.motion == Motion::Grow ? s.radius + s.speed * steps : s.radius;
}
double smallestRadius(const ShapeSpec& s, double steps) {
  return s.motion == Motion::Shrink ? s.radius - s.speed * steps : s.radius;
}

// Minimum distance between two shapes' centres over the clip.
double closestApproach(const ShapeSpec& a, const ShapeSpec& b, int64_t frames) {
  double best = 1e30;
  for (int64_t f = 0; f < frames; f += std::max<int64_t>(1, frames / 8)) {
    ShapePose pa = shapePose(a, f), pb = shapePose(b, f);
    // sqrt, not hypot: sqrt is correctly rounded everywhere, so the choice is too.
    const double dx = pa.x - pb.x, dy = pa.y - pb.y;
    best = std::min(best, std::sqrt(dx * dx + dy * dy));
  }
  return best;
}

}  // namespace

void checkSceneSize(const SceneSize& size) {
  if (size.frames < 2) throw Error("scene frames must be at least 2, got " + std::to_string(size.frames));
  if (size.height < 8) throw Error("scene height must be at least 8 pixels, got " + std::to_string(size.height));
  if (size.width < 8) throw Error("scene width must be at least 8 pixels, got " + std::to_string(size.width));
  const double bytes = 3.0 * double(size.frames) * double(size.height) * double(size.width);
  if (bytes > double(1ull << 30))
    throw Error("scene of " + std::to_string(size.frames) + "x" + std::to_string(size.height) + "x" +
                std::to_string(size.width) + " would need more than 1 GiB of frames");
}

}  // namespace procedural

SceneSpec sampleScene(uint64_t seed, const SceneSize& size) {
  using namespace procedural;
  checkSceneSize(size);
  SplitMix64 rng(seed);
  const double scale = std::min(size.height, size.width) / 64.0;
  const double steps = static_cast<double>(size.frames - 1);

  SceneSpec scene;
  scene.seed = seed;
  scene.darkBackground = rng.chance(0.5);
  // Background: a grey with a faint tint (chroma < 30), textured 60% of the time.
  double grey = scene.darkBackground ? rng.uniform(22, 62) : rng.uniform(188, 228);
  for (auto& c : scene.backgroundRgb)
    c = static_cast<uint8_t>(std::lround(std::clamp(grey + rng.uniform(-12, 12), 0.0, 255.0)));
  scene.texture = rng.chance(0.4) ? 0 : 1 + rng.below(kTextureCount - 1);
  scene.textureContrast = 14 + rng.below(13);
  scene.texturePeriod = std::max(2, static_cast<int>(std::lround(rng.uniform(6, 11) * scale)));
  scene.stripeOrientation = rng.below(3);

  const double u = rng.uniform();
  const int count = u < 0.4 ? 1 : u < 0.75 ? 2 : 3;
  int colours[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  const int paletteSize = static_cast<int>(shapePalette().size());
  for (int i = 0; i < count; ++i) std::swap(colours[i], colours[i + rng.below(paletteSize - i)]);

  ShapeSpec main;
  main.motion = drawMotion(rng);
  main.kind = drawKind(rng, main.motion);
  main.colour = colours[0];
  drawMainSize(rng, main, scale, steps);
  drawPath(rng, main, size, scale, largestRadius(main, steps));
  scene.shapes.push_back(main);

  // Other shapes: clearly smaller than the main shape at every frame (at most
  // 0.62 of its smallest radius, growth included), placed away from its path.
  const double limit = 0.62 * smallestRadius(main, steps);
  for (int i = 1; i < count; ++i) {
    ShapeSpec s;
    s.motion = drawMotion(rng);
    s.kind = drawKind(rng, s.motion);
    s.colour = colours[i];
    if (s.motion == Motion::Grow) {
      s.radius = rng.uniform(0.55, 0.65) * limit;
      s.speed = (limit - s.radius) * rng.uniform(0.6, 1.0) / steps;
    } else if (s.motion == Motion::Shrink) {
      s.radius = rng.uniform(0.85, 1.0) * limit;
      s.speed = s.radius * rng.uniform(0.25, 0.4) / steps;
    } else {
      s.radius = rng.uniform(0.6, 1.0) * limit;
    }
    ShapeSpec best = s;
    double bestGap = -1;
    for (int attempt = 0; attempt < 6; ++attempt) {
      ShapeSpec candidate = s;
      drawPath(rng, candidate, size, scale, largestRadius(candidate, steps));
      double gap = 1e30;
      for (const auto& other : scene.shapes) gap = std::min(gap, closestApproach(candidate, other, size.frames));
      if (gap > bestGap) bestGap = gap, best = candidate;
    }
    scene.shapes.push_back(best);
  }
  scene.caption = captionFor(scene);
  return scene;
}

}  // namespace attnscope
