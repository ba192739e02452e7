#pragma once
// Reading a sweep back: the sweep.json that `attnscope-cli sweep` and the
// Sweep panel write (engine toJson(SweepResult)) into a SweepResult, and a
// SweepResult into the plain chart data of attnscope_charts (the same title
// and points the CLI's PNG has).
#include <QString>

#include "engine/sweep/SweepJob.h"
#include "ui/charts/SweepChart.h"

namespace attnscope::ui {

// Throws Error naming the file and the field when it is not a sweep.json.
SweepResult readSweepJson(const QString& path);
charts::SweepChartData sweepChartData(const SweepResult& result);

}  // namespace attnscope::ui
