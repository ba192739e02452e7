#include "engine/training/PromptProbe.h"

#include "engine/pipeline/Pipeline.h"
#include "engine/procedural/ProceduralVideo.h"

namespace attnscope {

PromptProbeResult probePromptFollowing(const Model& model, int scenes, int steps) {
  const auto& d = model.config.defaults;
  const SceneSize size{d.frames, d.height, d.width};
  PromptProbeResult r;
  for (int i = 0; i < scenes; ++i) {
    SceneSpec scene = sampleScene(kHeldOutSeedBase + uint64_t(i), size);
    GenerationRequest request;
    request.prompt = scene.caption;
    request.seed = uint64_t(i);
    request.steps = steps;
    MainShapeEstimate seen = estimateMainShape(generate(model, request).video);
    const ShapeSpec& main = scene.shapes.front();
    ++r.scenes;
    if (seen.colour == main.colour) ++r.colourHits;
    if (isTranslation(main.motion)) {
      ++r.directionScenes;
      if (seen.direction == main.motion) ++r.directionHits;
    }
  }
  return r;
}

}  // namespace attnscope
