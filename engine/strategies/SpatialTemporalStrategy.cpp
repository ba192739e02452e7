// "spatial-temporal" (after Sparse VideoGen): every head is either spatial
// (attends within its own frames) or temporal (attends to the same spatial
// region in every frame). Both candidate masks are built on the block boxes:
//   spatial:  key blocks within `frames`*scale frames of the query block, any (y, x);
//   temporal: key blocks within `radius`*scale tokens in y and x, any frame;
// each plus the head's `sinks` heaviest key blocks. The head takes the mask
// whose recall beats its density by more (kept mass - density), i.e. the type
// that explains its attention better than a random mask of the same size;
// ties go to spatial. A candidate that keeps every block is no sparse option
// and loses to one that does not (with linear layouts whose blocks span whole
// frames the temporal mask is always full, so every head is spatial: use a
// tiled layout to tell the types apart). Sparse VideoGen picks by the error of
// sampled rows; on a pooled map the recall is the same quantity without the
// sampling.
#include <algorithm>

#include "engine/strategies/BuiltinStrategies.h"
#include "engine/strategies/StrategySupport.h"

namespace attnscope {

Strategy makeSpatialTemporalStrategy() {
  Strategy s;
  s.name = "spatial-temporal";
  s.summary = "classify each head as spatial or temporal (Sparse VideoGen) and give it that type's mask";
  s.params = {
      {"frames", 1, 0, 1e6, true, "spatial mask: half-width along time, in frames (tokens)"},
      {"radius", 2, 0, 1e6, true, "temporal mask: half-width along y and x, in tokens"},
      {"sinks", 1, 0, 1e6, true, "the head's heaviest key blocks, kept in every row of both masks"},
      {"scale", 1.0, 0.0, 1e3, false, "multiplies frames and radius"},
  };
  s.densityKnob = "scale";
  std::vector<StrategyParam> spec = s.params;
  s.build = [spec](const PooledMaps& maps, const StrategyParams& params) {
    const double scale = paramValue(params, spec, "scale");
    const double frames = paramValue(params, spec, "frames") * scale;
    const double radius = paramValue(params, spec, "radius") * scale;
    const int64_t sinks = std::min<int64_t>(int64_t(paramValue(params, spec, "sinks")), maps.nk);
    const std::vector<BlockBox> boxes = blockBoxes(maps);
    BlockMask spatial(maps.nq, maps.nk, false), temporal(maps.nq, maps.nk, false);
    for (int64_t q = 0; q < maps.nq; ++q)
      for (int64_t k = 0; k < maps.nk; ++k) {
        const BoxGaps g = boxGaps(boxes[q], boxes[k]);
        spatial.set(q, k, g.f <= frames || q == k);
        temporal.set(q, k, (g.y <= radius && g.x <= radius) || q == k);
      }
    return buildPerHead(maps, [&](int64_t l, int64_t h, BlockMask& mask) {
      const std::vector<int64_t> order = sinkBlockOrder(maps, l, h);
      auto withSinks = [&](BlockMask m) {
        for (int64_t q = 0; q < maps.nq; ++q)
          for (int64_t i = 0; i < sinks; ++i) m.set(q, order[i], true);
        return m;
      };
      BlockMask a = withSinks(spatial), b = withSinks(temporal);
      const double liftA = headKeptMass(maps, l, h, a) - a.density();
      const double liftB = headKeptMass(maps, l, h, b) - b.density();
      const bool fullA = a.full(), fullB = b.full();
      const bool temporal = fullA != fullB ? fullA : liftB > liftA;
      mask = temporal ? std::move(b) : std::move(a);
    });
  };
  return s;
}

}  // namespace attnscope
