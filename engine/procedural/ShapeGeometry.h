#pragma once
// The outline of each shape kind in "radius units" (a shape of radius r is
// this outline scaled by r), as a signed distance: negative inside, zero on
// the edge. Every outline is centred on its centroid (so the centroid of a
// shape's pixels is its centre) and has an area of about 2.7–3.1 r², so that
// shapes of one radius cover similar pixel counts whatever their kind.
// Orientation at angle 0: square and cross axis-aligned, diamond, triangle
// and star pointing up (image y grows downwards).
#include "engine/procedural/ProceduralVideo.h"

namespace attnscope::procedural {

// Largest distance of the outline from the centre, in radius units.
double shapeExtent(ShapeKind kind);

// Signed distance from (u, v) to the outline, in radius units; (u, v) is in
// the shape's own frame (unrotated, radius 1). Far outside the outline the
// value is only guaranteed to be positive (not exact).
float shapeDistance(ShapeKind kind, float u, float v);

// Position, size and orientation of one shape in frame `frame`.
struct ShapePose {
  double x = 0, y = 0;  // centre, pixels (pixel (i, j) is sampled at (i, j))
  double radius = 1;
  double angle = 0;     // radians, clockwise on screen
};
ShapePose shapePose(const ShapeSpec& shape, int64_t frame);

}  // namespace attnscope::procedural
