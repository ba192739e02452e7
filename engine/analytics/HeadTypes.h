#pragma once
// Head types: where each head's attention mass goes, from the atlas' offset
// histograms (mass by key - query offset (df, dy, dx), mean over queries).
//   spatial    df = 0: within the query's own frame
//   temporal   df != 0, dy = dx = 0: the same position in other frames
//   window     |df| <= frames, |dy| <= height, |dx| <= width: a 3D window
//              (overlaps spatial and temporal)
//   rest       1 - spatial - temporal - (window mass outside those two)
//   sink       mass on the head's sink tokens (SinkOptions; overlaps the others)
//   entropy    mean over queries of the row entropy (nats), also over log N
// A head is sink-dominated when sink >= sinkShare, else spatial when
// spatial >= spatialShare, else temporal when temporal >= temporalShare,
// else global. Uniform attention would give spatial 1/F and temporal
// (F-1)/N. Atlases captured before offset histograms existed give only sink
// and entropy; the report says so and leaves the type Unknown unless the head
// is sink-dominated.
#include <string>
#include <vector>

#include "engine/analytics/SinkAnalysis.h"
#include "engine/atlas/AttentionAtlas.h"

namespace attnscope {

enum class HeadType { Spatial, Temporal, Global, SinkDominated, Unknown };
const char* headTypeName(HeadType type);

struct HeadTypeOptions {
  int64_t windowFrames = 1, windowHeight = 1, windowWidth = 1;  // 3D window half-widths, tokens
  double sinkShare = 0.5;
  double spatialShare = 0.5;
  double temporalShare = 0.3;
  SinkOptions sinks;
  int step = -1;  // captured step to describe; -1 = mean over captured steps
};

struct HeadProfile {
  int layer = 0, head = 0;
  double spatial = 0, temporal = 0, window = 0, rest = 0;  // NaN without offsets
  double sink = 0;
  double entropy = 0, normalizedEntropy = 0;
  HeadType type = HeadType::Unknown;
};

struct HeadTypeReport {
  HeadTypeOptions options;
  std::vector<int> steps;  // the captured steps averaged
  bool hasOffsets = false;
  std::string note;        // what could not be computed, and why
  double uniformSpatial = 0, uniformTemporal = 0;
  std::vector<HeadProfile> heads;  // layer-major
  int count(HeadType type) const;
};

// Throws Error naming the value for thresholds outside [0, 1], negative
// windows, a step that was not captured, or an atlas missing a layer.
HeadTypeReport classifyHeads(const AttentionAtlas& atlas, const HeadTypeOptions& options = {});

}  // namespace attnscope
