#pragma once
// A generation job's stage timings for the CLI report: the JSON object under
// "timings" and the human table (text, denoise split into attention and the
// rest, mean dense / sparse / capture step, decode, peak GPU memory).
#include <ostream>

#include <nlohmann/json.hpp>

#include "engine/pipeline/GenerationTypes.h"

namespace attnscope::cli {

nlohmann::json stageTimingsJson(const StageTimings& timings);
void printStageTable(std::ostream& out, const StageTimings& timings);

}  // namespace attnscope::cli
