#pragma once
// AdamW with decoupled weight decay, written out so that its state (first
// and second moments per parameter, the step count) is plain named tensors
// that checkpoints store as safetensors and that behave the same on every
// LibTorch version. Per parameter p with gradient g, at step t (1-based):
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   p -= lr * wd * p   (matrices only: not biases, norms, modulations, embeddings' positions)
//   p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "engine/training/NamedParameters.h"

namespace attnscope {

struct AdamWSettings {
  double beta1 = 0.9, beta2 = 0.99, eps = 1e-8, weightDecay = 0.01;
  // Learning-rate factors by parameter-name prefix (the first match wins),
  // e.g. {"text_pool.", 10}: a path added to a trained model grows faster.
  std::vector<std::pair<std::string, double>> lrScales;
};

class AdamW {
 public:
  AdamW(NamedParameters params, AdamWSettings settings);

  // One update with learning rate `lr` from the parameters' .grad().
  void step(double lr);
  int64_t steps() const { return steps_; }

  // Moments by parameter name, for checkpoints.
  const std::map<std::string, torch::Tensor>& firstMoments() const { return m_; }
  const std::map<std::string, torch::Tensor>& secondMoments() const { return v_; }
  // Restores saved state; throws Error naming `where` and the missing,
  // unexpected or mis-shaped tensor.
  void restore(const std::map<std::string, torch::Tensor>& first, const std::map<std::string, torch::Tensor>& second,
               int64_t steps, const std::string& where);

  // Whether weight decay applies to the parameter of this name and shape.
  static bool decays(const std::string& name, const torch::Tensor& p);
  // The factor AdamWSettings::lrScales gives the parameter of this name (1 if none).
  double lrScale(const std::string& name) const;

 private:
  NamedParameters params_;
  AdamWSettings settings_;
  std::map<std::string, torch::Tensor> m_, v_;
  int64_t steps_ = 0;
};

// Scales every gradient so that their global L2 norm is at most maxNorm,
// without a device-to-host copy; returns the norm before clipping (a tensor).
torch::Tensor clipGradientNorm(const NamedParameters& params, double maxNorm);

}  // namespace attnscope
