#include "engine/training/AdamW.h"

#include <cmath>

#include "engine/core/Error.h"

namespace attnscope {

namespace {

std::string shapeText(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

}  // namespace

AdamW::AdamW(NamedParameters params, AdamWSettings settings) : params_(std::move(params)), settings_(settings) {
  torch::NoGradGuard noGrad;
  for (const auto& [name, p] : params_) {
    m_[name] = torch::zeros_like(p);
    v_[name] = torch::zeros_like(p);
  }
}

bool AdamW::decays(const std::string& name, const torch::Tensor& p) {
  if (p.dim() < 2) return false;  // biases, norm weights
  // Position tables (learned or the absolute path's pos_embedding) start at
  // zero and must grow against a weak gradient; decay would pull them back.
  for (const char* exempt : {"modulation", "position_embedding", "pos_embedding"})
    if (name.find(exempt) != std::string::npos) return false;
  return true;
}

double AdamW::lrScale(const std::string& name) const {
  for (const auto& [prefix, scale] : settings_.lrScales)
    if (name.rfind(prefix, 0) == 0) return scale;
  return 1.0;
}

void AdamW::step(double baseLr) {
  torch::NoGradGuard noGrad;
  ++steps_;
  const double b1 = settings_.beta1, b2 = settings_.beta2;
  const double correction1 = 1.0 - std::pow(b1, double(steps_));
  const double correction2 = 1.0 - std::pow(b2, double(steps_));
  for (auto& [name, p] : params_) {
    const torch::Tensor& g = p.grad();
    if (!g.defined()) continue;
    const double lr = baseLr * lrScale(name);
    auto& m = m_.at(name);
    auto& v = v_.at(name);
    m.mul_(b1).add_(g, 1.0 - b1);
    v.mul_(b2).addcmul_(g, g, 1.0 - b2);
    if (settings_.weightDecay > 0 && decays(name, p)) p.mul_(1.0 - lr * settings_.weightDecay);
    auto denom = (v / correction2).sqrt_().add_(settings_.eps);
    p.addcdiv_(m, denom, -lr / correction1);
  }
}

void AdamW::restore(const std::map<std::string, torch::Tensor>& first,
                    const std::map<std::string, torch::Tensor>& second, int64_t steps, const std::string& where) {
  if (steps < 0) throw Error(where + ": optimiser step count is negative (" + std::to_string(steps) + ")");
  for (const auto* saved : {&first, &second})
    for (const auto& [name, t] : *saved)
      if (!m_.count(name)) throw Error(where + ": optimiser state for unknown parameter " + name);
  for (const auto& [name, p] : params_) {
    for (const auto* saved : {&first, &second}) {
      auto it = saved->find(name);
      if (it == saved->end()) throw Error(where + ": optimiser state is missing parameter " + name);
      if (!it->second.sizes().equals(p.sizes()))
        throw Error(where + ": optimiser state for " + name + " is " + shapeText(it->second) + ", the parameter is " +
                    shapeText(p));
    }
  }
  torch::NoGradGuard noGrad;
  for (const auto& [name, p] : params_) {
    m_.at(name).copy_(first.at(name));
    v_.at(name).copy_(second.at(name));
  }
  steps_ = steps;
}

torch::Tensor clipGradientNorm(const NamedParameters& params, double maxNorm) {
  torch::NoGradGuard noGrad;
  std::vector<torch::Tensor> squares;
  for (const auto& [name, p] : params)
    if (p.grad().defined()) squares.push_back(p.grad().pow(2).sum());
  if (squares.empty()) return torch::zeros({});
  auto norm = torch::stack(squares).sum().sqrt();
  if (maxNorm > 0) {
    auto scale = (maxNorm / (norm + 1e-6)).clamp_max(1.0);
    for (const auto& [name, p] : params)
      if (p.grad().defined()) p.mutable_grad().mul_(scale);
  }
  return norm;
}

}  // namespace attnscope
