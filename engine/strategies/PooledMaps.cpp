// PooledMaps::fromAtlas: gather one step's maps, or the mean over every
// captured step, into flat [layers, heads, ...] buffers.
#include <algorithm>
#include <map>
#include <set>

#include "engine/core/Error.h"
#include "engine/strategies/Strategy.h"

namespace attnscope {

namespace {

std::string listSteps(const std::set<int>& steps) {
  std::string text;
  for (int s : steps) text += (text.empty() ? "" : ", ") + std::to_string(s);
  return text;
}

}  // namespace

PooledMaps PooledMaps::fromAtlas(const AttentionAtlas& atlas, int step) {
  std::string atlasName = "attention atlas of model '" + atlas.modelId + "'";
  if (atlas.entries.empty()) throw Error(atlasName + " has no captured entries");
  atlas.layout.validate(atlas.grid);

  PooledMaps maps;
  maps.grid = atlas.grid;
  maps.layout = atlas.layout;
  maps.layers = atlas.layers;
  maps.heads = atlas.heads;
  maps.nq = maps.nk = atlas.layout.numBlocks(atlas.grid);
  int64_t n = atlas.grid.videoTokens();
  int64_t pooledPerLayer = maps.heads * maps.nq * maps.nk, sinkPerLayer = maps.heads * n;

  // Index entries by (step, layer); read atlas.entries directly.
  std::map<std::pair<int, int>, const AtlasEntry*> byKey;
  std::set<int> captured;
  for (const AtlasEntry& e : atlas.entries) {
    byKey.emplace(std::make_pair(e.step, e.layer), &e);
    captured.insert(e.step);
  }
  std::vector<int> steps;
  if (step < 0) {
    steps.assign(captured.begin(), captured.end());
  } else {
    if (!captured.count(step))
      throw Error(atlasName + " has no captured step " + std::to_string(step) + " (captured: " +
                  listSteps(captured) + ")");
    steps = {step};
  }

  std::vector<double> pooled(maps.layers * pooledPerLayer, 0.0), sink(maps.layers * sinkPerLayer, 0.0);
  for (int s : steps)
    for (int64_t l = 0; l < maps.layers; ++l) {
      auto it = byKey.find({s, int(l)});
      std::string where = "step " + std::to_string(s) + ", layer " + std::to_string(l);
      if (it == byKey.end()) throw Error(atlasName + " has no capture for " + where);
      const AtlasEntry& e = *it->second;
      if (int64_t(e.pooled.size()) != pooledPerLayer)
        throw Error(atlasName + ": pooled map of " + where + " has " + std::to_string(e.pooled.size()) +
                    " values, expected " + std::to_string(pooledPerLayer) + " (heads x nq x nk)");
      if (int64_t(e.sink.size()) != sinkPerLayer)
        throw Error(atlasName + ": sink vector of " + where + " has " + std::to_string(e.sink.size()) +
                    " values, expected " + std::to_string(sinkPerLayer) + " (heads x tokens)");
      std::transform(e.pooled.begin(), e.pooled.end(), pooled.begin() + l * pooledPerLayer,
                     pooled.begin() + l * pooledPerLayer, [](float v, double acc) { return acc + v; });
      std::transform(e.sink.begin(), e.sink.end(), sink.begin() + l * sinkPerLayer, sink.begin() + l * sinkPerLayer,
                     [](float v, double acc) { return acc + v; });
    }

  double count = double(steps.size());
  maps.pooled.resize(pooled.size());
  maps.sink.resize(sink.size());
  std::transform(pooled.begin(), pooled.end(), maps.pooled.begin(), [count](double v) { return float(v / count); });
  std::transform(sink.begin(), sink.end(), maps.sink.begin(), [count](double v) { return float(v / count); });
  return maps;
}

}  // namespace attnscope
