#pragma once
// Scaling: how a pooled value becomes the colormap position t in [0, 1]. The
// heatmap shader computes exactly this (shaders/heatmap.frag); tests and the
// legend use this CPU copy.
//   Linear         t = v / mapMax                 (mapMax: the largest value of that head's map)
//   Log            t = 1 + log10(v / mapMax) / kLogDecades, clamped: kLogDecades decades below the max
//   RowNormalised  t = v / rowMax                 (rowMax: the largest value of that q-block's row)
// A maximum <= 0 (an all-zero map or row) gives t = 0.
#include <algorithm>
#include <cmath>

#include "viz/AtlasViewport.h"

namespace attnscope::viz {

inline constexpr float kLogDecades = 4.0f;

inline float scaledValue(Scaling scaling, float value, float mapMax, float rowMax) {
  float top = scaling == Scaling::RowNormalised ? rowMax : mapMax;
  if (!(top > 0.0f) || !(value > 0.0f)) return 0.0f;
  float t = scaling == Scaling::Log ? 1.0f + std::log10(value / top) / kLogDecades : value / top;
  return std::clamp(t, 0.0f, 1.0f);
}

}  // namespace attnscope::viz
