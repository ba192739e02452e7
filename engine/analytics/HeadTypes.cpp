#include "engine/analytics/HeadTypes.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/core/Error.h"

namespace attnscope {

namespace {

void checkOptions(const HeadTypeOptions& o) {
  const std::pair<const char*, double> shares[] = {
      {"sink share", o.sinkShare}, {"spatial share", o.spatialShare}, {"temporal share", o.temporalShare}};
  for (const auto& [name, v] : shares)
    if (!(v >= 0.0 && v <= 1.0)) throw Error(std::string(name) + " threshold must lie in [0, 1], got " + std::to_string(v));
  if (o.windowFrames < 0 || o.windowHeight < 0 || o.windowWidth < 0)
    throw Error("head-type window half-widths must be >= 0, got " + std::to_string(o.windowFrames) + "x" +
                std::to_string(o.windowHeight) + "x" + std::to_string(o.windowWidth));
}

struct Shares {
  double spatial = 0, temporal = 0, window = 0, windowOther = 0;  // windowOther: window outside spatial/temporal
};

// One head's offset histogram [2F-1, 2H-1, 2W-1] split into the shares.
Shares splitOffsets(const float* hist, const TokenGrid& g, const HeadTypeOptions& o) {
  Shares s;
  const int64_t F = g.frames, H = g.height, W = g.width;
  for (int64_t df = -(F - 1); df <= F - 1; ++df)
    for (int64_t dy = -(H - 1); dy <= H - 1; ++dy)
      for (int64_t dx = -(W - 1); dx <= W - 1; ++dx) {
        const double m = hist[((df + F - 1) * (2 * H - 1) + dy + H - 1) * (2 * W - 1) + dx + W - 1];
        const bool spatial = df == 0, temporal = df != 0 && dy == 0 && dx == 0;
        const bool window = std::abs(df) <= o.windowFrames && std::abs(dy) <= o.windowHeight && std::abs(dx) <= o.windowWidth;
        if (spatial) s.spatial += m;
        if (temporal) s.temporal += m;
        if (window) s.window += m;
        if (window && !spatial && !temporal) s.windowOther += m;
      }
  return s;
}

HeadType classify(const HeadProfile& p, const HeadTypeOptions& o, bool hasOffsets) {
  if (p.sink >= o.sinkShare) return HeadType::SinkDominated;
  if (!hasOffsets) return HeadType::Unknown;
  if (p.spatial >= o.spatialShare) return HeadType::Spatial;
  if (p.temporal >= o.temporalShare) return HeadType::Temporal;
  return HeadType::Global;
}

}  // namespace

const char* headTypeName(HeadType type) {
  switch (type) {
    case HeadType::Spatial: return "spatial";
    case HeadType::Temporal: return "temporal";
    case HeadType::Global: return "global";
    case HeadType::SinkDominated: return "sink";
    case HeadType::Unknown: break;
  }
  return "unknown";
}

int HeadTypeReport::count(HeadType type) const {
  int c = 0;
  for (const HeadProfile& p : heads) c += p.type == type;
  return c;
}

HeadTypeReport classifyHeads(const AttentionAtlas& atlas, const HeadTypeOptions& options) {
  checkOptions(options);
  if (atlas.entries.empty()) throw Error("head types: the atlas of model '" + atlas.modelId + "' has no entries");
  HeadTypeReport r;
  r.options = options;
  const std::vector<int> captured = atlas.capturedSteps();
  if (options.step < 0) {
    r.steps = captured;
  } else {
    if (std::find(captured.begin(), captured.end(), options.step) == captured.end()) {
      std::string list;
      for (int s : captured) list += (list.empty() ? "" : ", ") + std::to_string(s);
      throw Error("head types: the atlas has no captured step " + std::to_string(options.step) + " (captured: " + list + ")");
    }
    r.steps = {options.step};
  }
  r.hasOffsets = atlas.hasOffsets();
  if (!r.hasOffsets)
    r.note = "the atlas has no offset histograms (captured by an older build): spatial, temporal, window and rest "
             "shares cannot be computed; capture again to get them. Sink shares and entropy are exact.";
  const TokenGrid& g = atlas.grid;
  const int64_t n = g.videoTokens(), bins = atlas.offsetBins();
  r.uniformSpatial = 1.0 / double(g.frames);
  r.uniformTemporal = double(g.frames - 1) / double(n);
  const double threshold = options.sinks.ratio / double(n);
  const double nan = std::numeric_limits<double>::quiet_NaN();

  for (int64_t l = 0; l < atlas.layers; ++l)
    for (int64_t h = 0; h < atlas.heads; ++h) {
      HeadProfile p;
      p.layer = int(l);
      p.head = int(h);
      Shares sum;
      for (int step : r.steps) {
        const AtlasEntry* e = atlas.find(step, int(l));
        if (!e)
          throw Error("head types: the atlas has no capture for step " + std::to_string(step) + ", layer " +
                      std::to_string(l));
        const float* sink = e->sink.data() + h * n;
        for (int64_t j = 0; j < n; ++j)
          if (sink[j] >= threshold) p.sink += sink[j];
        double entropy = 0;
        for (int64_t i = 0; i < n; ++i) entropy += e->entropy[h * n + i];
        p.entropy += entropy / double(n);
        if (r.hasOffsets) {
          Shares s = splitOffsets(e->offsets.data() + h * bins, g, options);
          sum.spatial += s.spatial;
          sum.temporal += s.temporal;
          sum.window += s.window;
          sum.windowOther += s.windowOther;
        }
      }
      const double count = double(r.steps.size());
      p.sink /= count;
      p.entropy /= count;
      p.normalizedEntropy = n > 1 ? p.entropy / std::log(double(n)) : 0.0;
      if (r.hasOffsets) {
        p.spatial = sum.spatial / count;
        p.temporal = sum.temporal / count;
        p.window = sum.window / count;
        p.rest = std::max(0.0, 1.0 - p.spatial - p.temporal - sum.windowOther / count);
      } else {
        p.spatial = p.temporal = p.window = p.rest = nan;
      }
      p.type = classify(p, options, r.hasOffsets);
      r.heads.push_back(p);
    }
  return r;
}

}  // namespace attnscope
