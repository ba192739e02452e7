// `analyze`: the analytics of an atlas (sinks, head types, stability across
// steps or against a second atlas, recall of a plan), printed as tables, as
// one JSON object (--json) and as CSV files (--csv DIR).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "app/cli/CliSupport.h"
#include "app/cli/Commands.h"
#include "engine/analytics/AnalyticsExport.h"
#include "engine/core/Error.h"

namespace attnscope::cli {

namespace {

struct AnalyzeOptions {
  std::string atlas, recall, compareAtlas, csv, window = "1x1x1", stabilityStrategy = "threshold";
  bool sinks = false, heads = false, stability = false, json = false;
  int step = -1;
  SinkOptions sinkOptions;
  HeadTypeOptions headOptions;
  double stabilityDensity = 0.2;
};

std::string fixed(double v, int digits = 3) {
  if (!std::isfinite(v)) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", digits, v);
  return text;
}

void printSinks(const SinkReport& r) {
  int primary = 0;
  for (const SinkToken& t : r.tokens) primary += t.primary;
  std::printf("sinks (received mass >= %g x uniform 1/%lld; primary = >= %d consecutive layers)\n", r.options.ratio,
              (long long)r.grid.videoTokens(), r.options.primaryLayers);
  std::printf("  %zu sink tokens (%d primary, %zu secondary) in %zu (step, layer, head) listings\n", r.tokens.size(),
              primary, r.tokens.size() - primary, r.video.size());
  if (!r.tokens.empty())
    std::printf("  %7s %5s %3s %3s %6s %6s %5s %5s %9s %s\n", "token", "frame", "y", "x", "times", "first", "run",
                "steps", "mean mass", "kind");
  for (size_t i = 0; i < r.tokens.size() && i < 12; ++i) {
    const SinkToken& t = r.tokens[i];
    std::printf("  %7lld %5lld %3lld %3lld %6d %6d %5d %5d %9.4f %s\n", (long long)t.token, (long long)t.at.f,
                (long long)t.at.y, (long long)t.at.x, t.appearances, t.firstLayer, t.longestRun, t.steps, t.meanMass,
                t.primary ? "primary" : "secondary");
  }
  if (r.tokens.size() > 12) std::printf("  ... %zu more (see --csv / --json)\n", r.tokens.size() - 12);
  if (!r.hasCross) {
    std::printf("  text sinks: the atlas has no cross-attention maps\n");
    return;
  }
  std::map<int64_t, int> words;
  for (const SinkHit& h : r.text) words[h.token] += 1;
  std::printf("  text sinks (mean cross mass >= %g / %lld):", r.options.textRatio, (long long)r.grid.text);
  if (words.empty()) std::printf(" none");
  for (const auto& [t, n] : words)
    std::printf(" '%s' (#%lld) in %d heads;", t < int64_t(r.textTokens.size()) ? r.textTokens[t].c_str() : "?",
                (long long)t, n);
  std::printf("\n");
}

void printHeads(const HeadTypeReport& r) {
  std::printf("head types (window %lldx%lldx%lld; sink >= %g, spatial >= %g, temporal >= %g; uniform would be "
              "spatial %.3f, temporal %.3f)\n",
              (long long)r.options.windowFrames, (long long)r.options.windowHeight, (long long)r.options.windowWidth,
              r.options.sinkShare, r.options.spatialShare, r.options.temporalShare, r.uniformSpatial,
              r.uniformTemporal);
  if (!r.note.empty()) std::printf("  note: %s\n", r.note.c_str());
  std::printf("  %5s %4s %-8s %7s %8s %6s %6s %6s %7s %5s\n", "layer", "head", "type", "spatial", "temporal", "window",
              "rest", "sink", "entropy", "norm");
  for (const HeadProfile& p : r.heads)
    std::printf("  %5d %4d %-8s %7s %8s %6s %6s %6s %7s %5s\n", p.layer, p.head, headTypeName(p.type),
                fixed(p.spatial).c_str(), fixed(p.temporal).c_str(), fixed(p.window).c_str(), fixed(p.rest).c_str(),
                fixed(p.sink).c_str(), fixed(p.entropy, 2).c_str(), fixed(p.normalizedEntropy, 2).c_str());
  std::printf("  %d spatial, %d temporal, %d global, %d sink-dominated, %d unknown\n", r.count(HeadType::Spatial),
              r.count(HeadType::Temporal), r.count(HeadType::Global), r.count(HeadType::SinkDominated),
              r.count(HeadType::Unknown));
}

void printMatrix(const StabilityReport& r, const std::vector<double>& m, const char* name) {
  std::printf("  %s (rows: steps of %s, columns: steps of %s)\n  %6s", name, r.rowModel.c_str(), r.colModel.c_str(), "");
  for (int s : r.colSteps) std::printf(" %5d", s);
  std::printf("\n");
  for (size_t i = 0; i < r.rowSteps.size(); ++i) {
    std::printf("  %6d", r.rowSteps[i]);
    for (size_t j = 0; j < r.colSteps.size(); ++j) std::printf(" %5s", fixed(r.at(m, i, j), 2).c_str());
    std::printf("\n");
  }
}

void printRecall(const RecallReport& r) {
  std::printf("mask recall of plan (%s): density %.4f, kept mass %.4f (%s)\n", r.planStrategy.c_str(), r.density,
              r.keptMass, r.step < 0 ? "mean over captured steps" : ("step " + std::to_string(r.step)).c_str());
  std::printf("  %5s %4s %8s %9s\n", "layer", "head", "density", "kept mass");
  for (const HeadRecall& h : r.heads) std::printf("  %5d %4d %8.4f %9.4f\n", h.layer, h.head, h.density, h.keptMass);
  std::printf("  kept mass per captured step:");
  for (size_t i = 0; i < r.steps.size(); ++i) std::printf(" %d:%.3f", r.steps[i], r.stepKeptMass[i]);
  std::printf("\n");
}

int run(AnalyzeOptions o) {
  AttentionAtlas atlas = AttentionAtlas::load(o.atlas);
  TokenGrid window = TokenGrid::parse(o.window);
  o.headOptions.windowFrames = window.frames;
  o.headOptions.windowHeight = window.height;
  o.headOptions.windowWidth = window.width;
  o.headOptions.sinks = o.sinkOptions;
  o.headOptions.step = o.step;
  const bool any = o.sinks || o.heads || o.stability || !o.recall.empty();
  const bool wantSinks = o.sinks || !any, wantHeads = o.heads || !any;
  const bool wantStability = o.stability || !o.compareAtlas.empty() || (!any && atlas.capturedSteps().size() > 1);
  std::unique_ptr<AttentionAtlas> other;
  if (!o.compareAtlas.empty()) other = std::make_unique<AttentionAtlas>(AttentionAtlas::load(o.compareAtlas));
  std::unique_ptr<MaskPlan> plan;
  if (!o.recall.empty()) plan = std::make_unique<MaskPlan>(MaskPlan::load(o.recall));
  if (!o.csv.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.csv, ec);
    if (!std::filesystem::is_directory(o.csv)) throw Error("cannot create the CSV folder " + o.csv);
  }
  auto csv = [&](const char* name) { return (std::filesystem::path(o.csv) / name).string(); };

  nlohmann::json report = {{"command", "analyze"}, {"atlas", o.atlas}, {"model", atlas.modelId},
                           {"grid", atlas.grid.str()}, {"layout", atlas.layout.str()},
                           {"captured_steps", atlas.capturedSteps()}, {"has_offsets", atlas.hasOffsets()}};
  nlohmann::json files = nlohmann::json::array();
  if (wantSinks) {
    SinkReport r = findSinks(atlas, o.sinkOptions);
    report["sinks"] = toJson(r);
    if (!o.csv.empty()) {
      writeSinksCsv(r, csv("sinks.csv"));
      writeSinkTokensCsv(r, csv("sink_tokens.csv"));
      writeSinkMapCsv(r, csv("sink_map.csv"));
      files.insert(files.end(), {csv("sinks.csv"), csv("sink_tokens.csv"), csv("sink_map.csv")});
    }
    if (!o.json) printSinks(r);
  }
  if (wantHeads) {
    HeadTypeReport r = classifyHeads(atlas, o.headOptions);
    report["heads"] = toJson(r);
    if (!o.csv.empty()) {
      writeHeadsCsv(r, csv("heads.csv"));
      files.push_back(csv("heads.csv"));
    }
    if (!o.json) printHeads(r);
  }
  if (wantStability) {
    StabilityOptions so;
    so.strategy = o.stabilityStrategy;
    so.density = o.stabilityDensity;
    StabilityReport r = other ? compareAtlases(atlas, *other, so) : compareSteps(atlas, so);
    report["stability"] = toJson(r);
    if (!o.csv.empty()) {
      writeStabilityCsv(r, csv("stability.csv"));
      files.push_back(csv("stability.csv"));
    }
    if (!o.json) {
      std::printf("stability (%s masks at density %g)\n", so.strategy.c_str(), so.density);
      printMatrix(r, r.jaccard, "mask Jaccard");
      printMatrix(r, r.correlation, "pooled-map correlation");
      if (!r.laterJaccard.empty()) {
        std::printf("  mean Jaccard with every later step (mask reuse):");
        for (size_t i = 0; i + 1 < r.rowSteps.size(); ++i)
          std::printf(" %d:%s", r.rowSteps[i], fixed(r.laterJaccard[i], 2).c_str());
        std::printf("\n");
      }
    }
  }
  if (plan) {
    RecallReport r = maskRecall(atlas, *plan, o.step);
    report["recall"] = toJson(r);
    report["recall"]["plan"] = o.recall;
    if (!o.csv.empty()) {
      writeRecallCsv(r, csv("recall.csv"));
      files.push_back(csv("recall.csv"));
    }
    if (!o.json) printRecall(r);
  }
  report["csv"] = files;
  if (o.json)
    printJson(report);
  else if (!files.empty())
    std::cout << "wrote " << files.size() << " CSV files into " << o.csv << std::endl;
  return 0;
}

}  // namespace

Runner addAnalyzeCommand(CLI::App& app) {
  auto o = std::make_shared<AnalyzeOptions>();
  CLI::App* sub = app.add_subcommand(
      "analyze",
      "Attention analytics of an atlas: sinks (tokens receiving far more than the uniform share, per step/layer/head, "
      "primary vs secondary by how many consecutive layers they last), head types (share of mass in the same frame, "
      "the same position in other frames, a 3D window, on sinks; spatial/temporal/global/sink-dominated), stability "
      "of maps and masks across steps (or against --compare-atlas), and the recall of a plan per head. With no "
      "section flag: sinks, heads, and stability when several steps were captured.");
  sub->add_option("--atlas", o->atlas, "Attention atlas (.safetensors) from `capture`")->required()->check(CLI::ExistingFile);
  sub->add_flag("--sinks", o->sinks, "Sink table, per-token persistence and the sink map");
  sub->add_flag("--heads", o->heads, "Head types");
  sub->add_flag("--stability", o->stability, "Map correlation and mask Jaccard, step x step");
  sub->add_option("--recall", o->recall, "Mask plan (.json): mass it keeps per (layer, head) and per step")
      ->check(CLI::ExistingFile);
  sub->add_option("--compare-atlas", o->compareAtlas, "Second atlas (e.g. another prompt) for --stability")
      ->check(CLI::ExistingFile);
  sub->add_option("--step", o->step, "Captured step for --heads and --recall (default: mean over captured steps)");
  sub->add_option("--sink-ratio", o->sinkOptions.ratio, "Sink threshold, times the uniform share 1/N (default 10)");
  sub->add_option("--text-ratio", o->sinkOptions.textRatio, "Text-sink threshold, times 1/T (default 3)");
  sub->add_option("--max-sinks", o->sinkOptions.maxPerHead, "Sinks listed per (step, layer, head) (default 8)");
  sub->add_option("--primary-layers", o->sinkOptions.primaryLayers,
                  "Consecutive layers that make a sink primary (default: half the layers, at least 2)");
  sub->add_option("--window", o->window, "3D window half-widths FxHxW in tokens for the window share (default 1x1x1)");
  sub->add_option("--sink-share", o->headOptions.sinkShare, "Sink-dominated when sink share >= this (default 0.5)");
  sub->add_option("--spatial-share", o->headOptions.spatialShare, "Spatial when same-frame share >= this (default 0.5)");
  sub->add_option("--temporal-share", o->headOptions.temporalShare,
                  "Temporal when same-position-other-frames share >= this (default 0.3)");
  sub->add_option("--stability-strategy", o->stabilityStrategy, "Strategy of the masks compared (default threshold)");
  sub->add_option("--stability-density", o->stabilityDensity, "Density of the masks compared (default 0.2)");
  sub->add_option("--csv", o->csv, "Also write the tables as CSV files into this folder");
  sub->add_flag("--json", o->json, "Print the report as one JSON object");
  return [o] { return run(*o); };
}

}  // namespace attnscope::cli
