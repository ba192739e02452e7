// Procedural video throughput on one core: drawing a scene from its seed and
// rendering it (16×64×64 by default, or F H W from the command line), and the
// image analysis of a clip. The baseline, measured in the same run, is the
// least any renderer must do: allocating the clip and writing every byte.
// The trainer renders on 16 threads; the bar is ≤ 1 ms per clip per core.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "engine/procedural/ProceduralVideo.h"

using namespace attnscope;

namespace {

template <typename Fn>
double msPerClip(int clips, Fn&& fn) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < clips; ++i) fn(i);
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / clips;
}

}  // namespace

int main(int argc, char** argv) {
  SceneSize size;
  if (argc == 4) size = {std::atoll(argv[1]), std::atoll(argv[2]), std::atoll(argv[3])};
  const int clips = 3000;
  volatile uint64_t sink = 0;  // keeps the work from being optimised away

  renderScene(sampleScene(0, size), size);  // warm-up: the shape distance tables
  const double fill = msPerClip(clips, [&](int i) {
    VideoFrames v;
    v.rgb.resize(size_t(size.frames * size.height * size.width * 3));
    std::memset(v.rgb.data(), i & 0xff, v.rgb.size());
    sink = sink + v.rgb[size_t(i) % v.rgb.size()];
  });
  const double sample = msPerClip(clips, [&](int i) { sink = sink + sampleScene(uint64_t(i), size).shapes.size(); });
  const double render = msPerClip(clips, [&](int i) {
    VideoFrames v = renderScene(sampleScene(uint64_t(i), size), size);
    sink = sink + v.rgb[size_t(i) % v.rgb.size()];
  });
  const double analyse = msPerClip(clips / 3, [&](int i) {
    VideoFrames v = renderScene(sampleScene(kHeldOutSeedBase + uint64_t(i), size), size);
    sink = sink + uint64_t(estimateMainShape(v).colour + 1);
  }) - render;

  std::printf("procedural clips %lldx%lldx%lld, %d clips, one thread\n", static_cast<long long>(size.frames),
              static_cast<long long>(size.height), static_cast<long long>(size.width), clips);
  std::printf("%-36s %12s %14s\n", "work", "ms / clip", "x baseline");
  std::printf("%-36s %12.4f %14.2f\n", "baseline: allocate + write the clip", fill, 1.0);
  std::printf("%-36s %12.4f %14.2f\n", "sampleScene", sample, sample / fill);
  std::printf("%-36s %12.4f %14.2f\n", "estimateMainShape", analyse, analyse / fill);
  std::printf("%-36s %12.4f %14.2f\n", "sampleScene + renderScene", render, render / fill);
  return sink == 42 ? 1 : 0;
}
