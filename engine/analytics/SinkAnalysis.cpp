#include "engine/analytics/SinkAnalysis.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "engine/core/Error.h"

namespace attnscope {

namespace {

void checkOptions(const SinkOptions& o) {
  if (!(o.ratio > 1.0)) throw Error("sink ratio must be > 1 (times the uniform share), got " + std::to_string(o.ratio));
  if (!(o.textRatio > 1.0))
    throw Error("text sink ratio must be > 1 (times the uniform share), got " + std::to_string(o.textRatio));
  if (o.maxPerHead < 1) throw Error("sinks listed per head must be >= 1, got " + std::to_string(o.maxPerHead));
  if (o.primaryLayers < 0) throw Error("primary sink layers must be >= 0, got " + std::to_string(o.primaryLayers));
}

// Tokens of `mass` [n] at or above `threshold`, heaviest first (ties: lower index).
std::vector<int64_t> above(const float* mass, int64_t n, double threshold) {
  std::vector<int64_t> hits;
  for (int64_t j = 0; j < n; ++j)
    if (mass[j] >= threshold) hits.push_back(j);
  std::stable_sort(hits.begin(), hits.end(), [mass](int64_t a, int64_t b) { return mass[a] > mass[b]; });
  return hits;
}

// The longest run of consecutive integers in a sorted set.
int longestRun(const std::set<int>& layers) {
  int best = 0, run = 0, previous = -2;
  for (int l : layers) {
    run = l == previous + 1 ? run + 1 : 1;
    best = std::max(best, run);
    previous = l;
  }
  return best;
}

}  // namespace

SinkReport findSinks(const AttentionAtlas& atlas, const SinkOptions& options) {
  checkOptions(options);
  if (atlas.entries.empty()) throw Error("sink analysis: the atlas of model '" + atlas.modelId + "' has no entries");
  SinkReport r;
  r.options = options;
  if (r.options.primaryLayers == 0) r.options.primaryLayers = std::max<int>(2, int((atlas.layers + 1) / 2));
  r.grid = atlas.grid;
  r.textTokens = atlas.textTokens;
  r.capturedSteps = int(atlas.capturedSteps().size());
  const int64_t n = atlas.grid.videoTokens(), T = atlas.grid.text;
  const double threshold = options.ratio / double(n), textThreshold = T > 0 ? options.textRatio / double(T) : 2.0;
  r.sinkCount.assign(n, 0);
  r.meanRatio.assign(n, 0.0);

  // token -> step -> layers where it is a sink (any head)
  std::map<int64_t, std::map<int, std::set<int>>> seen;
  std::map<int64_t, double> massSum;
  int64_t heads = 0;
  for (const AtlasEntry& e : atlas.entries) {
    r.hasCross = r.hasCross || !e.cross.empty();
    for (int64_t h = 0; h < atlas.heads; ++h, ++heads) {
      const float* sink = e.sink.data() + h * n;
      for (int64_t j = 0; j < n; ++j) r.meanRatio[j] += double(sink[j]) * double(n);
      std::vector<int64_t> hits = above(sink, n, threshold);
      HeadSinkShare share{e.step, e.layer, int(h), int(hits.size()), 0.0};
      for (size_t i = 0; i < hits.size(); ++i) {
        const int64_t j = hits[i];
        share.share += sink[j];
        r.sinkCount[j] += 1;
        seen[j][e.step].insert(e.layer);
        massSum[j] += sink[j];
        if (int(i) < options.maxPerHead)
          r.video.push_back({e.step, e.layer, int(h), j, double(sink[j]), double(sink[j]) * double(n)});
      }
      r.shares.push_back(share);

      if (e.cross.empty() || T == 0) continue;
      // Mean over queries of the cross probabilities: [N, T] -> [T].
      std::vector<float> received(T, 0.0f);
      std::vector<double> sum(T, 0.0);
      const float* cross = e.cross.data() + h * n * T;
      for (int64_t i = 0; i < n; ++i)
        for (int64_t t = 0; t < T; ++t) sum[t] += cross[i * T + t];
      for (int64_t t = 0; t < T; ++t) received[t] = float(sum[t] / double(n));
      std::vector<int64_t> textHits = above(received.data(), T, textThreshold);
      for (size_t i = 0; i < textHits.size() && int(i) < options.maxPerHead; ++i) {
        const int64_t t = textHits[i];
        r.text.push_back({e.step, e.layer, int(h), t, double(received[t]), double(received[t]) * double(T)});
      }
    }
  }
  for (double& v : r.meanRatio) v /= double(heads);

  for (const auto& [token, bySteps] : seen) {
    SinkToken t;
    t.token = token;
    t.at = tokenCoord(atlas.grid, token);
    t.appearances = r.sinkCount[token];
    t.steps = int(bySteps.size());
    t.firstLayer = int(atlas.layers);
    for (const auto& [step, layers] : bySteps) {
      t.longestRun = std::max(t.longestRun, longestRun(layers));
      t.firstLayer = std::min(t.firstLayer, *layers.begin());
    }
    t.meanMass = massSum[token] / double(t.appearances);
    t.primary = t.longestRun >= r.options.primaryLayers;
    r.tokens.push_back(t);
  }
  std::stable_sort(r.tokens.begin(), r.tokens.end(), [](const SinkToken& a, const SinkToken& b) {
    return a.appearances != b.appearances ? a.appearances > b.appearances : a.token < b.token;
  });
  return r;
}

}  // namespace attnscope
