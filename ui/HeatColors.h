#pragma once
// Colours for heat overlays on video frames and the helpers that turn engine
// buffers into QImages. Pure conversions, no analysis.
#include <QImage>

#include <vector>

#include "engine/core/TokenGrid.h"
#include "engine/io/Video.h"

namespace attnscope::ui {

// An inferno-like ramp, t in [0, 1], with alpha growing with t so cold areas
// leave the frame visible.
QRgb heatColor(float t);
// Frame f of the video as an RGB888 image (deep copy).
QImage frameImage(const VideoFrames& video, int64_t f);
// One token frame of per-token heat [F, H, W] as a small ARGB image, scaled
// so that `maxValue` maps to the top of the ramp.
QImage heatImage(const std::vector<float>& heat, const TokenGrid& grid, int64_t tokenFrame, float maxValue);

}  // namespace attnscope::ui
