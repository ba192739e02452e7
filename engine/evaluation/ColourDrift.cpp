#include "engine/evaluation/ColourDrift.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope {

Track colourPresenceCentroids(const VideoFrames& video, const NamedColour& colour) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const int64_t pixels = video.height * video.width;
  Track track(size_t(video.frames), {nan, nan});
  std::vector<uint8_t> channel(static_cast<size_t>(pixels));
  for (int64_t f = 0; f < video.frames; ++f) {
    const uint8_t* rgb = video.frame(f);
    double m[3];
    for (int c = 0; c < 3; ++c) {
      for (int64_t i = 0; i < pixels; ++i) channel[size_t(i)] = rgb[3 * i + c];
      std::nth_element(channel.begin(), channel.begin() + pixels / 2, channel.end());
      m[c] = channel[size_t(pixels / 2)];
    }
    const double d[3] = {colour.r - m[0], colour.g - m[1], colour.b - m[2]};
    const double norm2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    if (norm2 < 1.0) continue;  // the background is the colour: nothing to find
    double sw = 0, sx = 0, sy = 0;
    for (int64_t y = 0; y < video.height; ++y)
      for (int64_t x = 0; x < video.width; ++x) {
        const uint8_t* p = rgb + 3 * (y * video.width + x);
        const double along = ((p[0] - m[0]) * d[0] + (p[1] - m[1]) * d[1] + (p[2] - m[2]) * d[2]) / norm2;
        const double w = std::clamp(along, 0.0, 1.0);
        sw += w, sx += w * double(x), sy += w * double(y);
      }
    if (sw > 1e-9) track[size_t(f)] = {sx / sw, sy / sw};
  }
  return track;
}

double driftAlong(const Track& track, double ux, double uy) {
  double n = 0, st = 0, sp = 0, stt = 0, stp = 0;
  for (size_t f = 0; f < track.size(); ++f) {
    if (!std::isfinite(track[f][0]) || !std::isfinite(track[f][1])) continue;
    const double t = double(f), p = track[f][0] * ux + track[f][1] * uy;
    n += 1, st += t, sp += p, stt += t * t, stp += t * p;
  }
  const double var = n * stt - st * st;
  if (n < 2 || var <= 0) return std::numeric_limits<double>::quiet_NaN();
  return (n * stp - st * sp) / var * double(track.size() - 1);
}

std::array<double, 2> mainShapeDirection(const SceneSpec& scene, const SceneSize& size) {
  const auto centres = shapeCentres(scene, size);
  const double dx = centres.back()[0][0] - centres.front()[0][0], dy = centres.back()[0][1] - centres.front()[0][1];
  const double length = std::hypot(dx, dy);
  return length > 0 ? std::array<double, 2>{dx / length, dy / length} : std::array<double, 2>{0, 0};
}

double mainColourDrift(const VideoFrames& video, const SceneSpec& scene, const std::array<double, 2>& direction) {
  const double drift = driftAlong(colourPresenceCentroids(video, shapePalette().at(scene.shapes.front().colour)),
                                  direction[0], direction[1]);
  return std::isfinite(drift) ? drift : 0.0;
}

}  // namespace attnscope
