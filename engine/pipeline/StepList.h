#pragma once
// Parses a list of capture steps (CLI --capture-steps, GUI Run panel): "all",
// "last", "mid", or a comma list of steps and ranges ("0,5,10-12"); negative
// numbers count from the end (-1 = last).
#include <set>
#include <string>

namespace attnscope {

std::set<int> parseStepList(const std::string& text, int steps);

}  // namespace attnscope
