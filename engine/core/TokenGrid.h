#pragma once
// TokenGrid: the latent video as tokens, frames x height x width patches in
// natural order (index = f*H*W + y*W + x), plus `text` tokens that the video
// cross-attends to.
#include <cstdint>
#include <string>

namespace attnscope {

struct TokenGrid {
  int64_t frames = 0;
  int64_t height = 0;
  int64_t width = 0;
  int64_t text = 0;

  int64_t videoTokens() const { return frames * height * width; }
  int64_t tokensPerFrame() const { return height * width; }
  // "16x8x8" (frames x height x width); text tokens are listed separately.
  std::string str() const;
  // Parses "FxHxW" or "FxHxW+T"; throws Error on anything else.
  static TokenGrid parse(const std::string& text);

  bool operator==(const TokenGrid& o) const {
    return frames == o.frames && height == o.height && width == o.width && text == o.text;
  }
  bool operator!=(const TokenGrid& o) const { return !(*this == o); }
};

// Position of a natural-order token in the grid.
struct TokenCoord {
  int64_t f, y, x;
};
inline TokenCoord tokenCoord(const TokenGrid& g, int64_t index) {
  return {index / (g.height * g.width), (index / g.width) % g.height, index % g.width};
}

}  // namespace attnscope
