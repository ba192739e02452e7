// Attention kernels on the default model's shapes (B=2 for guidance, 4 heads,
// 16x8x8 tokens, head dim 48) and on a larger grid: dense, capture, and sparse
// at 100/50/25/10% block density, all timed in this one run (warm-up, then the
// median of --reps interleaved rounds). Ratios are against dense of the same case.
// Each kernel keeps its scratch memory in a workspace between calls, as
// AttentionOp does during a run.
//   bench_attention [--reps N] [--json]
#include <algorithm>
#include <cmath>
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
  double target, density;  // block density asked for and reached
  double ms = 0, ratio = 0;
};

// One timed variant of a case: what runs, and its row in the table.
struct Variant {
  Row row;
  std::function<void()> run;
  std::vector<double> ms;
};

// Warm-up (allocator, thread pool, workspace), then `reps` rounds that run
// every variant once each, so a slow spell of a shared machine hits all
// variants alike; each variant's time is its median.
void timeInterleaved(std::vector<Variant>& variants, int reps) {
  for (int warm = 0; warm < 2; ++warm)
    for (auto& v : variants) v.run();
  for (int r = 0; r < reps; ++r)
    for (auto& v : variants) {
      auto start = std::chrono::steady_clock::now();
      v.run();
      v.ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
  for (auto& v : variants) {
    std::sort(v.ms.begin(), v.ms.end());
    v.row.ms = v.ms[v.ms.size() / 2];
    v.row.ratio = v.row.ms / variants.front().row.ms;
  }
}

// Random block mask of `density` (rounded to whole blocks): the diagonal,
// plus off-diagonal blocks drawn uniformly, so per-row counts vary.
BlockMask randomMask(std::mt19937& rng, int64_t nb, double density) {
  BlockMask m(nb, nb, false);
  std::vector<int64_t> offDiagonal;
  for (int64_t i = 0; i < nb; ++i) {
    m.set(i, i, true);
    for (int64_t j = 0; j < nb; ++j)
      if (i != j) offDiagonal.push_back(i * nb + j);
  }
  std::shuffle(offDiagonal.begin(), offDiagonal.end(), rng);
  const int64_t extra = std::clamp<int64_t>(std::llround(density * nb * nb) - nb, 0, int64_t(offDiagonal.size()));
  for (int64_t e = 0; e < extra; ++e) m.set(offDiagonal[e] / nb, offDiagonal[e] % nb, true);
  return m;
}

std::vector<const BlockMask*> pointers(const std::vector<BlockMask>& masks) {
  std::vector<const BlockMask*> p;
  for (const auto& m : masks) p.push_back(&m);
  return p;
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
    AttentionWorkspace workspace;
    AtlasEntry entry;
    std::vector<Variant> variants;  // dense first: the others' ratios are against it
    variants.push_back({{c.name, "dense", 1.0, 1.0}, [&] { denseAttention(q, k, v, 256, workspace); }, {}});
    variants.push_back({{c.name, "capture", 1.0, 1.0},
                        [&] { captureAttention(q, k, v, c.grid, c.layout, c.batch - 1, entry, workspace); }, {}});
    std::vector<std::vector<BlockMask>> maskSets;  // kept alive for the variants
    maskSets.reserve(8);
    for (bool perHead : {true, false})
      for (double density : {1.0, 0.5, 0.25, 0.10}) {
        if (!perHead && density > 0.3) continue;  // shared masks only where it matters
        std::vector<BlockMask>& masks = maskSets.emplace_back();
        for (int64_t h = 0; h < c.heads; ++h)
          masks.push_back(perHead || h == 0 ? randomMask(rng, nb, density) : masks[0]);
        double kept = 0;
        for (const auto& m : masks) kept += m.density() / double(c.heads);
        variants.push_back({{c.name, perHead ? "sparse per-head" : "sparse shared", density, kept},
                            [&, ptrs = pointers(masks)] { sparseAttention(q, k, v, c.grid, c.layout, ptrs, workspace); },
                            {}});
      }
    timeInterleaved(variants, reps);
    for (const auto& variant : variants) rows.push_back(variant.row);
  }

  // Headline: the default shapes, per-head masks, the worse of the two layouts.
  auto headline = [&](const std::string& mode, double target) {
    double worst = 0;
    for (const Case& c : cases)
      for (const Row& r : rows)
        if (c.headline && r.caseName == c.name && r.mode == mode && r.target == target)
          worst = std::max(worst, r.ratio);
    return worst;
  };
  const double s25 = headline("sparse per-head", 0.25), s10 = headline("sparse per-head", 0.10);
  const double cap = headline("capture", 1.0);

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
