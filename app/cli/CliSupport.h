#pragma once
// Shared pieces of attnscope-cli: the default model location, where the
// model runs (--device, --dtype), the terminal progress bar, thread set-up
// and the human/JSON report.
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace attnscope::cli {

// --model when given; else $ATTNSCOPE_MODEL; else the default model built
// next to the executable (engine/model/ModelLocation.h, shared with the GUI).
std::string resolveModelPath(const std::string& given, const char* argv0);

void setThreads(int threads);  // <= 0: all cores

// --device and --dtype, the same on every command that runs the model; the
// strings go to parseComputePlacement (engine/model/ComputePlacement.h),
// which refuses a device this build or machine lacks.
struct PlacementOptions {
  std::string device = "cpu", dtype;  // dtype "" = the device's default
};
void addPlacementOptions(CLI::App* command, PlacementOptions& options);

// Creates the folder an output file goes into, before any long work starts;
// throws Error naming the path when that is impossible.
void prepareOutput(const std::string& path);

// Redraws one line on stderr when it is a terminal; silent otherwise.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label, bool enabled = true);
  void update(int done, int total);
  void finish();

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
};

// Prints `report` as one JSON object on stdout when json is set.
void printJson(const nlohmann::json& report);

std::string formatSeconds(double s);

}  // namespace attnscope::cli
