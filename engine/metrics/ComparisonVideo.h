#pragma once
// Videos a compare view shows and exports:
//   differenceVideo: per pixel and channel min(255, gain * |a - b|), so small
//                    errors of a sparse re-render are visible;
//   sideBySide:      the videos next to each other, left to right, with a
//                    `gap`-pixel black bar between them (even width kept for H.264).
#include <vector>

#include "engine/io/Video.h"

namespace attnscope {

// Throws Error when frame counts or sizes differ.
VideoFrames differenceVideo(const VideoFrames& a, const VideoFrames& b, double gain = 4.0);
VideoFrames sideBySide(const std::vector<const VideoFrames*>& videos, int64_t gap = 4);

}  // namespace attnscope
