#pragma once
// The strategies that ship with AttnScope, one file each; StrategyRegistry.cpp
// lists them. Every one keeps the diagonal block so no query row is empty.
#include "engine/strategies/Strategy.h"

namespace attnscope {

Strategy makeThresholdStrategy();   // "threshold": cumulative mass p per q-block row
Strategy makeTopKStrategy();        // "topk": the k heaviest k-blocks per row
Strategy makeSinkWindowStrategy();  // "sink-window": sink columns + band around the diagonal
Strategy makeWindow3dStrategy();    // "window3d": 3D (frame, y, x) neighbourhood of each block

}  // namespace attnscope
