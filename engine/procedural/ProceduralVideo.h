#pragma once
// Procedural videos for training and evaluating the default model: one to
// three shapes with colours, sizes and motions over a plain or textured
// background, each scene reproducible from its seed, captioned from a small
// grammar whose words are in assets/default/vocab.txt, and knowing its own
// ground truth (shapes, colours, paths). No LibTorch: the trainer turns the
// frames into latents itself.
//
// CONTRACT (issue 3): the trainer and the evaluation build against these
// declarations; they may grow, but keep these signatures.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/io/Video.h"

namespace attnscope {

enum class ShapeKind { Circle, Square, Triangle, Star, Ring, Diamond, Cross };
enum class Motion { Still, Left, Right, Up, Down, UpLeft, UpRight, DownLeft, DownRight, Bounce, Rotate, Grow, Shrink };
constexpr int kMotionCount = static_cast<int>(Motion::Shrink) + 1;

struct NamedColour {
  std::string name;  // a vocabulary word ("red")
  uint8_t r, g, b;
};
// The colours shapes are drawn in (index = ShapeSpec::colour).
const std::vector<NamedColour>& shapePalette();
std::string motionName(Motion motion);  // "left", "up-left", "bounce", ...
std::string shapeKindName(ShapeKind kind);  // "circle", "square", ...
// Background textures (SceneSpec::texture): plain, striped, checkered, dotted, noisy.
constexpr int kTextureCount = 5;
std::string textureName(int texture);
// True for the eight straight-line motions (Left ... DownRight).
bool isTranslation(Motion motion);

struct ShapeSpec {
  ShapeKind kind = ShapeKind::Circle;
  int colour = 0;       // index into shapePalette()
  double radius = 8;    // pixels at frame 0
  Motion motion = Motion::Still;
  double x = 32, y = 32;  // centre at frame 0, pixels
  double speed = 1.5;     // pixels per frame (translations, bounce), radians per frame (rotate),
                          // pixels of radius per frame (grow, shrink)
  double angle = 0;       // orientation at frame 0, radians (clockwise on screen)
  double bounceHeight = 0;  // bounce: height of each hop above the start, pixels
};

struct SceneSpec {
  uint64_t seed = 0;
  bool darkBackground = true;
  int texture = 0;                // plain, striped, checkered, dotted, noisy
  std::vector<ShapeSpec> shapes;  // shapes[0] is the main shape: named first, largest
  std::string caption;            // "a red circle moves left on a dark background"
  // How the background looks (drawn by sampleScene; any values render).
  std::array<uint8_t, 3> backgroundRgb = {40, 40, 40};  // base colour
  int textureContrast = 20;  // grey levels the texture adds (dark) or removes (light)
  int texturePeriod = 8;     // pixels: stripe / checker / dot spacing
  int stripeOrientation = 0;  // 0 horizontal, 1 vertical, 2 diagonal
};

struct SceneSize {
  int64_t frames = 16, height = 64, width = 64;
};

// Seeds at or above this are never drawn for training: evaluation uses them.
constexpr uint64_t kHeldOutSeedBase = 1ull << 40;

// Scene coordinates are pixels of the size the scene is drawn for; pixel
// (i, j) is sampled at (x, y) = (i, j). The caption always fits the model's
// text encoder: at most kMaxCaptionWords words, all in assets/default/vocab.txt.
// Sizes below 2 frames or 8×8 pixels, or too large to hold, throw Error.
SceneSpec sampleScene(uint64_t seed, const SceneSize& size = {});
// Anti-aliased RGB frames at 8 fps; shapes[0] is drawn last (on top). Throws
// Error naming the field when the scene or size cannot be drawn.
VideoFrames renderScene(const SceneSpec& scene, const SceneSize& size = {});
// Ground truth: centre (x, y) in pixels of every shape in every frame, [frame][shape].
std::vector<std::vector<std::array<double, 2>>> shapeCentres(const SceneSpec& scene, const SceneSize& size = {});

constexpr int kMaxCaptionWords = 16;
// The caption the grammar gives a scene (what sampleScene stores): the main
// shape's clause first, then the other shapes, then the background, dropping
// detail (texture word, other shapes' motions, their names) until it fits.
std::string captionFor(const SceneSpec& scene);

// What simple image analysis sees in a (generated) video: the dominant
// foreground colour, the centroid track of the pixels of that colour, and the
// translational direction of that track. It knows the palette, nothing of
// the scene or the model. Throws Error on an empty or inconsistent video.
struct MainShapeEstimate {
  int colour = -1;                           // index into shapePalette(), -1 = no coloured blob found
  Motion direction = Motion::Still;          // Still / Left / ... / DownRight only
  std::vector<std::array<double, 2>> track;  // centroid per frame, NaN where the colour is absent
};
MainShapeEstimate estimateMainShape(const VideoFrames& video);

}  // namespace attnscope
