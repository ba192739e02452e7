// estimateMainShape: image analysis that knows the palette but nothing of the
// model or the scene.
//  1. Background: the per-channel median of the border pixels over all
//     frames (textures and tints are low-chroma marks around it).
//  2. Foreground: pixels with some chroma that are much closer to a palette
//     colour than to the background (anti-aliased rims, which sit halfway,
//     are left out so they cannot be mistaken for a neighbouring colour).
//  3. The dominant colour is the one with most foreground pixels among the
//     colours that form a blob (their pixels' spread around the centroid,
//     averaged over frames, under 30% of the frame: uniform noise spreads
//     over ~40%, the largest shape under 20%); its centroid per frame is the
//     track; a least-squares line through the
//     track gives the net displacement, classified into eight directions
//     (45° sectors) or Still inside a dead zone of 6% of the frame (≥ 2 px).
#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/core/Error.h"
#include "engine/procedural/ProceduralVideo.h"

namespace attnscope {
namespace {

constexpr int kMinChroma = 40;           // max - min channel; backgrounds stay below 30
constexpr double kRimRatio = 0.6;        // colour distance must be below 0.6 x background distance
constexpr double kDeadZoneFraction = 0.06;
constexpr double kMaxSpreadFraction = 0.30;  // of min(height, width)

std::array<int, 3> borderMedian(const VideoFrames& v) {
  std::array<std::array<int64_t, 256>, 3> hist{};
  int64_t n = 0;
  for (int64_t f = 0; f < v.frames; ++f) {
    const uint8_t* frame = v.frame(f);
    for (int64_t y = 0; y < v.height; ++y)
      for (int64_t x = 0; x < v.width; ++x) {
        if (y != 0 && y != v.height - 1 && x != 0 && x != v.width - 1) continue;
        const uint8_t* px = frame + (y * v.width + x) * 3;
        for (int c = 0; c < 3; ++c) ++hist[c][px[c]];
        ++n;
      }
  }
  std::array<int, 3> median{};
  for (int c = 0; c < 3; ++c) {
    int64_t seen = 0;
    for (int value = 0; value < 256; ++value) {
      seen += hist[c][value];
      if (2 * seen >= n) {
        median[c] = value;
        break;
      }
    }
  }
  return median;
}

Motion classify(double dx, double dy, double deadZone) {
  const double tan225 = 0.41421356;  // sector boundary at 22.5° from an axis
  const bool horizontal = std::fabs(dx) >= deadZone && std::fabs(dx) >= tan225 * std::fabs(dy);
  const bool vertical = std::fabs(dy) >= deadZone && std::fabs(dy) >= tan225 * std::fabs(dx);
  if (!horizontal && !vertical) return Motion::Still;
  if (!vertical) return dx < 0 ? Motion::Left : Motion::Right;
  if (!horizontal) return dy < 0 ? Motion::Up : Motion::Down;
  if (dy < 0) return dx < 0 ? Motion::UpLeft : Motion::UpRight;
  return dx < 0 ? Motion::DownLeft : Motion::DownRight;
}

}  // namespace

MainShapeEstimate estimateMainShape(const VideoFrames& video) {
  if (video.frames < 1 || video.height < 1 || video.width < 1)
    throw Error("cannot analyse a video of " + std::to_string(video.frames) + "x" + std::to_string(video.height) +
                "x" + std::to_string(video.width) + " pixels");
  if (video.rgb.size() != size_t(video.frames * video.height * video.width * 3))
    throw Error("video holds " + std::to_string(video.rgb.size()) + " bytes; " + std::to_string(video.frames) + "x" +
                std::to_string(video.height) + "x" + std::to_string(video.width) + " RGB needs " +
                std::to_string(video.frames * video.height * video.width * 3));
  const auto& palette = shapePalette();
  const int colours = static_cast<int>(palette.size());
  const std::array<int, 3> bg = borderMedian(video);

  // Per frame and colour: pixel count and coordinate sums.
  struct Tally {
    int64_t count = 0;
    double sx = 0, sy = 0, sxx = 0, syy = 0;
  };
  std::vector<Tally> tally(size_t(video.frames * colours));
  for (int64_t f = 0; f < video.frames; ++f) {
    const uint8_t* frame = video.frame(f);
    for (int64_t y = 0; y < video.height; ++y)
      for (int64_t x = 0; x < video.width; ++x) {
        const uint8_t* px = frame + (y * video.width + x) * 3;
        const int hi = std::max({px[0], px[1], px[2]}), lo = std::min({px[0], px[1], px[2]});
        if (hi - lo < kMinChroma) continue;
        int best = -1;
        int bestDistance = std::numeric_limits<int>::max();
        for (int k = 0; k < colours; ++k) {
          const int dr = px[0] - palette[k].r, dg = px[1] - palette[k].g, db = px[2] - palette[k].b;
          const int d = dr * dr + dg * dg + db * db;
          if (d < bestDistance) bestDistance = d, best = k;
        }
        const int br = px[0] - bg[0], bgn = px[1] - bg[1], bb = px[2] - bg[2];
        const double background = br * br + bgn * bgn + bb * bb;
        if (bestDistance >= kRimRatio * kRimRatio * background) continue;
        Tally& t = tally[size_t(f * colours + best)];
        ++t.count;
        t.sx += double(x);
        t.sy += double(y);
        t.sxx += double(x) * double(x);
        t.syy += double(y) * double(y);
      }
  }

  MainShapeEstimate estimate;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  estimate.track.assign(size_t(video.frames), {nan, nan});
  // A handful of stray pixels is noise, not a shape.
  const int64_t minPerFrame = std::max<int64_t>(3, video.height * video.width / 1000);
  const double maxSpread = kMaxSpreadFraction * double(std::min(video.height, video.width));
  int dominant = -1;
  int64_t dominantCount = 0;
  for (int k = 0; k < colours; ++k) {
    int64_t total = 0;
    double spread = 0;
    int frames = 0;
    for (int64_t f = 0; f < video.frames; ++f) {
      const Tally& t = tally[size_t(f * colours + k)];
      total += t.count;
      if (t.count < minPerFrame) continue;
      const double mx = t.sx / t.count, my = t.sy / t.count;
      spread += std::sqrt(std::max(0.0, t.sxx / t.count - mx * mx + t.syy / t.count - my * my));
      ++frames;
    }
    if (frames == 0 || spread / frames > maxSpread) continue;
    if (total > dominantCount) dominant = k, dominantCount = total;
  }
  if (dominant < 0) return estimate;
  estimate.colour = dominant;

  // Least-squares line x(t), y(t) through the frames where the colour is seen.
  double n = 0, st = 0, stt = 0, sx = 0, sy = 0, stx = 0, sty = 0;
  for (int64_t f = 0; f < video.frames; ++f) {
    const Tally& t = tally[size_t(f * colours + dominant)];
    if (t.count < minPerFrame) continue;
    const double cx = t.sx / t.count, cy = t.sy / t.count, tf = double(f);
    estimate.track[f] = {cx, cy};
    n += 1, st += tf, stt += tf * tf, sx += cx, sy += cy, stx += tf * cx, sty += tf * cy;
  }
  const double denominator = n * stt - st * st;
  if (n < 2 || denominator <= 0) return estimate;
  const double span = double(video.frames - 1);
  const double dx = (n * stx - st * sx) / denominator * span;
  const double dy = (n * sty - st * sy) / denominator * span;
  const double deadZone = std::max(2.0, kDeadZoneFraction * double(std::min(video.height, video.width)));
  estimate.direction = classify(dx, dy, deadZone);
  return estimate;
}

}  // namespace attnscope
