// Attention kernels on the default model's shapes (B=2 for guidance, 4 heads,
// 16x8x8 tokens, head dim 48) and on a larger grid: dense, capture, and sparse
// at 100/50/25/10% block density, all timed in this one run (warm-up, then the
// median of --reps repetitions). Ratios are against dense of the same case.
//   bench_attention [--reps N] [--json]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include "engine/attention/AttentionKernels.h"

using namespace attnscope;

namespace {

struct Case {
  std::string name;
  int64_t batch, heads, headDim;
  TokenGrid grid;
  BlockLayout layout;
  bool headline;  // the default model's shapes
};

struct Row {
  std::string caseName, mode;
  double density, ms, ratio;
};

double medianMs(int reps, const std::function<void()>& fn) {
  fn();  // warm-up: allocator, thread pool, caches
  fn();
  std::vector<double> ms;
  for (int r = 0; r < reps; ++r) {
    auto start = std::chrono::steady_clock::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

// Random block mask of about `density`: the diagonal always, every other block
// kept with the probability that makes the expected density right.
BlockMask randomMask(std::mt19937& rng, int64_t nb, double density) {
  BlockMask m(nb, nb, false);
  const double p = nb > 1 ? std::clamp((density * nb - 1.0) / double(nb - 1), 0.0, 1.0) : 1.0;
  std::bernoulli_distribution keep(p);
  for (int64_t i = 0; i < nb; ++i)
    for (int64_t j = 0; j < nb; ++j) m.set(i, j, i == j || keep(rng));
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 9;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--json")) {
      json = true;
    } else {
      std::fprintf(stderr, "usage: %s [--reps N] [--json]\n", argv[0]);
      return 2;
    }
  }
  at::set_num_threads(static_cast<int>(std::thread::hardware_concurrency()));
  torch::NoGradGuard noGrad;
  torch::manual_seed(7);
  std::mt19937 rng(7);

  const TokenGrid small{16, 8, 8, 16}, large{16, 16, 16, 16};
  const std::vector<Case> cases = {
      {"default linear(64)", 2, 4, 48, small, BlockLayout::linear(64), true},
      {"default tiled(2,4,4)", 2, 4, 48, small, BlockLayout::tiled(2, 4, 4), true},
      {"large linear(64)", 1, 4, 64, large, BlockLayout::linear(64), false},
  };

  std::vector<Row> rows;
  for (const Case& c : cases) {
    const int64_t n = c.grid.videoTokens(), nb = c.layout.numBlocks(c.grid);
    auto q = torch::randn({c.batch, c.heads, n, c.headDim});
    auto k = torch::randn({c.batch, c.heads, n, c.headDim});
    auto v = torch::randn({c.batch, c.heads, n, c.headDim});
    const double dense = medianMs(reps, [&] { denseAttention(q, k, v); });
    rows.push_back({c.name, "dense", 1.0, dense, 1.0});
    AtlasEntry entry;
    const double capture = medianMs(reps, [&] { captureAttention(q, k, v, c.grid, c.layout, c.batch - 1, entry); });
    rows.push_back({c.name, "capture", 1.0, capture, capture / dense});
    for (bool perHead : {true, false})
      for (double density : {1.0, 0.5, 0.25, 0.10}) {
        if (!perHead && density > 0.3) continue;  // shared masks only where it matters
        std::vector<BlockMask> masks;
        for (int64_t h = 0; h < c.heads; ++h)
          masks.push_back(perHead || h == 0 ? randomMask(rng, nb, density) : masks[0]);
        std::vector<const BlockMask*> ptrs;
        double kept = 0;
        for (const auto& m : masks) {
          ptrs.push_back(&m);
          kept += m.density() / double(c.heads);
        }
        const double ms = medianMs(reps, [&] { sparseAttention(q, k, v, c.grid, c.layout, ptrs); });
        rows.push_back({c.name, perHead ? "sparse per-head" : "sparse shared", kept, ms, ms / dense});
      }
  }

  auto find = [&](const std::string& caseName, const std::string& mode, double density) {
    for (const Row& r : rows)
      if (r.caseName == caseName && r.mode == mode && std::abs(r.density - density) < 0.04) return r.ratio;
    return -1.0;
  };
  // Headline: the default shapes with per-head masks; the worse of the two layouts.
  double s25 = 0, s10 = 0, cap = 0;
  for (const Case& c : cases)
    if (c.headline) {
      double best25 = 1e9, best10 = 1e9;
      for (const Row& r : rows)
        if (r.caseName == c.name && r.mode == "sparse per-head") {
          if (std::abs(r.density - 0.25) < 0.06) best25 = std::min(best25, r.ratio);
          if (std::abs(r.density - 0.10) < 0.06) best10 = std::min(best10, r.ratio);
        }
      s25 = std::max(s25, best25);
      s10 = std::max(s10, best10);
      cap = std::max(cap, find(c.name, "capture", 1.0));
    }

  if (json) {
    nlohmann::json out;
    out["threads"] = at::get_num_threads();
    out["reps"] = reps;
    for (const Row& r : rows)
      out["rows"].push_back({{"case", r.caseName}, {"mode", r.mode}, {"density", r.density}, {"ms", r.ms},
                             {"ratio", r.ratio}});
    out["headline"] = {{"sparse25_over_dense", s25}, {"sparse10_over_dense", s10}, {"capture_over_dense", cap}};
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("attention kernels, %d threads, median of %d\n", at::get_num_threads(), reps);
  std::printf("%-22s %-16s %8s %10s %8s\n", "case", "mode", "density", "ms", "ratio");
  for (const Row& r : rows)
    std::printf("%-22s %-16s %7.1f%% %10.2f %8.3f\n", r.caseName.c_str(), r.mode.c_str(), r.density * 100, r.ms,
                r.ratio);
  std::printf("headline (default shapes, worse layout): sparse25/dense %.2f (bar 0.5), sparse10/dense %.2f (bar 0.25), "
              "capture/dense %.2f (bar 3)\n",
              s25, s10, cap);
  return 0;
}
