#pragma once
// Parses --capture-steps: "all", "last", "mid", or a comma list of steps and
// ranges ("0,5,10-12"); negative numbers count from the end (-1 = last).
#include <set>
#include <string>

namespace attnscope::cli {

std::set<int> parseStepList(const std::string& text, int steps);

}  // namespace attnscope::cli
