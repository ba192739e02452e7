// The sweep's pure parts: density lists, request checks, JSON and CSV.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "engine/core/Error.h"
#include "engine/model/ComputePlacement.h"
#include "engine/sweep/SweepJob.h"

namespace attnscope {

std::vector<double> parseDensities(const std::string& text) {
  std::vector<double> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size())
      throw Error("densities '" + text + "': '" + item + "' is not a number");
    if (!(v > 0.0 && v <= 1.0)) throw Error("densities '" + text + "': " + item + " is outside (0, 1]");
    for (double seen : out)
      if (seen == v) throw Error("densities '" + text + "': " + item + " is listed twice");
    out.push_back(v);
  }
  if (out.empty()) throw Error("densities '" + text + "' name no density");
  return out;
}

void validateSweep(const SweepRequest& r) {
  if (r.strategies.empty()) throw Error("sweep: no strategy given");
  if (r.densities.empty()) throw Error("sweep: no density given");
  for (double d : r.densities)
    if (!(d > 0.0 && d <= 1.0)) throw Error("sweep: density " + std::to_string(d) + " is outside (0, 1]");
  for (size_t i = 0; i < r.strategies.size(); ++i) {
    const Strategy& s = findStrategy(r.strategies[i]);  // throws, listing the known ones
    for (size_t j = 0; j < i; ++j)
      if (r.strategies[j] == s.name) throw Error("sweep: strategy '" + s.name + "' is listed twice");
    auto given = r.params.find(s.name);
    if (given == r.params.end()) continue;
    for (const auto& [name, value] : given->second) {
      const StrategyParam* spec = nullptr;
      for (const StrategyParam& p : s.params)
        if (p.name == name) spec = &p;
      if (!spec) throw Error("sweep: strategy '" + s.name + "' has no parameter '" + name + "'");
      if (!(value >= spec->minValue && value <= spec->maxValue) || (spec->integer && value != std::floor(value)))
        throw Error("sweep: strategy '" + s.name + "': parameter " + name + " = " + std::to_string(value) +
                    " is not " + (spec->integer ? "an integer " : "a value ") + "in [" +
                    std::to_string(spec->minValue) + ", " + std::to_string(spec->maxValue) + "]");
    }
  }
  for (const auto& [name, params] : r.params) {
    bool used = false;
    for (const std::string& s : r.strategies) used |= s == name;
    if (!used) throw Error("sweep: parameters given for strategy '" + name + "', which is not swept");
  }
  if (r.denseWarmupSteps < 0) throw Error("sweep: dense warm-up steps must be >= 0, got " + std::to_string(r.denseWarmupSteps));
  if (r.outDir.empty()) throw Error("sweep: no output folder given");
  parseComputePlacement(r.device, r.dtype);  // throws: the device this build or machine lacks, a bad dtype
}

nlohmann::json toJson(const SweepResult& r) {
  nlohmann::json points = nlohmann::json::array();
  for (const SweepPoint& p : r.points)
    points.push_back({{"strategy", p.strategy},
                      {"target_density", p.targetDensity},
                      {"density", p.density},
                      {"kept_mass", p.keptMass},
                      {"params", p.params},
                      {"psnr", p.psnr},
                      {"ssim", p.ssim},
                      {"attention_s", p.attentionSeconds},
                      {"attention_ratio", p.attentionRatio},
                      {"total_s", p.totalSeconds},
                      {"pareto_density", p.paretoDensity},
                      {"pareto_latency", p.paretoLatency},
                      {"plan", p.plan},
                      {"video", p.video}});
  return {{"command", "sweep"},
          {"model", r.modelId},
          {"model_trained", r.modelTrained},
          {"device", r.device},
          {"dtype", r.dtype},
          {"prompt", r.prompt},
          {"seed", r.seed},
          {"steps", r.steps},
          {"grid", r.grid},
          {"layout", r.layout},
          {"capture_steps", r.captureSteps},
          {"dense_warmup_steps", r.denseWarmupSteps},
          {"dense", {{"video", r.denseVideo}, {"attention_s", r.denseAttentionSeconds}, {"total_s", r.denseTotalSeconds}}},
          {"capture", {{"atlas", r.atlas}, {"total_s", r.captureTotalSeconds}}},
          {"points", points},
          {"csv", r.csv},
          {"json", r.json},
          {"wall_s", r.wallSeconds}};
}

void writeSweepCsv(const SweepResult& r, const std::string& path) {
  std::ofstream csv(path);
  if (!csv) throw Error("cannot write " + path);
  csv << "strategy,target_density,density,kept_mass,psnr,ssim,attention_s,attention_ratio,total_s,"
         "pareto_density,pareto_latency,params,plan,video\n";
  auto num = [](double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", v);
    return std::string(text);
  };
  for (const SweepPoint& p : r.points) {
    std::string params = nlohmann::json(p.params).dump();
    std::string quoted = "\"";
    for (char c : params) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    csv << p.strategy << "," << num(p.targetDensity) << "," << num(p.density) << "," << num(p.keptMass) << ","
        << num(p.psnr) << "," << num(p.ssim) << "," << num(p.attentionSeconds) << "," << num(p.attentionRatio) << ","
        << num(p.totalSeconds) << "," << (p.paretoDensity ? 1 : 0) << "," << (p.paretoLatency ? 1 : 0) << ","
        << quoted << "\"," << p.plan << "," << p.video << "\n";
  }
  if (!csv.flush()) throw Error("writing " + path + " failed");
}

}  // namespace attnscope
