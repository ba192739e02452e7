#pragma once
// A continuous reading of motion for blurry clips: where the direction
// detector needs a shape it can segment, a one-step estimate at high noise
// is a faint smear. Per frame, each pixel's presence of a colour is
//   w = clamp((pixel - m) . (colour - m) / |colour - m|^2, 0, 1)
// with m the frame's per-channel median (the background), and the frame's
// point is the w-weighted centroid. The drift is the least-squares slope of
// those points projected on a unit direction, times (frames - 1): how many
// pixels the colour's mass moves that way over the clip.
#include <array>

#include "engine/evaluation/TrackMetrics.h"
#include "engine/io/Video.h"
#include "engine/procedural/ProceduralVideo.h"

namespace attnscope {

// One (x, y) per frame; NaN where the frame holds none of the colour.
Track colourPresenceCentroids(const VideoFrames& video, const NamedColour& colour);

// Pixels the track moves along unit (ux, uy) over its length (least-squares
// slope over the frames present); NaN with fewer than two such frames.
double driftAlong(const Track& track, double ux, double uy);

// The scene's main shape's unit direction of travel, first to last frame
// ((0, 0) when it ends where it started).
std::array<double, 2> mainShapeDirection(const SceneSpec& scene, const SceneSize& size);

// Pixels the main shape's colour moves along `direction` in `video`; 0 when
// the clip holds none of that colour (no motion shown).
double mainColourDrift(const VideoFrames& video, const SceneSpec& scene, const std::array<double, 2>& direction);

}  // namespace attnscope
