#include "engine/evaluation/TrackMetrics.h"

#include <cmath>
#include <limits>

namespace attnscope {

namespace {
bool present(const std::array<double, 2>& p) { return std::isfinite(p[0]) && std::isfinite(p[1]); }
}  // namespace

double meanFrameJump(const Track& track) {
  double sum = 0;
  int pairs = 0;
  for (size_t f = 1; f < track.size(); ++f)
    if (present(track[f - 1]) && present(track[f])) {
      sum += std::hypot(track[f][0] - track[f - 1][0], track[f][1] - track[f - 1][1]);
      ++pairs;
    }
  return pairs ? sum / pairs : std::numeric_limits<double>::quiet_NaN();
}

double meanTrackError(const Track& track, const Track& truth) {
  double sum = 0;
  int frames = 0;
  for (size_t f = 0; f < track.size() && f < truth.size(); ++f)
    if (present(track[f])) {
      sum += std::hypot(track[f][0] - truth[f][0], track[f][1] - truth[f][1]);
      ++frames;
    }
  return frames ? sum / frames : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace attnscope
