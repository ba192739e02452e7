#pragma once
// Colormaps: matplotlib's perceptual colormaps (viridis, magma, inferno,
// cividis) as 33-knot piecewise-linear tables: the knots are entries
// 0, 8, 16, ..., 248, 255 of the published 256-entry tables. The shader gets
// the same knots (colormapTableForShader) and interpolates exactly as
// colormapColour does here, so legends, tests and pixels agree.
#include <array>
#include <vector>

#include "viz/AtlasViewport.h"

namespace attnscope::viz {

inline constexpr int kColormapKnots = 33;
inline constexpr int kColormapCount = 4;

// t is clamped to [0, 1]; returns linear RGB components in [0, 1].
std::array<float, 3> colormapColour(Colormap map, float t);

// Every colormap's knots as vec4 (alpha unused), map-major: what the shader reads.
std::vector<float> colormapTableForShader();

const char* colormapName(Colormap map);
const char* scalingName(Scaling scaling);

}  // namespace attnscope::viz
