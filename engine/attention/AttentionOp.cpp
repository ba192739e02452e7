// AttentionOp: picks dense / capture / sparse per (step, layer), routes the
// captured statistics into the atlas entry of (step, layer), and times
// everything it runs.
#include "engine/attention/AttentionOp.h"

#include <algorithm>
#include <iostream>
#include <string>
#include <utility>

#include "engine/attention/AttentionKernels.h"
#include "engine/attention/AttentionSupport.h"
#include "engine/attention/DifferentiableAttention.h"
#include "engine/core/Error.h"
#include "engine/cuda/CudaRuntime.h"

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
  const auto start = startTimer(q);
  const AttentionMode mode = modeFor(step_, layer);
  torch::Tensor out;
  if (recordsGradients(q, k, v)) {
    // Capture and sparse kernels have no gradients; refuse to silently cut one.
    if (mode != AttentionMode::Dense) refuseGradients(mode == AttentionMode::Capture ? "capture" : "sparse", q, k, v);
    out = differentiableAttention(q, k, v);
  } else if (q.is_cpu() && k.is_cpu() && v.is_cpu()) {
    out = selfOnCpu(mode, layer, q, k, v);
  } else {
    out = selfOnDevice(mode, layer, q, k, v);
  }
  stopTimer(start, q);
  return out;
}

std::vector<const BlockMask*> AttentionOp::layerMasks(int layer, int64_t heads) const {
  const MaskPlan& mask = *plan_.mask;
  if (mask.heads != heads)
    throw Error(planName(mask) + " has masks for " + std::to_string(mask.heads) + " heads but the model has " +
                std::to_string(heads));
  std::vector<const BlockMask*> masks;
  for (int64_t h = 0; h < mask.heads; ++h) masks.push_back(&mask.mask(layer, h));
  return masks;
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
    case AttentionMode::Sparse:
      return sparseAttention(q, k, v, plan_.grid, plan_.mask->layout, layerMasks(layer, q.size(1)), workspace_);
  }
  throw Error("unknown attention mode");
}

torch::Tensor AttentionOp::selfOnDevice(AttentionMode mode, int layer, const torch::Tensor& q, const torch::Tensor& k,
                                        const torch::Tensor& v) {
  std::string whyNot;
  torch::Tensor out;
  switch (mode) {
    case AttentionMode::Dense:
      return device_.dense(q, k, v);
    case AttentionMode::Capture:
      if (atlas_->heads == 0) atlas_->heads = q.size(1);
      out = device_.capture(q, k, v, plan_.grid, plan_.captureLayout, plan_.captureBatch, entryFor(step_, layer),
                            &whyNot);
      if (!out.defined()) warnOnce("capture", whyNot);
      break;
    case AttentionMode::Sparse:
      out = device_.sparse(layer, q, k, v, plan_.grid, plan_.mask->layout, layerMasks(layer, q.size(1)), &whyNot);
      if (!out.defined()) warnOnce("sparse attention", whyNot);
      break;
  }
  return out.defined() ? out : selfOnCpuCopy(mode, layer, q, k, v);
}

torch::Tensor AttentionOp::selfOnCpuCopy(AttentionMode mode, int layer, const torch::Tensor& q, const torch::Tensor& k,
                                         const torch::Tensor& v) {
  auto cpu = [](const torch::Tensor& t) { return t.to(torch::kCPU, torch::kFloat32); };
  return selfOnCpu(mode, layer, cpu(q), cpu(k), cpu(v)).to(v.device(), v.scalar_type());
}

void AttentionOp::warnOnce(const std::string& what, const std::string& why) {
  if (!warned_.insert(what + why).second) return;
  std::cerr << "attnscope: warning: " << what << " runs on the CPU instead of the GPU: " << why << std::endl;
}

Clock::time_point AttentionOp::startTimer(const torch::Tensor& q) const {
  if (plan_.timeStages && q.is_cuda()) cuda::synchronize();  // work queued before is not ours
  return Clock::now();
}

void AttentionOp::stopTimer(Clock::time_point start, const torch::Tensor& q) {
  if (plan_.timeStages && q.is_cuda()) cuda::synchronize();
  seconds_ += secondsSince(start);
}

torch::Tensor AttentionOp::cross(int layer, const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const auto start = startTimer(q);
  const bool capture = atlas_ && plan_.captureSteps.count(step_);
  torch::Tensor out;
  if (recordsGradients(q, k, v)) {
    if (capture) refuseGradients("capture", q, k, v);
    out = differentiableAttention(q, k, v);
  } else if (q.is_cpu() && k.is_cpu() && v.is_cpu()) {
    out = capture ? crossAttention(q, k, v, &entryFor(step_, layer).cross, plan_.captureBatch) : crossAttention(q, k, v);
  } else if (!capture) {
    out = device_.dense(q, k, v);
  } else {
    // Video -> text maps are small ([H, N, T]): the CPU kernel on a copy.
    auto cpu = [](const torch::Tensor& t) { return t.to(torch::kCPU, torch::kFloat32); };
    out = crossAttention(cpu(q), cpu(k), cpu(v), &entryFor(step_, layer).cross, plan_.captureBatch)
              .to(v.device(), v.scalar_type());
  }
  stopTimer(start, q);
  return out;
}

bool AttentionOp::recordsGradients(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  return torch::GradMode::is_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad());
}

void AttentionOp::refuseGradients(const char* mode, const torch::Tensor& q, const torch::Tensor& k,
                                  const torch::Tensor& v) {
  if (torch::GradMode::is_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad()))
    throw Error(std::string(mode) + " attention has no gradients: train with dense attention (no capture steps, no mask)");
}

}  // namespace attnscope
