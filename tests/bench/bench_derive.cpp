// Deriving masks at Wan 2.1 1.3B scale: 30 layers x 12 heads of pooled maps
// over 21x30x52 tokens in linear(128) blocks (256 x 256 per head), the rows
// random softmax-like distributions (never uniform). Each strategy's build is
// timed at the knob values a target-density search would try, first with the
// process pinned to one core (the baseline: buildPerHead's threads then share
// it), then on every core the process was given; the same run, so the ratio
// is the speed-up on this machine. The masks of both runs must be identical.
//   bench_derive [--reps N]
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/strategies/Strategy.h"

using namespace attnscope;
using Clock = std::chrono::steady_clock;

namespace {

PooledMaps wanScaleMaps() {
  PooledMaps maps;
  maps.grid = TokenGrid{21, 30, 52, 0};
  maps.layout = BlockLayout::linear(128);
  maps.layers = 30;
  maps.heads = 12;
  maps.nq = maps.nk = maps.layout.numBlocks(maps.grid);
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.f, 2.f);
  maps.pooled.resize(size_t(maps.layers * maps.heads * maps.nq * maps.nk));
  for (size_t row = 0; row < maps.pooled.size(); row += size_t(maps.nk)) {
    float sum = 0;
    for (int64_t k = 0; k < maps.nk; ++k) sum += maps.pooled[row + k] = std::exp(normal(rng));
    for (int64_t k = 0; k < maps.nk; ++k) maps.pooled[row + k] /= sum;
  }
  maps.sink.resize(size_t(maps.layers * maps.heads * maps.grid.videoTokens()));
  for (float& s : maps.sink) s = std::exp(normal(rng)) / float(maps.grid.videoTokens());
  return maps;
}

// Median seconds of `reps` rounds, each building the strategy at every knob value.
double timeBuilds(const Strategy& s, const PooledMaps& maps, const std::vector<double>& knobs, int reps,
                  std::vector<BlockMask>* last) {
  std::vector<double> times;
  for (int r = 0; r < reps; ++r) {
    const auto start = Clock::now();
    for (double knob : knobs) *last = s.build(maps, {{s.densityKnob, knob}});
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

bool sameMasks(const std::vector<BlockMask>& a, const std::vector<BlockMask>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    for (int64_t q = 0; q < a[i].nq(); ++q)
      for (int64_t k = 0; k < a[i].nk(); ++k)
        if (a[i].get(q, k) != b[i].get(q, k)) return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 3;
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--reps") == 0 && i + 1 < argc) reps = std::max(1, std::atoi(argv[++i]));
  const PooledMaps maps = wanScaleMaps();
  cpu_set_t all;
  sched_getaffinity(0, sizeof all, &all);
  cpu_set_t one;
  CPU_ZERO(&one);
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &all)) {
      CPU_SET(c, &one);
      break;
    }
  std::printf("pooled maps: %lld layers x %lld heads x %lld x %lld blocks; %d cores, %u threads per build\n",
              static_cast<long long>(maps.layers), static_cast<long long>(maps.heads),
              static_cast<long long>(maps.nq), static_cast<long long>(maps.nk), CPU_COUNT(&all),
              std::thread::hardware_concurrency());
  // Knob values around 15% density, as derivePlan's search visits them.
  const std::vector<std::pair<std::string, std::vector<double>>> cases = {
      {"threshold", {0.5, 0.7, 0.6, 0.65}}, {"topk", {16, 64, 32, 40}}, {"sink-window", {4, 16, 8, 12}}};
  std::printf("\n%-12s %14s %14s %9s\n", "strategy", "one core, s", "all cores, s", "speed-up");
  double worst = 1e9;
  for (const auto& [name, knobs] : cases) {
    const Strategy& s = findStrategy(name);
    std::vector<BlockMask> serial, parallel;
    sched_setaffinity(0, sizeof one, &one);
    const double oneCore = timeBuilds(s, maps, knobs, reps, &serial);
    sched_setaffinity(0, sizeof all, &all);
    const double allCores = timeBuilds(s, maps, knobs, reps, &parallel);
    if (!sameMasks(serial, parallel)) {
      std::printf("%s: the masks built on one core and on all cores differ\n", name.c_str());
      return 1;
    }
    worst = std::min(worst, oneCore / allCores);
    std::printf("%-12s %14.3f %14.3f %8.2fx\n", name.c_str(), oneCore, allCores, oneCore / allCores);
  }
  std::printf("smallest speed-up on %d cores: %.2fx\n", CPU_COUNT(&all), worst);
  return 0;
}
