// Diagnostic, not a timing: how far does the best possible one-step estimate
// at sigma = 1 move the main colour? From pure noise, the x0 that minimises
// the training loss is the mean of all training clips with the caption. This
// averages up to K training scenes whose caption equals each held-out
// scene's (seeds from 0 up, as the trainer draws them) and reads the mean
// clip's drift along the held-out scene's true direction, with the same
// colourPresenceCentroids / driftAlong that `probe-denoise` reports for the
// model's estimate. If this drift is large, a model whose sigma = 1 estimate
// drifts ~0 px is missing something it could learn; if it is small, the
// probe's sigma = 1 row cannot show direction for any model. Two more
// columns, in the model's units (pixels scaled to [-1, 1], the x0 MSE that
// `probe-denoise` prints): "floor", the mean clip's MSE to the held-out
// clip (the least x0 error a model can reach at sigma = 1 from this much of
// the caption), and "motion", how much more a time-constant estimate (the
// mean clip averaged over its frames) would lose: what learning the motion
// at sigma = 1 is worth in the loss.
// Usage: bench_posterior_mean_drift [SCENES (16)] [SEED_OFFSET (1000)] [K (64)] [MAX_SEEDS (4000000)]
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "engine/evaluation/ColourDrift.h"
#include "engine/procedural/ProceduralVideo.h"

using namespace attnscope;

namespace {

struct Target {
  SceneSpec scene;
  std::array<double, 2> direction{};
  std::vector<double> sum;  // summed RGB of the matching training clips
  int matches = 0;
};

// The caption without its second shape ("a red circle moves left and a blue
// square grows on a dark background" -> "a red circle moves left on a dark
// background"): full captions with a second shape are too rare to average,
// and the second shape is another colour, so the main colour's mean is
// nearly the same (the table says which key each row used).
std::string mainClauseKey(const std::string& caption) {
  const size_t on = caption.rfind(" on a ");
  size_t end = on;
  for (const char* joint : {" and ", " with "}) end = std::min(end, caption.find(joint));
  return caption.substr(0, end) + caption.substr(on);
}

}  // namespace

int main(int argc, char** argv) {
  const int scenes = argc > 1 ? std::atoi(argv[1]) : 16;
  const uint64_t offset = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000;
  const int K = argc > 3 ? std::atoi(argv[3]) : 64;
  const uint64_t maxSeeds = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 4000000;
  const SceneSize size{16, 64, 64};

  std::map<std::string, std::vector<Target>> byCaption;
  for (int i = 0; i < scenes; ++i) {
    Target t;
    t.scene = sampleScene(kHeldOutSeedBase + offset + uint64_t(i), size);
    if (!isTranslation(t.scene.shapes.front().motion)) continue;
    t.direction = mainShapeDirection(t.scene, size);
    byCaption[mainClauseKey(t.scene.caption)].push_back(std::move(t));
  }
  const size_t bytes = size_t(size.frames * size.height * size.width * 3);
  for (auto& [caption, targets] : byCaption)
    for (auto& t : targets) t.sum.assign(bytes, 0.0);

  // Scan the training seeds once; render only the clips that match a caption.
  size_t open = byCaption.size();
  for (uint64_t seed = 0; seed < maxSeeds && open > 0; ++seed) {
    const SceneSpec s = sampleScene(seed, size);
    auto it = byCaption.find(mainClauseKey(s.caption));
    if (it == byCaption.end() || it->second.front().matches >= K) continue;
    const VideoFrames clip = renderScene(s, size);
    for (auto& t : it->second) {
      for (size_t b = 0; b < bytes; ++b) t.sum[b] += clip.rgb[b];
      if (++t.matches == K) --open;
    }
  }

  std::printf("held-out scenes %llu..%llu, translating ones; mean of up to %d training clips whose caption\n"
              "has the same main shape, motion and background\n",
              (unsigned long long)offset, (unsigned long long)(offset + scenes - 1), K);
  std::printf("%-62s %6s %9s %8s %7s %8s\n", "caption key", "clips", "truth px", "mean px", "floor", "motion");
  double truthSum = 0, meanSum = 0, floorSum = 0, motionSum = 0;
  int n = 0;
  for (auto& [caption, targets] : byCaption)
    for (auto& t : targets) {
      VideoFrames mean = renderScene(t.scene, size);  // the held-out clip, then overwritten by the mean
      const double truth = mainColourDrift(mean, t.scene, t.direction);
      // floor: |clip - M|^2; motion: |M - (M averaged over frames)|^2, per value.
      const size_t frame = bytes / size_t(size.frames);
      const double k = std::max(t.matches, 1);
      double floorMse = 0, motionMse = 0;
      for (size_t b = 0; b < frame; ++b) {
        double still = 0;
        for (int f = 0; f < size.frames; ++f) still += t.sum[f * frame + b];
        still /= double(size.frames) * k * 127.5;
        for (int f = 0; f < size.frames; ++f) {
          const double m = t.sum[f * frame + b] / k / 127.5;
          floorMse += std::pow(mean.rgb[f * frame + b] / 127.5 - m, 2);
          motionMse += std::pow(m - still, 2);
        }
      }
      floorMse /= double(bytes), motionMse /= double(bytes);
      for (size_t b = 0; b < bytes; ++b)
        mean.rgb[b] = static_cast<uint8_t>(std::lround(t.sum[b] / k));
      const double m = t.matches > 0 ? mainColourDrift(mean, t.scene, t.direction) : NAN;
      std::printf("%-62s %6d %9.1f %8.1f %7.4f %8.5f\n", caption.c_str(), t.matches, truth, m, floorMse, motionMse);
      if (std::isfinite(m)) truthSum += truth, meanSum += m, floorSum += floorMse, motionSum += motionMse, ++n;
    }
  std::printf("mean over %d scenes: truth %.1f px, posterior mean at sigma = 1 %.1f px; x0 MSE floor %.4f, "
              "of which the motion %.5f\n", n, truthSum / n, meanSum / n, floorSum / n, motionSum / n);
  return 0;
}
