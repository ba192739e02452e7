#include "ui/HeatColors.h"

#include <algorithm>
#include <cmath>

namespace attnscope::ui {

QRgb heatColor(float t) {
  static const float stops[5][3] = {{0, 0, 4}, {87, 16, 110}, {188, 55, 84}, {249, 142, 9}, {252, 255, 164}};
  t = std::clamp(std::isfinite(t) ? t : 0.0f, 0.0f, 1.0f);
  float x = t * 4.0f;
  int i = std::min(3, int(x));
  float u = x - float(i);
  auto mix = [&](int c) { return int(stops[i][c] + (stops[i + 1][c] - stops[i][c]) * u + 0.5f); };
  return qRgba(mix(0), mix(1), mix(2), int(40 + 190 * std::sqrt(t)));
}

QImage frameImage(const VideoFrames& video, int64_t f) {
  if (f < 0 || f >= video.frames) return {};
  QImage view(video.frame(f), int(video.width), int(video.height), int(video.width * 3), QImage::Format_RGB888);
  return view.copy();
}

QImage heatImage(const std::vector<float>& heat, const TokenGrid& grid, int64_t tokenFrame, float maxValue) {
  if (heat.size() != size_t(grid.videoTokens()) || tokenFrame < 0 || tokenFrame >= grid.frames) return {};
  QImage image(int(grid.width), int(grid.height), QImage::Format_ARGB32);
  const float scale = maxValue > 0 ? 1.0f / maxValue : 0.0f;
  const float* plane = heat.data() + tokenFrame * grid.tokensPerFrame();
  for (int y = 0; y < grid.height; ++y) {
    auto* line = reinterpret_cast<QRgb*>(image.scanLine(y));
    for (int x = 0; x < grid.width; ++x) line[x] = heatColor(plane[y * grid.width + x] * scale);
  }
  return image;
}

}  // namespace attnscope::ui
