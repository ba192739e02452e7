#pragma once
// Attention sinks: key tokens that receive far more attention mass than the
// uniform share. Pure function over an atlas.
//
// A video token j is a sink of (step, layer, head) when its received mass
// (the atlas' sink vector: mean over queries of p(j | query), summing to 1
// over keys) is at least `ratio` times the uniform share 1/N. A text token t
// is a sink when its mean cross-attention mass is at least `textRatio` / T.
// Per token the report follows the sink through the network:
//   longest run    the most consecutive layers (in one step, any head) it is a sink;
//   primary        longest run >= primaryLayers (default: half the layers, at
//                  least 2), else secondary: a sink that appears and fades;
//   steps          captured steps in which it is a sink anywhere.
// The sink map gives every video token its count of (step, layer, head)
// sink appearances and its mean received mass over uniform.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/atlas/AttentionAtlas.h"

namespace attnscope {

struct SinkOptions {
  double ratio = 10.0;      // video sink: received mass >= ratio / N
  double textRatio = 3.0;   // text sink: mean cross mass >= textRatio / T
  int maxPerHead = 8;       // sinks listed per (step, layer, head), heaviest first
  int primaryLayers = 0;    // 0 = max(2, ceil(layers / 2))
};

struct SinkHit {
  int step = 0, layer = 0, head = 0;
  int64_t token = 0;  // natural order (video) or context position (text)
  double mass = 0;    // share of the head's total attention mass
  double ratio = 0;   // mass over the uniform share
};

struct SinkToken {
  int64_t token = 0;
  TokenCoord at{0, 0, 0};
  int appearances = 0;  // (step, layer, head) in which it is a sink
  int firstLayer = 0;
  int longestRun = 0;   // consecutive layers, within one step
  int steps = 0;        // captured steps in which it is a sink
  double meanMass = 0;  // mean mass over its appearances
  bool primary = false;
};

struct HeadSinkShare {
  int step = 0, layer = 0, head = 0;
  int sinks = 0;       // all tokens above the threshold, not only the listed ones
  double share = 0;    // their total received mass
};

struct SinkReport {
  SinkOptions options;  // with primaryLayers resolved
  TokenGrid grid;
  int capturedSteps = 0;
  bool hasCross = false;
  std::vector<SinkHit> video;            // sorted by (step, layer, head, mass desc)
  std::vector<SinkHit> text;             // same, token = context position
  std::vector<std::string> textTokens;   // the atlas' context words
  std::vector<SinkToken> tokens;         // every video token that is ever a sink, most appearances first
  std::vector<HeadSinkShare> shares;     // per (step, layer, head)
  std::vector<int> sinkCount;            // [N]: the sink map, appearances per token
  std::vector<double> meanRatio;         // [N]: received mass over uniform, mean over (step, layer, head)
};

// Throws Error on options out of range or an atlas without entries.
SinkReport findSinks(const AttentionAtlas& atlas, const SinkOptions& options = {});

}  // namespace attnscope
