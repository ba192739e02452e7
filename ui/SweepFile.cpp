#include "ui/SweepFile.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/core/Error.h"

namespace attnscope::ui {

SweepResult readSweepJson(const QString& path) {
  const std::string file = path.toStdString();
  std::ifstream in(file);
  if (!in) throw Error("cannot open the sweep " + file);
  nlohmann::json j;
  try {
    in >> j;
  } catch (const std::exception& e) {
    throw Error(file + " is not JSON: " + e.what());
  }
  if (!j.is_object() || j.value("command", "") != "sweep" || !j.contains("points") || !j["points"].is_array())
    throw Error(file + " is not a sweep.json (no \"command\": \"sweep\" with \"points\")");
  SweepResult r;
  try {
    r.modelId = j.value("model", "");
    r.modelTrained = j.value("model_trained", false);
    r.device = j.value("device", "");  // sweeps written before --device: ""
    r.dtype = j.value("dtype", "");
    r.prompt = j.value("prompt", "");
    r.seed = j.value("seed", uint64_t(0));
    r.steps = j.value("steps", 0);
    r.grid = j.value("grid", "");
    r.layout = j.value("layout", "");
    r.denseWarmupSteps = j.value("dense_warmup_steps", 0);
    if (j.contains("dense")) {
      r.denseVideo = j["dense"].value("video", "");
      r.denseAttentionSeconds = j["dense"].value("attention_s", 0.0);
      r.denseTotalSeconds = j["dense"].value("total_s", 0.0);
    }
    if (j.contains("capture")) r.atlas = j["capture"].value("atlas", "");
    r.csv = j.value("csv", "");
    r.json = file;
    r.wallSeconds = j.value("wall_s", 0.0);
    for (const nlohmann::json& p : j["points"]) {
      SweepPoint s;
      s.strategy = p.at("strategy").get<std::string>();
      s.targetDensity = p.value("target_density", 0.0);
      s.density = p.at("density").get<double>();
      s.keptMass = p.value("kept_mass", 0.0);
      if (p.contains("params") && p["params"].is_object()) s.params = p["params"].get<StrategyParams>();
      // NaN is written as null.
      s.psnr = p.at("psnr").is_number() ? p["psnr"].get<double>() : NAN;
      s.ssim = p.at("ssim").is_number() ? p["ssim"].get<double>() : NAN;
      s.attentionSeconds = p.value("attention_s", 0.0);
      s.attentionRatio = p.value("attention_ratio", 0.0);
      s.totalSeconds = p.value("total_s", 0.0);
      s.paretoDensity = p.value("pareto_density", false);
      s.paretoLatency = p.value("pareto_latency", false);
      s.plan = p.value("plan", "");
      s.video = p.value("video", "");
      r.points.push_back(std::move(s));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(file + ": a sweep point lacks a field: " + e.what());
  }
  return r;
}

charts::SweepChartData sweepChartData(const SweepResult& r) {
  charts::SweepChartData data;
  data.title = r.modelId + (r.modelTrained ? "" : " (untrained)") + " - \"" + r.prompt + "\", seed " +
               std::to_string(r.seed) + ", " + std::to_string(r.steps) + " steps, " + r.layout;
  for (const SweepPoint& p : r.points)
    data.points.push_back({p.strategy, p.density, p.psnr, p.ssim, p.attentionRatio, p.paretoDensity, p.paretoLatency,
                           p.video});
  return data;
}

}  // namespace attnscope::ui
