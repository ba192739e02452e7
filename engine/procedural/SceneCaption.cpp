// The caption grammar:
//   caption  := main-clause { other-clause } background
//   main     := article colour kind motion-phrase      (article: "a" / "an")
//   others   := { "and" article colour kind motion-phrase }
//               [ "with" article colour kind { "and" article colour kind } ]
//             | "with two shapes" (both others at once)
//   background := "on a" tone [texture] "background"
// Detail is dropped, least important first (texture word, then the other
// shapes' motions, then their names), until the caption fits kMaxCaptionWords.
#include <sstream>
#include <string>
#include <vector>

#include "engine/core/Error.h"
#include "engine/procedural/ProceduralVideo.h"

namespace attnscope {
namespace {

std::vector<std::string> motionPhrase(Motion motion) {
  switch (motion) {
    case Motion::Still: return {"is", "still"};
    case Motion::Left: return {"moves", "left"};
    case Motion::Right: return {"moves", "right"};
    case Motion::Up: return {"moves", "up"};
    case Motion::Down: return {"moves", "down"};
    case Motion::UpLeft: return {"moves", "up", "left"};
    case Motion::UpRight: return {"moves", "up", "right"};
    case Motion::DownLeft: return {"moves", "down", "left"};
    case Motion::DownRight: return {"moves", "down", "right"};
    case Motion::Bounce: return {"bounces"};
    case Motion::Rotate: return {"rotates"};
    case Motion::Grow: return {"grows"};
    case Motion::Shrink: return {"shrinks"};
  }
  return {};
}

std::vector<std::string> shapeNoun(const ShapeSpec& s) {
  const auto& palette = shapePalette();
  if (s.colour < 0 || s.colour >= static_cast<int>(palette.size()))
    throw Error("shape colour " + std::to_string(s.colour) + " is not a palette index (0.." +
                std::to_string(palette.size() - 1) + ")");
  const std::string& colour = palette[s.colour].name;
  const bool vowel = std::string("aeiou").find(colour[0]) != std::string::npos;
  return {vowel ? "an" : "a", colour, shapeKindName(s.kind)};
}

void append(std::vector<std::string>& to, const std::vector<std::string>& words) {
  to.insert(to.end(), words.begin(), words.end());
}

// fullClauses counts shapes (main included) described with their motion;
// summarise names the other shapes only by their number.
std::vector<std::string> build(const SceneSpec& scene, bool texture, size_t fullClauses, bool summarise) {
  std::vector<std::string> w = shapeNoun(scene.shapes[0]);
  append(w, motionPhrase(scene.shapes[0].motion));
  if (summarise) {
    append(w, {"with", scene.shapes.size() == 2 ? "a" : scene.shapes.size() == 3 ? "two" : "three", "shape"});
    if (scene.shapes.size() > 2) w.back() = "shapes";
  } else {
    for (size_t i = 1; i < scene.shapes.size(); ++i) {
      // "with a cyan circle and a purple circle": one "with" for the unnamed-motion list.
      w.push_back(i == fullClauses ? "with" : "and");
      append(w, shapeNoun(scene.shapes[i]));
      if (i < fullClauses) append(w, motionPhrase(scene.shapes[i].motion));
    }
  }
  append(w, {"on", "a", scene.darkBackground ? "dark" : "light"});
  if (texture && scene.texture != 0) w.push_back(textureName(scene.texture));
  w.push_back("background");
  return w;
}

}  // namespace

std::string captionFor(const SceneSpec& scene) {
  if (scene.shapes.empty()) throw Error("scene " + std::to_string(scene.seed) + " has no shapes to caption");
  if (scene.shapes.size() > 4)
    throw Error("scene " + std::to_string(scene.seed) + " has " + std::to_string(scene.shapes.size()) +
                " shapes; captions describe at most four");
  std::vector<std::string> words;
  bool fits = false;
  auto attempt = [&](bool texture, size_t full, bool summarise) {
    if (fits) return;
    words = build(scene, texture, full, summarise);
    fits = words.size() <= static_cast<size_t>(kMaxCaptionWords);
  };
  for (size_t full = scene.shapes.size(); full >= 1; --full) {
    attempt(true, full, false);
    attempt(false, full, false);
  }
  attempt(true, 1, true);
  attempt(false, 1, true);
  if (!fits)
    throw Error("scene " + std::to_string(scene.seed) + " with " + std::to_string(scene.shapes.size()) +
                " shapes cannot be captioned in " + std::to_string(kMaxCaptionWords) + " words");
  std::ostringstream out;
  for (size_t i = 0; i < words.size(); ++i) out << (i ? " " : "") << words[i];
  return out.str();
}

}  // namespace attnscope
