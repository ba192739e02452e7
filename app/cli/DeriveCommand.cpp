// `derive`: atlas + strategy (+ target density) -> MaskPlan JSON, reporting
// the density reached and the attention mass the plan keeps.
#include <iostream>
#include <memory>
#include <set>

#include "app/cli/CliSupport.h"
#include "app/cli/Commands.h"
#include "engine/core/Error.h"
#include "engine/strategies/Strategy.h"

namespace attnscope::cli {

namespace {

struct DeriveOptions {
  std::string atlas, strategy, out;
  double targetDensity = 0;
  int step = -1, warmup = 0;
  bool json = false;
  std::map<std::string, double> params;  // only those given on the command line
};

int run(const DeriveOptions& o) {
  prepareOutput(o.out);
  AttentionAtlas atlas = AttentionAtlas::load(o.atlas);
  DeriveRequest request;
  request.strategy = o.strategy;
  request.params = o.params;  // derivePlan names any the strategy does not have
  if (o.targetDensity > 0) request.targetDensity = o.targetDensity;
  request.step = o.step;
  request.denseWarmupSteps = o.warmup;
  request.source = o.atlas;
  DeriveResult result = derivePlan(atlas, request);
  result.plan.save(o.out);

  nlohmann::json layers = nlohmann::json::array();
  for (int64_t l = 0; l < result.plan.layers; ++l) layers.push_back(result.plan.layerDensity(l));
  nlohmann::json report = {{"command", "derive"},
                           {"atlas", o.atlas},
                           {"strategy", o.strategy},
                           {"params", result.params},
                           {"target_density", o.targetDensity > 0 ? nlohmann::json(o.targetDensity) : nlohmann::json(nullptr)},
                           {"density", result.density},
                           {"kept_mass", result.keptMass},
                           {"layer_density", layers},
                           {"dense_warmup_steps", o.warmup},
                           {"layout", result.plan.layout.str()},
                           {"plan", o.out}};
  if (o.json) {
    printJson(report);
  } else {
    std::cout << "strategy " << o.strategy << " (" << report["params"].dump() << ") on " << result.plan.layout.str()
              << "\n";
    std::printf("density %.4f, kept attention mass %.4f, dense warm-up steps %d\n", result.density, result.keptMass,
                o.warmup);
    std::cout << "wrote " << o.out << std::endl;
  }
  return 0;
}

}  // namespace

Runner addDeriveCommand(CLI::App& app) {
  auto o = std::make_shared<DeriveOptions>();
  std::string help = "Derive a block-sparse MaskPlan from an attention atlas.\nStrategies:";
  for (const auto& s : allStrategies()) {
    help += "\n  " + s.name + ": " + s.summary + " (density knob: " + s.densityKnob + ")";
    for (const auto& p : s.params)
      help += "\n      --" + p.name + " (default " + std::to_string(p.defaultValue) + "): " + p.help;
  }
  CLI::App* sub = app.add_subcommand("derive", help);
  sub->add_option("--atlas", o->atlas, "Attention atlas (.safetensors) from `capture`")->required()->check(CLI::ExistingFile);
  sub->add_option("--strategy", o->strategy, "Strategy name (see above)")->required();
  sub->add_option("--target-density", o->targetDensity, "Move the strategy's knob until this density is reached (0-1]");
  sub->add_option("--step", o->step, "Captured step whose maps to use (default: mean over captured steps)");
  sub->add_option("--warmup", o->warmup, "Dense warm-up steps before the masks apply (default 0)");
  sub->add_option("--out", o->out, "Output plan (.json)")->required();
  sub->add_flag("--json", o->json, "Print the report as one JSON object");
  std::set<std::string> added;
  for (const auto& s : allStrategies())
    for (const auto& p : s.params) {
      if (!added.insert(p.name).second) continue;
      std::string name = p.name;
      sub->add_option_function<double>(
          "--" + name, [o, name](const double& v) { o->params[name] = v; }, p.help + " (strategy parameter)");
    }
  return [o] { return run(*o); };
}

Runner addStrategiesCommand(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  CLI::App* sub = app.add_subcommand("strategies", "List the mask strategies and their parameters");
  sub->add_flag("--json", *json, "Print the list as JSON");
  return [json] {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& s : allStrategies()) {
      nlohmann::json params = nlohmann::json::array();
      for (const auto& p : s.params)
        params.push_back({{"name", p.name}, {"default", p.defaultValue}, {"min", p.minValue}, {"max", p.maxValue},
                          {"integer", p.integer}, {"help", p.help}});
      list.push_back({{"name", s.name}, {"summary", s.summary}, {"knob", s.densityKnob}, {"params", params}});
    }
    if (*json) {
      printJson(list);
    } else {
      for (const auto& s : list) {
        std::cout << s["name"].get<std::string>() << ": " << s["summary"].get<std::string>() << "\n";
        for (const auto& p : s["params"])
          std::cout << "    --" << p["name"].get<std::string>() << " (default " << p["default"].dump() << ", "
                    << p["min"].dump() << ".." << p["max"].dump() << "): " << p["help"].get<std::string>() << "\n";
      }
    }
    return 0;
  };
}

}  // namespace attnscope::cli
