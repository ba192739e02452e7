#pragma once
// The sweep's PNG, drawn by the Qt Charts library when this build has it
// (ATTNSCOPE_GUI); otherwise a note that the plot needs a GUI build.
#include <string>

#include "engine/sweep/SweepJob.h"

namespace attnscope::cli {

bool sweepPlotAvailable();
// Writes `path`; returns "" on success, else why not.
std::string writeSweepPlot(const SweepResult& result, const std::string& path);

}  // namespace attnscope::cli
