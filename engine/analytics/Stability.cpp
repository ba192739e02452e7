#include "engine/analytics/Stability.h"

#include <cmath>
#include <limits>

#include "engine/core/Error.h"

namespace attnscope {

namespace {

struct StepData {
  PooledMaps maps;
  std::vector<BlockMask> masks;
  double density = 0;
};

std::vector<StepData> perStep(const AttentionAtlas& atlas, const StabilityOptions& o) {
  std::vector<StepData> data;
  for (int step : atlas.capturedSteps()) {
    DeriveRequest request;
    request.strategy = o.strategy;
    request.params = o.params;
    request.targetDensity = o.density;
    request.step = step;
    DeriveResult derived = derivePlan(atlas, request);
    data.push_back({PooledMaps::fromAtlas(atlas, step), std::move(derived.plan.masks), derived.density});
  }
  return data;
}

void checkComparable(const AttentionAtlas& a, const AttentionAtlas& b) {
  auto differ = [&](const std::string& field, const std::string& x, const std::string& y) {
    return Error("stability: the two atlases differ in " + field + " (" + x + " vs " + y + ")");
  };
  if (a.grid.videoTokens() != b.grid.videoTokens() || a.grid.str() != b.grid.str())
    throw differ("token grid", a.grid.str(), b.grid.str());
  if (a.layout != b.layout) throw differ("layout", a.layout.str(), b.layout.str());
  if (a.layers != b.layers) throw differ("layers", std::to_string(a.layers), std::to_string(b.layers));
  if (a.heads != b.heads) throw differ("heads", std::to_string(a.heads), std::to_string(b.heads));
}

StabilityReport build(const AttentionAtlas& rows, const AttentionAtlas& cols, const StabilityOptions& o,
                      bool same) {
  if (!(o.density > 0.0 && o.density <= 1.0))
    throw Error("stability: mask density " + std::to_string(o.density) + " is outside (0, 1]");
  StabilityReport r;
  r.options = o;
  r.rowModel = rows.modelId;
  r.colModel = cols.modelId;
  r.rowSteps = rows.capturedSteps();
  r.colSteps = cols.capturedSteps();
  std::vector<StepData> a = perStep(rows, o);
  std::vector<StepData> b = same ? std::vector<StepData>() : perStep(cols, o);
  const std::vector<StepData>& bb = same ? a : b;
  for (const StepData& d : a) r.rowDensity.push_back(d.density);
  for (const StepData& d : bb) r.colDensity.push_back(d.density);
  for (const StepData& x : a)
    for (const StepData& y : bb) {
      const PooledMaps &m = x.maps, &n = y.maps;
      double sum = 0;
      const int64_t cells = m.nq * m.nk;
      for (int64_t i = 0; i < m.layers * m.heads; ++i)
        sum += pearson(m.pooled.data() + i * cells, n.pooled.data() + i * cells, cells);
      r.correlation.push_back(sum / double(m.layers * m.heads));
      r.jaccard.push_back(jaccard(x.masks, y.masks));
    }
  if (same)
    for (size_t i = 0; i < r.rowSteps.size(); ++i) {
      double sum = 0;
      for (size_t j = i + 1; j < r.colSteps.size(); ++j) sum += r.at(r.jaccard, i, j);
      const size_t later = r.colSteps.size() - i - 1;
      r.laterJaccard.push_back(later ? sum / double(later) : std::numeric_limits<double>::quiet_NaN());
    }
  return r;
}

}  // namespace

double pearson(const float* a, const float* b, int64_t n) {
  if (n <= 0) return 0.0;
  double ma = 0, mb = 0;
  for (int64_t i = 0; i < n; ++i) ma += a[i], mb += b[i];
  ma /= double(n);
  mb /= double(n);
  double cov = 0, va = 0, vb = 0;
  for (int64_t i = 0; i < n; ++i) {
    cov += (a[i] - ma) * (b[i] - mb);
    va += (a[i] - ma) * (a[i] - ma);
    vb += (b[i] - mb) * (b[i] - mb);
  }
  if (va <= 0 || vb <= 0) return va == vb ? 1.0 : 0.0;  // constant maps: alike only if both are
  return cov / std::sqrt(va * vb);
}

double jaccard(const std::vector<BlockMask>& a, const std::vector<BlockMask>& b) {
  if (a.size() != b.size()) throw Error("jaccard: " + std::to_string(a.size()) + " masks vs " + std::to_string(b.size()));
  int64_t both = 0, either = 0;
  for (size_t m = 0; m < a.size(); ++m) {
    if (a[m].nq() != b[m].nq() || a[m].nk() != b[m].nk()) throw Error("jaccard: masks of different sizes");
    const auto &x = a[m].bytes(), &y = b[m].bytes();
    for (size_t i = 0; i < x.size(); ++i) {
      both += x[i] && y[i];
      either += x[i] || y[i];
    }
  }
  return either ? double(both) / double(either) : 1.0;
}

StabilityReport compareSteps(const AttentionAtlas& atlas, const StabilityOptions& options) {
  return build(atlas, atlas, options, true);
}

StabilityReport compareAtlases(const AttentionAtlas& rows, const AttentionAtlas& cols, const StabilityOptions& options) {
  checkComparable(rows, cols);
  return build(rows, cols, options, false);
}

}  // namespace attnscope
