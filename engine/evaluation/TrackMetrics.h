#pragma once
// Smoothness and accuracy of a centroid track (one (x, y) per frame, NaN
// where nothing was found), for the temporal-coherence report.
#include <array>
#include <vector>

namespace attnscope {

using Track = std::vector<std::array<double, 2>>;

// Mean distance in pixels between consecutive frames' centroids, over the
// pairs where both are present; NaN when there is no such pair.
double meanFrameJump(const Track& track);

// Mean distance in pixels from the track to the true centres, over the
// frames where the track is present; NaN when it never is.
double meanTrackError(const Track& track, const Track& truth);

}  // namespace attnscope
