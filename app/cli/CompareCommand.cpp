// `compare`: per-frame and mean PSNR / SSIM between two videos.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "app/cli/CliSupport.h"
#include "app/cli/Commands.h"
#include "engine/core/Error.h"
#include "engine/metrics/VideoMetrics.h"

namespace attnscope::cli {

namespace {

struct CompareOptions {
  std::string a, b, csv, jsonFile;
  bool json = false;
};

int run(const CompareOptions& o) {
  prepareOutput(o.csv);
  prepareOutput(o.jsonFile);
  VideoFrames a = readVideo(o.a), b = readVideo(o.b);
  VideoQuality q = compareVideos(a, b);
  nlohmann::json frames = nlohmann::json::array();
  for (size_t i = 0; i < q.frames.size(); ++i)
    frames.push_back({{"frame", i}, {"psnr", q.frames[i].psnr}, {"ssim", q.frames[i].ssim}});
  nlohmann::json report = {{"command", "compare"}, {"a", o.a},          {"b", o.b},
                           {"frames", frames},     {"mean_psnr", q.meanPsnr}, {"mean_ssim", q.meanSsim},
                           {"psnr_cap", kPsnrCap}};
  if (!o.csv.empty()) {
    std::ofstream csv(o.csv);
    if (!csv) throw Error("cannot write " + o.csv);
    csv << "frame,psnr,ssim\n";
    for (size_t i = 0; i < q.frames.size(); ++i) csv << i << "," << q.frames[i].psnr << "," << q.frames[i].ssim << "\n";
    csv << "mean," << q.meanPsnr << "," << q.meanSsim << "\n";
  }
  if (!o.jsonFile.empty()) {
    std::ofstream out(o.jsonFile);
    if (!out) throw Error("cannot write " + o.jsonFile);
    out << report.dump(1) << "\n";
  }
  if (o.json) {
    printJson(report);
  } else {
    std::printf("%6s %10s %8s\n", "frame", "PSNR dB", "SSIM");
    for (size_t i = 0; i < q.frames.size(); ++i)
      std::printf("%6zu %10.2f %8.4f\n", i, q.frames[i].psnr, q.frames[i].ssim);
    std::printf("%6s %10.2f %8.4f\n", "mean", q.meanPsnr, q.meanSsim);
  }
  return 0;
}

}  // namespace

Runner addCompareCommand(CLI::App& app) {
  auto o = std::make_shared<CompareOptions>();
  CLI::App* sub = app.add_subcommand("compare", "PSNR and SSIM (per frame and mean) between two videos");
  sub->add_option("a", o->a, "Reference video (e.g. dense)")->required();
  sub->add_option("b", o->b, "Video to compare (e.g. sparse)")->required();
  sub->add_option("--csv", o->csv, "Also write the per-frame table as CSV");
  sub->add_option("--json-file", o->jsonFile, "Also write the report as a JSON file");
  sub->add_flag("--json", o->json, "Print the report as one JSON object");
  return [o] { return run(*o); };
}

}  // namespace attnscope::cli
