#pragma once
// Small read-only questions the GUI asks of an atlas, answered as per-token
// heat over the video grid [frames, height, width] (natural order), ready to
// be drawn over the frames. Plain loops, no LibTorch.
//   pixelHeat: where does the query token at (f, y, x) look? The pooled row
//              of its query block, spread over the tokens of each key block
//              (block mass / tokens in the block, so the heat sums to 1).
//   crossHeat: how much does every video token attend to text token t?
// head < 0 averages over heads; step < 0 averages over the captured steps.
// Each throws Error when the step, layer, head, token or text index is not in
// the atlas.
#include <cstdint>
#include <vector>

#include "engine/atlas/AttentionAtlas.h"

namespace attnscope {

// The token under pixel (px, py) of video frame `frame`, for a video of
// videoFrames x videoHeight x videoWidth pixels.
int64_t tokenAtPixel(const TokenGrid& grid, int64_t frame, double px, double py, int64_t videoFrames,
                     int64_t videoHeight, int64_t videoWidth);
// The layout block (row of a pooled map) holding natural-order token `token`.
int64_t blockOfToken(const BlockLayout& layout, const TokenGrid& grid, int64_t token);

std::vector<float> pixelHeat(const AttentionAtlas& atlas, int step, int layer, int head, int64_t queryToken);
std::vector<float> crossHeat(const AttentionAtlas& atlas, int step, int layer, int head, int64_t textToken);

}  // namespace attnscope
