#include "engine/procedural/ShapeGeometry.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace attnscope::procedural {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Ring: outer radius 1.08, inner 0.48 (area ≈ 2.94 r²).
constexpr double kRingMid = 0.78, kRingHalfWidth = 0.30;

struct Point {
  double x, y;
};

// Outlines of the polygonal kinds, in radius units, y down.
std::vector<Point> polygonOf(ShapeKind kind) {
  std::vector<Point> p;
  auto around = [&](int n, double startDeg, auto radiusOf) {
    for (int i = 0; i < n; ++i) {
      double a = (startDeg + 360.0 * i / n) * kPi / 180.0;
      double r = radiusOf(i);
      p.push_back({r * std::cos(a), r * std::sin(a)});
    }
  };
  switch (kind) {
    case ShapeKind::Square:  // half side 0.86: area 2.96
      return {{-0.86, -0.86}, {0.86, -0.86}, {0.86, 0.86}, {-0.86, 0.86}};
    case ShapeKind::Diamond:  // a rhombus taller than wide, so it is no rotated square: area 2.84
      return {{0, -1.35}, {1.05, 0}, {0, 1.35}, {-1.05, 0}};
    case ShapeKind::Triangle:  // equilateral, circumradius 1.45, tip up: area 2.73
      around(3, -90, [](int) { return 1.45; });
      break;
    case ShapeKind::Star:  // regular pentagram, tips at 1.6, inner corners at 0.611: area 2.87
      around(10, -90, [](int i) { return i % 2 == 0 ? 1.6 : 0.611; });
      break;
    case ShapeKind::Cross: {  // plus sign, arms 1.2 long and 0.38 half-wide: area 3.07
      const double l = 1.2, w = 0.38;
      return {{-w, -l}, {w, -l}, {w, -w}, {l, -w}, {l, w},   {w, w},
              {w, l},   {-w, l}, {-w, w}, {-l, w}, {-l, -w}, {-w, -w}};
    }
    default:
      break;
  }
  return p;
}

// Exact signed distance to a closed polygon (even-odd inside test).
double polygonDistance(const std::vector<Point>& poly, double x, double y) {
  double best = 1e30;
  bool inside = false;
  for (size_t i = 0, j = poly.size() - 1; i < poly.size(); j = i++) {
    const Point& a = poly[j];
    const Point& b = poly[i];
    double ex = b.x - a.x, ey = b.y - a.y, wx = x - a.x, wy = y - a.y;
    double t = std::clamp((wx * ex + wy * ey) / (ex * ex + ey * ey), 0.0, 1.0);
    double dx = wx - ex * t, dy = wy - ey * t;
    best = std::min(best, dx * dx + dy * dy);
    if ((a.y > y) != (b.y > y) && x < a.x + (y - a.y) * ex / ey) inside = !inside;
  }
  double d = std::sqrt(best);
  return inside ? -d : d;
}

// Polygon distances are sampled once into a table over [-2, 2]² and read
// bilinearly: a few nanoseconds per pixel whatever the number of corners.
constexpr int kTable = 256;
constexpr double kHalfSpan = 2.0;

struct DistanceTable {
  std::vector<float> values;  // [kTable][kTable], row = v
};

DistanceTable buildTable(ShapeKind kind) {
  DistanceTable t;
  t.values.resize(size_t(kTable) * kTable);
  auto poly = polygonOf(kind);
  for (int j = 0; j < kTable; ++j)
    for (int i = 0; i < kTable; ++i) {
      double u = -kHalfSpan + 2 * kHalfSpan * i / (kTable - 1);
      double v = -kHalfSpan + 2 * kHalfSpan * j / (kTable - 1);
      t.values[size_t(j) * kTable + i] = static_cast<float>(polygonDistance(poly, u, v));
    }
  return t;
}

const DistanceTable& tableFor(ShapeKind kind) {
  // Built on first use; function-local statics are thread-safe.
  static const DistanceTable square = buildTable(ShapeKind::Square);
  static const DistanceTable diamond = buildTable(ShapeKind::Diamond);
  static const DistanceTable triangle = buildTable(ShapeKind::Triangle);
  static const DistanceTable star = buildTable(ShapeKind::Star);
  static const DistanceTable cross = buildTable(ShapeKind::Cross);
  switch (kind) {
    case ShapeKind::Square: return square;
    case ShapeKind::Diamond: return diamond;
    case ShapeKind::Triangle: return triangle;
    case ShapeKind::Star: return star;
    default: return cross;
  }
}

}  // namespace

double shapeExtent(ShapeKind kind) {
  switch (kind) {
    case ShapeKind::Circle: return 1.0;
    case ShapeKind::Ring: return kRingMid + kRingHalfWidth;
    case ShapeKind::Square: return 0.86 * std::sqrt(2.0);
    case ShapeKind::Diamond: return 1.35;
    case ShapeKind::Triangle: return 1.45;
    case ShapeKind::Star: return 1.6;
    case ShapeKind::Cross: return std::sqrt(1.2 * 1.2 + 0.38 * 0.38);
  }
  return 1.6;
}

float shapeDistance(ShapeKind kind, float u, float v) {
  if (kind == ShapeKind::Circle) return std::sqrt(u * u + v * v) - 1.0f;
  if (kind == ShapeKind::Ring)
    return std::fabs(std::sqrt(u * u + v * v) - float(kRingMid)) - float(kRingHalfWidth);
  const float scale = float((kTable - 1) / (2 * kHalfSpan));
  float gx = (u + float(kHalfSpan)) * scale, gy = (v + float(kHalfSpan)) * scale;
  if (!(gx >= 0 && gy >= 0 && gx < kTable - 1 && gy < kTable - 1)) return 1.0f;  // beyond every outline
  int ix = int(gx), iy = int(gy);
  float fx = gx - ix, fy = gy - iy;
  const float* row = tableFor(kind).values.data() + size_t(iy) * kTable + ix;
  float top = row[0] + (row[1] - row[0]) * fx;
  float bottom = row[kTable] + (row[kTable + 1] - row[kTable]) * fx;
  return top + (bottom - top) * fy;
}

ShapePose shapePose(const ShapeSpec& s, int64_t frame) {
  ShapePose p{s.x, s.y, s.radius, s.angle};
  const double t = static_cast<double>(frame);
  const double diagonal = std::sqrt(0.5);
  double dx = 0, dy = 0;
  switch (s.motion) {
    case Motion::Left: dx = -1; break;
    case Motion::Right: dx = 1; break;
    case Motion::Up: dy = -1; break;
    case Motion::Down: dy = 1; break;
    case Motion::UpLeft: dx = -diagonal, dy = -diagonal; break;
    case Motion::UpRight: dx = diagonal, dy = -diagonal; break;
    case Motion::DownLeft: dx = -diagonal, dy = diagonal; break;
    case Motion::DownRight: dx = diagonal, dy = diagonal; break;
    case Motion::Bounce:
      if (s.bounceHeight > 0) {
        // Up at `speed` to bounceHeight, back down to the start, again.
        double phase = std::fmod(s.speed * t / s.bounceHeight, 2.0);
        p.y = s.y - s.bounceHeight * (phase <= 1 ? phase : 2 - phase);
      }
      break;
    case Motion::Rotate: p.angle = s.angle + s.speed * t; break;
    case Motion::Grow: p.radius = s.radius + s.speed * t; break;
    case Motion::Shrink: p.radius = s.radius - s.speed * t; break;
    case Motion::Still: break;
  }
  p.x += dx * s.speed * t;
  p.y += dy * s.speed * t;
  return p;
}

}  // namespace attnscope::procedural
