#include "engine/evaluation/VideoStrip.h"

#include <algorithm>

#include "engine/core/Error.h"

namespace attnscope {

RgbImage videoStrip(const std::vector<const VideoFrames*>& rows, const StripLayout& layout) {
  if (rows.empty()) throw Error("a video strip needs at least one video");
  if (layout.columns < 1 || layout.gap < 0 || layout.scale < 1)
    throw Error("video strip layout needs columns >= 1, gap >= 0 and scale >= 1");
  const int64_t h = rows[0]->height, w = rows[0]->width;
  int64_t columns = 0;
  for (size_t r = 0; r < rows.size(); ++r) {
    const VideoFrames& v = *rows[r];
    if (v.frames < 1 || v.height < 1 || v.width < 1 || v.rgb.size() != size_t(v.frames * v.height * v.width * 3))
      throw Error("video " + std::to_string(r) + " of the strip is empty or inconsistent");
    if (v.height != h || v.width != w)
      throw Error("video " + std::to_string(r) + " of the strip is " + std::to_string(v.width) + "x" +
                  std::to_string(v.height) + "; the first is " + std::to_string(w) + "x" + std::to_string(h));
    columns = std::max(columns, std::min<int64_t>(layout.columns, v.frames));
  }
  const int64_t s = layout.scale, gap = layout.gap;
  RgbImage image;
  image.width = columns * w * s + (columns + 1) * gap;
  image.height = int64_t(rows.size()) * h * s + int64_t(rows.size() + 1) * gap;
  image.rgb.assign(size_t(image.width * image.height * 3), layout.gapGrey);
  for (size_t r = 0; r < rows.size(); ++r) {
    const VideoFrames& v = *rows[r];
    const int64_t shown = std::min<int64_t>(columns, v.frames);
    for (int64_t c = 0; c < shown; ++c) {
      // Evenly spaced frames, first and last included.
      const int64_t f = shown == 1 ? 0 : c * (v.frames - 1) / (shown - 1);
      const int64_t left = gap + c * (w * s + gap), top = gap + int64_t(r) * (h * s + gap);
      for (int64_t y = 0; y < h * s; ++y)
        for (int64_t x = 0; x < w * s; ++x) {
          const uint8_t* src = v.frame(f) + ((y / s) * w + x / s) * 3;
          uint8_t* dst = image.rgb.data() + ((top + y) * image.width + left + x) * 3;
          dst[0] = src[0], dst[1] = src[1], dst[2] = src[2];
        }
    }
  }
  return image;
}

}  // namespace attnscope
