// Shared by heatmap.frag and blockcolours.comp: the parameter block, the
// buffers both read, and the colour of one block (scaling + colormap + the
// mask's keep flag). CPU twins: viz/HeatmapParams.h, viz/Scaling.h, viz/Colormaps.
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
  int rowMaxOffset, viewportWidth, perBlock;  // perBlock: which pipeline variant the CPU chose
  // Max-pooled level to read (0: the maps themselves), its offset (floats) and side in blocks.
  int pyramidLevel, pyramidOffset, pyramidSide;
} P;
layout(std430, set = 0, binding = 8) readonly buffer Pyramid { float pyramid[]; };
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

// A block's colour (rgb) and whether the mask keeps it (a = 1) or drops it (a = 0).
// With P.pyramidLevel > 0 (cells smaller than their maps' block count) the
// value is the max over the 2^level x 2^level blocks around (q, k), so no peak
// falls between pixels; per-row scaling keeps the block itself.
vec4 blockColour(int entry, int layer, int head, int q, int k) {
  uint mapIndex = uint(entry * P.heads + head);
  uint blocks = uint(P.nq * P.nk);
  float value;
  if (P.pyramidLevel > 0 && P.scaling != 2) {
    uint side = uint(P.pyramidSide);
    value = pyramid[uint(P.pyramidOffset) + mapIndex * side * side + uint(q >> P.pyramidLevel) * side +
                    uint(k >> P.pyramidLevel)];
  } else {
    value = maps[mapIndex * blocks + uint(q * P.nk + k)];
  }
  float mapMax = stats[mapIndex];
  float rowMax = stats[uint(P.rowMaxOffset) + mapIndex * uint(P.nq) + uint(q)];
  vec3 c = colormapColour(P.colormap, scaled(value, mapMax, rowMax));
  float keep = 1.0;
  if (P.showMask != 0 && P.maskPresent != 0)
    keep = byteAt(uint(layer * P.heads + head) * blocks + uint(q * P.nk + k), false) == 0u ? 0.0 : 1.0;
  return vec4(c, keep);
}
