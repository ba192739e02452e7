// AttentionOp: picks dense / capture / sparse per (step, layer), routes the
// captured statistics into the atlas entry of (step, layer), and times
// everything it runs.
#include "engine/attention/AttentionOp.h"

#include <algorithm>
#include <string>
#include <utility>

#include "engine/attention/AttentionKernels.h"
#include "engine/attention/AttentionSupport.h"
#include "engine/attention/DifferentiableAttention.h"
#include "engine/core/Error.h"

namespace attnscope {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string planName(const MaskPlan& plan) {
  return "mask plan " + (plan.loadedFrom.empty() ? std::string("(built in memory)") : plan.loadedFrom);
}

}  // namespace

AttentionOp::AttentionOp(AttentionPlan plan, AttentionAtlas* atlas) : plan_(std::move(plan)), atlas_(atlas) {
  if (!plan_.captureSteps.empty() && !atlas_)
    throw Error("attention plan asks to capture " + std::to_string(plan_.captureSteps.size()) +
                " steps but no atlas was given to receive them");
}

AttentionMode AttentionOp::modeFor(int step, int layer) const {
  if (plan_.captureSteps.count(step)) return AttentionMode::Capture;
  const MaskPlan* mask = plan_.mask;
  if (!mask || !mask->appliesAt(step)) return AttentionMode::Dense;
  if (layer < 0 || layer >= mask->layers)
    throw Error(planName(*mask) + " has " + std::to_string(mask->layers) + " layers; layer " +
                std::to_string(layer) + " has no masks");
  for (int64_t h = 0; h < mask->heads; ++h)
    if (!mask->mask(layer, h).full()) return AttentionMode::Sparse;
  return AttentionMode::Dense;  // an all-keep layer is dense attention
}

AtlasEntry& AttentionOp::entryFor(int step, int layer) {
  auto& entries = atlas_->entries;
  auto before = [](const AtlasEntry& e, std::pair<int, int> key) {
    return std::make_pair(e.step, e.layer) < key;
  };
  auto it = std::lower_bound(entries.begin(), entries.end(), std::make_pair(step, layer), before);
  if (it != entries.end() && it->step == step && it->layer == layer) return *it;
  AtlasEntry e;
  e.step = step;
  e.layer = layer;
  return *entries.insert(it, std::move(e));
}

torch::Tensor AttentionOp::self(int layer, const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const auto start = Clock::now();
  const AttentionMode mode = modeFor(step_, layer);
  torch::Tensor out;
  if (!needsDifferentiableAttention(q, k, v)) {
    out = selfOnCpu(mode, layer, q, k, v);
  } else if (mode == AttentionMode::Dense) {
    out = differentiableAttention(q, k, v);
  } else {
    // Capture and sparse are CPU kernels without gradients: run them on a
    // CPU copy of GPU tensors; refuse to silently cut a gradient.
    refuseGradients(mode == AttentionMode::Capture ? "capture" : "sparse", q, k, v);
    out = selfOnCpu(mode, layer, q.cpu(), k.cpu(), v.cpu()).to(q.device());
  }
  seconds_ += secondsSince(start);
  return out;
}

torch::Tensor AttentionOp::selfOnCpu(AttentionMode mode, int layer, const torch::Tensor& q, const torch::Tensor& k,
                                     const torch::Tensor& v) {
  switch (mode) {
    case AttentionMode::Dense:
      // The chunk capture uses too, so captured steps compute the same bits.
      return denseAttention(q, k, v, attention_detail::kRowsPerTask, workspace_);
    case AttentionMode::Capture:
      if (atlas_->heads == 0) atlas_->heads = q.size(1);
      return captureAttention(q, k, v, plan_.grid, plan_.captureLayout, plan_.captureBatch, entryFor(step_, layer),
                              workspace_);
    case AttentionMode::Sparse: {
      const MaskPlan& mask = *plan_.mask;
      if (mask.heads != q.size(1))
        throw Error(planName(mask) + " has masks for " + std::to_string(mask.heads) + " heads but the model has " +
                    std::to_string(q.size(1)));
      std::vector<const BlockMask*> heads;
      for (int64_t h = 0; h < mask.heads; ++h) heads.push_back(&mask.mask(layer, h));
      return sparseAttention(q, k, v, plan_.grid, mask.layout, heads, workspace_);
    }
  }
  throw Error("unknown attention mode");
}

torch::Tensor AttentionOp::cross(int layer, const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const auto start = Clock::now();
  const bool capture = atlas_ && plan_.captureSteps.count(step_);
  torch::Tensor out;
  if (!needsDifferentiableAttention(q, k, v)) {
    out = capture ? crossAttention(q, k, v, &entryFor(step_, layer).cross, plan_.captureBatch) : crossAttention(q, k, v);
  } else if (!capture) {
    out = differentiableAttention(q, k, v);
  } else {
    refuseGradients("capture", q, k, v);
    out = crossAttention(q.cpu(), k.cpu(), v.cpu(), &entryFor(step_, layer).cross, plan_.captureBatch).to(q.device());
  }
  seconds_ += secondsSince(start);
  return out;
}

void AttentionOp::refuseGradients(const char* mode, const torch::Tensor& q, const torch::Tensor& k,
                                  const torch::Tensor& v) {
  if (torch::GradMode::is_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad()))
    throw Error(std::string(mode) + " attention has no gradients: train with dense attention (no capture steps, no mask)");
}

}  // namespace attnscope
