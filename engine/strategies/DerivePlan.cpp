// derivePlan: run a strategy on an atlas, moving its density knob by
// a bracketed search when a target density is asked for.
#include <cmath>
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "engine/core/Error.h"
#include "engine/strategies/Strategy.h"

namespace attnscope {

namespace {

std::string number(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

const StrategyParam* findParam(const Strategy& s, const std::string& name) {
  for (const StrategyParam& p : s.params)
    if (p.name == name) return &p;
  return nullptr;
}

// Given params checked against the strategy's declarations; missing ones take defaults.
StrategyParams completeParams(const Strategy& s, const StrategyParams& given) {
  for (const auto& [name, value] : given) {
    const StrategyParam* p = findParam(s, name);
    if (!p) {
      std::string known;
      for (const StrategyParam& q : s.params) known += (known.empty() ? "" : ", ") + q.name;
      throw Error("strategy '" + s.name + "' has no parameter '" + name + "' (its parameters: " + known + ")");
    }
    if (!(value >= p->minValue && value <= p->maxValue))
      throw Error("strategy '" + s.name + "': parameter " + name + " = " + number(value) + " is outside [" +
                  number(p->minValue) + ", " + number(p->maxValue) + "]");
    if (p->integer && value != std::floor(value))
      throw Error("strategy '" + s.name + "': parameter " + name + " must be an integer, got " + number(value));
  }
  StrategyParams full = given;
  for (const StrategyParam& p : s.params) full.emplace(p.name, p.defaultValue);
  return full;
}

double densityOf(const std::vector<BlockMask>& masks) {
  if (masks.empty()) return 0.0;
  double sum = 0;
  for (const BlockMask& m : masks) sum += m.density();
  return sum / double(masks.size());
}

// Densities grow with every knob, so search for the boundary where the target
// is crossed and keep whichever side lands closer. Every rebuild of a large
// plan costs seconds, so steps alternate between interpolating the density
// (fast where it is smooth) and halving the bracket (sure to converge).
double searchKnob(const Strategy& s, const PooledMaps& maps, StrategyParams params, double target) {
  const StrategyParam& knob = *findParam(s, s.densityKnob);
  auto density = [&](double v) {
    params[knob.name] = v;
    return densityOf(s.build(maps, params));
  };
  double lo = knob.integer ? std::ceil(knob.minValue) : knob.minValue;
  double hi = knob.integer ? std::floor(knob.maxValue) : knob.maxValue;
  double dLo = density(lo), dHi = density(hi);
  if (dLo >= target) return lo;
  if (dHi <= target) return hi;
  const double densityTolerance = 1e-3;  // finer than this is not worth more rebuilds
  for (int i = 0; i < 60; ++i) {  // invariant: dLo < target < dHi
    if (knob.integer ? hi - lo <= 1 : (dHi - dLo < densityTolerance || i >= 30)) break;
    double next = i % 2 == 0 ? lo + (target - dLo) / (dHi - dLo) * (hi - lo) : (lo + hi) / 2;
    if (knob.integer) next = std::min(hi - 1, std::max(lo + 1, std::round(next)));
    double d = density(next);
    if (!knob.integer && std::abs(d - target) < densityTolerance / 2) return next;
    if (d < target) {
      lo = next;
      dLo = d;
    } else {
      hi = next;
      dHi = d;
    }
  }
  return target - dLo < dHi - target ? lo : hi;
}

std::string utcNow() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string paramsJson(const Strategy& s, const StrategyParams& params) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, value] : params) {
    const StrategyParam* p = findParam(s, name);
    if (p && p->integer)
      j[name] = int64_t(value);
    else
      j[name] = value;
  }
  return j.dump();
}

}  // namespace

DeriveResult derivePlan(const AttentionAtlas& atlas, const DeriveRequest& request) {
  const Strategy& strategy = findStrategy(request.strategy);
  StrategyParams params = completeParams(strategy, request.params);
  if (request.targetDensity && !(*request.targetDensity > 0.0 && *request.targetDensity <= 1.0))
    throw Error("target density " + number(*request.targetDensity) + " is outside (0, 1]");
  if (request.denseWarmupSteps < 0)
    throw Error("dense warm-up steps must be >= 0, got " + std::to_string(request.denseWarmupSteps));

  PooledMaps maps = PooledMaps::fromAtlas(atlas, request.step);
  if (request.targetDensity)
    params[strategy.densityKnob] = searchKnob(strategy, maps, params, *request.targetDensity);

  DeriveResult result;
  result.params = params;
  MaskPlan& plan = result.plan;
  plan.modelId = atlas.modelId;
  plan.grid = atlas.grid;
  plan.layout = atlas.layout;
  plan.layers = atlas.layers;
  plan.heads = atlas.heads;
  plan.denseWarmupSteps = request.denseWarmupSteps;
  plan.masks = strategy.build(maps, params);
  plan.provenance.method = "strategy";
  plan.provenance.strategy = strategy.name;
  plan.provenance.paramsJson = paramsJson(strategy, params);
  plan.provenance.source = request.source;
  plan.provenance.created = utcNow();
  result.density = plan.density();
  result.keptMass = keptMass(maps, plan.masks);
  return result;
}

}  // namespace attnscope
