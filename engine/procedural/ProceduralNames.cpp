// Names and colours of the procedural vocabulary: every name here is a word
// (or hyphenated words) of assets/default/vocab.txt.
#include "engine/core/Error.h"
#include "engine/procedural/ProceduralVideo.h"

namespace attnscope {

const std::vector<NamedColour>& shapePalette() {
  // Saturated and far apart (nearest pair ≈ 105 in RGB), all far from the
  // grey / lightly tinted backgrounds whose chroma stays below 30.
  static const std::vector<NamedColour> palette = {
      {"red", 225, 30, 30},    {"orange", 250, 130, 0},  {"yellow", 240, 235, 50}, {"green", 40, 180, 60},
      {"cyan", 30, 200, 220},  {"blue", 40, 80, 235},    {"purple", 140, 50, 200}, {"pink", 245, 110, 190},
  };
  return palette;
}

std::string motionName(Motion motion) {
  switch (motion) {
    case Motion::Still: return "still";
    case Motion::Left: return "left";
    case Motion::Right: return "right";
    case Motion::Up: return "up";
    case Motion::Down: return "down";
    case Motion::UpLeft: return "up-left";
    case Motion::UpRight: return "up-right";
    case Motion::DownLeft: return "down-left";
    case Motion::DownRight: return "down-right";
    case Motion::Bounce: return "bounce";
    case Motion::Rotate: return "rotate";
    case Motion::Grow: return "grow";
    case Motion::Shrink: return "shrink";
  }
  throw Error("unknown motion " + std::to_string(static_cast<int>(motion)));
}

std::string shapeKindName(ShapeKind kind) {
  switch (kind) {
    case ShapeKind::Circle: return "circle";
    case ShapeKind::Square: return "square";
    case ShapeKind::Triangle: return "triangle";
    case ShapeKind::Star: return "star";
    case ShapeKind::Ring: return "ring";
    case ShapeKind::Diamond: return "diamond";
    case ShapeKind::Cross: return "cross";
  }
  throw Error("unknown shape kind " + std::to_string(static_cast<int>(kind)));
}

std::string textureName(int texture) {
  static const char* names[kTextureCount] = {"plain", "striped", "checkered", "dotted", "noisy"};
  if (texture < 0 || texture >= kTextureCount)
    throw Error("background texture " + std::to_string(texture) + " is not one of 0.." +
                std::to_string(kTextureCount - 1));
  return names[texture];
}

bool isTranslation(Motion motion) {
  switch (motion) {
    case Motion::Left: case Motion::Right: case Motion::Up: case Motion::Down:
    case Motion::UpLeft: case Motion::UpRight: case Motion::DownLeft: case Motion::DownRight:
      return true;
    default:
      return false;
  }
}

}  // namespace attnscope
