// `history`: the runs recorded in a run-history database, newest first.
#include <cstdio>
#include <memory>

#include "app/cli/CliSupport.h"
#include "app/cli/Commands.h"
#include "engine/core/Error.h"
#include "engine/pipeline/RunHistory.h"

#include <filesystem>

namespace attnscope::cli {

namespace {

struct HistoryOptions {
  std::string db = "attnscope-runs.sqlite";
  int limit = 20;
  bool json = false;
};

int run(const HistoryOptions& o) {
  if (!std::filesystem::exists(o.db)) throw Error("no run history at " + o.db + " (runs record into the folder of their --out)");
  std::vector<RunRecord> runs = RunHistory(o.db).list(o.limit);
  if (o.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : runs)
      list.push_back({{"id", r.id}, {"created", r.created}, {"command", r.command}, {"model", r.modelId},
                      {"prompt", r.prompt}, {"seed", r.seed}, {"steps", r.steps}, {"grid", r.grid},
                      {"mask", r.maskPath}, {"mask_density", r.maskDensity}, {"video", r.videoPath},
                      {"atlas", r.atlasPath}, {"total_s", r.totalSeconds}, {"attention_s", r.attentionSeconds}});
    printJson({{"command", "history"}, {"database", o.db}, {"runs", list}});
    return 0;
  }
  std::printf("%4s  %-20s  %-8s  %8s  %9s  %8s  %s\n", "id", "created", "command", "density", "total s", "attn s", "video");
  for (const auto& r : runs)
    std::printf("%4lld  %-20s  %-8s  %8.3f  %9.2f  %8.2f  %s\n", static_cast<long long>(r.id), r.created.c_str(),
                r.command.c_str(), r.maskDensity, r.totalSeconds, r.attentionSeconds, r.videoPath.c_str());
  return 0;
}

}  // namespace

Runner addHistoryCommand(CLI::App& app) {
  auto o = std::make_shared<HistoryOptions>();
  CLI::App* sub = app.add_subcommand("history", "List recorded runs (newest first)");
  sub->add_option("--db", o->db, "Run history database (default: ./attnscope-runs.sqlite)");
  sub->add_option("--limit", o->limit, "How many runs (default 20)");
  sub->add_flag("--json", o->json, "Print the runs as one JSON object");
  return [o] { return run(*o); };
}

}  // namespace attnscope::cli
