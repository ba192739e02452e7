#include "engine/metrics/ComparisonVideo.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "engine/core/Error.h"

namespace attnscope {

namespace {

std::string describe(const VideoFrames& v) {
  return std::to_string(v.frames) + "-frame " + std::to_string(v.width) + "x" + std::to_string(v.height);
}

void checkSameSize(const VideoFrames& a, const VideoFrames& b, const char* what) {
  if (a.frames != b.frames || a.height != b.height || a.width != b.width)
    throw Error(std::string("cannot ") + what + " a " + describe(a) + " video with a " + describe(b) + " one");
}

}  // namespace

VideoFrames differenceVideo(const VideoFrames& a, const VideoFrames& b, double gain) {
  checkSameSize(a, b, "difference");
  VideoFrames d = a;
  for (size_t i = 0; i < d.rgb.size(); ++i)
    d.rgb[i] = uint8_t(std::min(255.0, gain * std::abs(int(a.rgb[i]) - int(b.rgb[i]))));
  return d;
}

VideoFrames sideBySide(const std::vector<const VideoFrames*>& videos, int64_t gap) {
  if (videos.empty()) throw Error("no videos to put side by side");
  const VideoFrames& first = *videos.front();
  for (const VideoFrames* v : videos) checkSameSize(first, *v, "put side by side");
  VideoFrames out;
  out.frames = first.frames;
  out.height = first.height;
  out.fps = first.fps;
  const int64_t n = int64_t(videos.size());
  out.width = n * first.width + (n - 1) * gap;
  out.width += out.width % 2;  // H.264 wants even sizes
  out.rgb.assign(size_t(out.frames * out.height * out.width * 3), 0);
  for (int64_t f = 0; f < out.frames; ++f)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t y = 0; y < out.height; ++y)
        std::memcpy(out.frame(f) + (y * out.width + i * (first.width + gap)) * 3,
                    videos[i]->frame(f) + y * first.width * 3, size_t(first.width * 3));
  return out;
}

}  // namespace attnscope
