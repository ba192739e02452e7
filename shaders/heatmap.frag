#version 450
// The atlas heatmap, one fragment per viewport pixel: find the map and block
// under the pixel (viz/GridLayout.h), scale its pooled value
// (viz/Scaling.h), colour it (viz/Colormaps.h), then tint dropped mask
// blocks, draw frame boundaries and the current head's highlight ring.
// Every formula here has a CPU twin in viz/ that the tests compare against.

layout(location = 0) out vec4 outColour;

// Per-frame parameters; mirrors viz/HeatmapParams.h (4-byte scalars only, so
// std140 packs them as the C++ struct). A uniform block: the same for every
// fragment, which lets the driver load each field once.
layout(std140, set = 0, binding = 0) uniform Params {
  float originX, originY, pitchX, pitchY, mapW, mapH;
  float clipX0, clipY0, clipX1, clipY1;
  float ringWidth, logDecades;
  float backgroundR, backgroundG, backgroundB;
  int cols, rows, heads, nq, nk;
  int zoomMode, zoomLayer, zoomHead, highlightLayer, highlightHead;
  int scaling, colormap, showMask, maskPresent, showBoundaries;
  int rowMaxOffset, viewportWidth;
} P;
// Per layer: the atlas entry captured at the chosen step, or -1.
layout(std430, set = 0, binding = 6) readonly buffer LayerEntries { int layerEntry[]; };
layout(std430, set = 0, binding = 1) readonly buffer Maps { float maps[]; };        // [entry, head, q, k]
layout(std430, set = 0, binding = 2) readonly buffer Stats { float stats[]; };      // mapMax[maps], rowMax[maps, q]
layout(std430, set = 0, binding = 3) readonly buffer Mask { uint maskWords[]; };    // bytes [layer, head, q, k]
// One byte per viewport column, then per row: a frame boundary crosses that pixel (viz/FrameBoundaries).
layout(std430, set = 0, binding = 4) readonly buffer BoundaryPixels { uint boundaryWords[]; };
layout(std430, set = 0, binding = 5) readonly buffer Lut { vec4 lut[]; };            // [colormap, 33 knots]

const int kKnots = 33;
const vec3 kEmptyCell = vec3(0.22, 0.22, 0.24);
const vec3 kHighlight = vec3(1.0, 0.62, 0.1);
const vec3 kBoundary = vec3(1.0, 1.0, 1.0);
const float kBoundaryMix = 0.55;
const float kDroppedDim = 0.3;
const vec3 kHatch = vec3(0.55, 0.55, 0.58);

vec3 colormapColour(int map, float t) {
  float p = clamp(t, 0.0, 1.0) * 255.0;
  int j = min(int(p / 8.0), kKnots - 2);
  float a = 8.0 * float(j);
  float b = (j == kKnots - 2) ? 255.0 : a + 8.0;
  float f = (p - a) / (b - a);
  vec3 c0 = lut[map * kKnots + j].rgb, c1 = lut[map * kKnots + j + 1].rgb;
  return c0 + (c1 - c0) * f;
}

float scaled(float v, float mapMax, float rowMax) {
  float top = P.scaling == 2 ? rowMax : mapMax;
  if (!(top > 0.0) || !(v > 0.0)) return 0.0;
  float t = P.scaling == 1 ? 1.0 + log(v / top) / (log(10.0) * P.logDecades) : v / top;
  return clamp(t, 0.0, 1.0);
}

uint byteAt(uint index, bool inBoundaries) {
  uint word = inBoundaries ? boundaryWords[index >> 2] : maskWords[index >> 2];
  return (word >> ((index & 3u) * 8u)) & 0xffu;
}

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
  uint mapIndex = uint(entry * P.heads + head);
  uint blocks = uint(P.nq * P.nk);
  float value = maps[mapIndex * blocks + uint(q * P.nk + k)];
  float mapMax = stats[mapIndex];
  float rowMax = stats[uint(P.rowMaxOffset) + mapIndex * uint(P.nq) + uint(q)];
  vec3 c = colormapColour(P.colormap, scaled(value, mapMax, rowMax));

  if (P.showMask != 0 && P.maskPresent != 0) {
    uint byteIndex = uint(layer * P.heads + head) * blocks + uint(q * P.nk + k);
    if (byteAt(byteIndex, false) == 0u) {
      // Dropped: dimmed, with diagonal hatching every 6 pixels.
      int ix = int(floor(p.x)), iy = int(floor(p.y));
      c = ((ix + iy) % 6 < 2) ? kHatch : c * kDroppedDim;
    }
  }
  if (P.showBoundaries != 0) {
    uint ix = uint(floor(p.x)), iy = uint(floor(p.y));
    if (byteAt(ix, true) != 0u || byteAt(uint(P.viewportWidth) + iy, true) != 0u) c = mix(c, kBoundary, kBoundaryMix);
  }
  outColour = vec4(c, 1.0);
}
