#pragma once
// Checks on the sizes scenes are drawn at, shared by sampling and rendering.
#include "engine/procedural/ProceduralVideo.h"

namespace attnscope::procedural {

// Throws Error naming the field unless frames ≥ 2, height and width ≥ 8 and
// the clip fits comfortably in memory (≤ 1 GiB of RGB).
void checkSceneSize(const SceneSize& size);

}  // namespace attnscope::procedural
