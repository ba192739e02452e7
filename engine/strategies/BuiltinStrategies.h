#pragma once
// The strategies that ship with AttnScope, one file each; StrategyRegistry.cpp
// lists them. Every one keeps the diagonal block so no query row is empty.
// Each file's header comment states its rule and how it adapts the paper it follows.
#include "engine/strategies/Strategy.h"

namespace attnscope {

Strategy makeThresholdStrategy();   // "threshold": cumulative mass p per q-block row
Strategy makeTopKStrategy();        // "topk": the k heaviest k-blocks per row
Strategy makeSinkWindowStrategy();  // "sink-window": sink columns + band around the diagonal
Strategy makeWindow3dStrategy();    // "window3d": 3D (frame, y, x) neighbourhood of each block
Strategy makeSpatialTemporalStrategy();  // "spatial-temporal": per-head spatial or temporal mask (Sparse VideoGen)
Strategy makeAntidiagonalStrategy();     // "antidiagonal": antidiagonal group scores + threshold (XAttention)
Strategy makeRotatingAnchorsStrategy();  // "window-anchors": window + rotating global anchors (LVSA)
Strategy makeRadialStrategy();           // "radial": window decaying with temporal distance (Radial Attention)
Strategy makeHeadBudgetStrategy();       // "head-budget": one block budget shared among heads (FlexPrefill/ProxyAttn)

}  // namespace attnscope
