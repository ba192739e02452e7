#include "app/cli/SweepPlot.h"

#ifdef ATTNSCOPE_HAVE_CHARTS
#include "ui/charts/SweepChart.h"
#endif

namespace attnscope::cli {

#ifdef ATTNSCOPE_HAVE_CHARTS

bool sweepPlotAvailable() { return true; }

std::string writeSweepPlot(const SweepResult& result, const std::string& path) {
  charts::SweepChartData data;
  data.title = result.modelId + (result.modelTrained ? "" : " (untrained)") + " - \"" + result.prompt + "\", seed " +
               std::to_string(result.seed) + ", " + std::to_string(result.steps) + " steps, " + result.layout;
  for (const SweepPoint& p : result.points)
    data.points.push_back({p.strategy, p.density, p.psnr, p.ssim, p.attentionRatio, p.paretoDensity, p.paretoLatency,
                           p.video});
  std::string error;
  return charts::writeSweepPng(data, path, &error) ? "" : error;
}

#else

bool sweepPlotAvailable() { return false; }

std::string writeSweepPlot(const SweepResult&, const std::string&) {
  return "this attnscope-cli was built without Qt (ATTNSCOPE_GUI=OFF); the plot needs a GUI build "
         "(sweep.csv and sweep.json hold the same data)";
}

#endif

}  // namespace attnscope::cli
