#pragma once
// A contact sheet of videos: one row per video, one column per shown frame
// (evenly spaced over the clip), separated by thin gaps. Rows may have
// different frame counts but must share one frame size.
#include <vector>

#include "engine/io/ImageFile.h"
#include "engine/io/Video.h"

namespace attnscope {

struct StripLayout {
  int columns = 8;          // frames shown per row (all frames when the clip has fewer)
  int gap = 2;              // pixels between tiles and rows
  int scale = 2;            // each pixel drawn as scale × scale
  uint8_t gapGrey = 255;
};

// Throws Error when there are no videos, a video is empty or the frame sizes differ.
RgbImage videoStrip(const std::vector<const VideoFrames*>& rows, const StripLayout& layout = {});

}  // namespace attnscope
