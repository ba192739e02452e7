#include "engine/core/TokenGrid.h"

#include <cstdio>

#include "engine/core/Error.h"

namespace attnscope {

std::string TokenGrid::str() const {
  return std::to_string(frames) + "x" + std::to_string(height) + "x" + std::to_string(width);
}

TokenGrid TokenGrid::parse(const std::string& text) {
  TokenGrid g;
  long long f = 0, h = 0, w = 0, t = 0;
  char tail = 0;
  int n = std::sscanf(text.c_str(), "%lldx%lldx%lld+%lld%c", &f, &h, &w, &t, &tail);
  if ((n != 3 && n != 4) || f <= 0 || h <= 0 || w <= 0 || t < 0)
    throw Error("token grid '" + text + "' is not of the form FRAMESxHEIGHTxWIDTH[+TEXT]");
  g.frames = f;
  g.height = h;
  g.width = w;
  g.text = t;
  return g;
}

}  // namespace attnscope
