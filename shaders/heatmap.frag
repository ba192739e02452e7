#version 450
#extension GL_GOOGLE_include_directive : require
// The atlas heatmap, one fragment per viewport pixel: find the map and block
// under the pixel (viz/GridLayout.h), take its colour (computed here, or
// read from the per-block colours blockcolours.comp wrote when blocks are
// fewer than pixels), dim and hatch dropped mask blocks, draw frame
// boundaries and the current head's highlight ring.
// Every formula here has a CPU twin in viz/ that the tests compare against.

layout(location = 0) out vec4 outColour;

#include "heatmap_common.glsl"

// Which colour path this pipeline variant takes (a specialization constant:
// a uniform branch would still cost both sides on a CPU driver like lavapipe).
layout(constant_id = 0) const int kPerBlock = 0;

// [cell = layer * heads + head (grid) or 0 (zoom), q, k] packed RGBA8, a = keep.
layout(std430, set = 0, binding = 7) readonly buffer BlockColours { uint blockColours[]; };

void main() {
  vec3 background = vec3(P.backgroundR, P.backgroundG, P.backgroundB);
  vec2 p = gl_FragCoord.xy;
  outColour = vec4(background, 1.0);
  if (p.x < P.clipX0 || p.y < P.clipY0 || p.x >= P.clipX1 || p.y >= P.clipY1) return;

  float rx = p.x - P.originX, ry = p.y - P.originY;
  // A gap pixel belongs to the nearer cell (so a cell's ring surrounds it on all sides).
  int col = P.zoomMode != 0 ? 0 : int(floor((rx + 0.5 * (P.pitchX - P.mapW)) / P.pitchX));
  int row = P.zoomMode != 0 ? 0 : int(floor((ry + 0.5 * (P.pitchY - P.mapH)) / P.pitchY));
  if (col < 0 || row < 0 || col >= P.cols || row >= P.rows) return;
  int layer = P.zoomMode != 0 ? P.zoomLayer : row;
  int head = P.zoomMode != 0 ? P.zoomHead : col;
  float lx = rx - float(col) * P.pitchX, ly = ry - float(row) * P.pitchY;  // pixels inside the cell
  float u = lx / P.mapW, v = ly / P.mapH;

  if (u < 0.0 || v < 0.0 || u >= 1.0 || v >= 1.0) {
    // In the gap around a map: the current head's highlight ring (grid only).
    if (P.zoomMode == 0 && layer == P.highlightLayer && head == P.highlightHead) {
      float w = P.ringWidth;
      bool ring = lx >= -w && ly >= -w && lx < P.mapW + w && ly < P.mapH + w;
      if (ring) outColour = vec4(kHighlight, 1.0);
    }
    return;
  }
  int entry = layerEntry[layer];
  if (entry < 0) {
    outColour = vec4(kEmptyCell, 1.0);
    return;
  }
  int k = min(int(u * float(P.nk)), P.nk - 1);
  int q = min(int(v * float(P.nq)), P.nq - 1);
  vec4 block;
  if (kPerBlock != 0) {
    uint cell = P.zoomMode != 0 ? 0u : uint(row * P.cols + col);
    block = unpackUnorm4x8(blockColours[cell * uint(P.nq * P.nk) + uint(q * P.nk + k)]);
  } else {
    block = blockColour(entry, layer, head, q, k);
  }
  vec3 c = block.rgb;
  if (block.a < 0.5) {
    // Dropped by the mask: dimmed, with diagonal hatching every 6 pixels.
    int ix = int(floor(p.x)), iy = int(floor(p.y));
    c = ((ix + iy) % 6 < 2) ? kHatch : c * kDroppedDim;
  }
  if (P.showBoundaries != 0) {
    uint ix = uint(floor(p.x)), iy = uint(floor(p.y));
    if (byteAt(ix, true) != 0u || byteAt(uint(P.viewportWidth) + iy, true) != 0u) c = mix(c, kBoundary, kBoundaryMix);
  }
  outColour = vec4(c, 1.0);
}
