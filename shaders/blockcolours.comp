#version 450
#extension GL_GOOGLE_include_directive : require
// Per-block colours for the heatmap when the visible blocks are fewer than
// the pixels: one invocation per (cell, q, k) instead of one per pixel.
// heatmap.frag then only reads blockColours. Cells are the grid's
// layer * heads + head, or the one zoomed map.

layout(local_size_x = 64) in;

#include "heatmap_common.glsl"

layout(std430, set = 0, binding = 7) writeonly buffer BlockColours { uint blockColours[]; };

void main() {
  uint i = (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * 64u + gl_LocalInvocationID.x;
  uint blocks = uint(P.nq * P.nk);
  uint cells = P.zoomMode != 0 ? 1u : uint(P.rows * P.cols);
  if (i >= cells * blocks) return;
  uint cell = i / blocks, b = i % blocks;
  int layer = P.zoomMode != 0 ? P.zoomLayer : int(cell) / P.cols;
  int head = P.zoomMode != 0 ? P.zoomHead : int(cell) % P.cols;
  int entry = layerEntry[layer];
  if (entry < 0) {
    blockColours[i] = 0u;  // never read: the fragment shader draws an empty cell
    return;
  }
  blockColours[i] = packUnorm4x8(blockColour(entry, layer, head, int(b) / P.nk, int(b) % P.nk));
}
