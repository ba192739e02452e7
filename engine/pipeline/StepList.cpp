#include "engine/pipeline/StepList.h"

#include <sstream>

#include "engine/core/Error.h"

namespace attnscope {

namespace {

int parseStep(const std::string& item, int steps, const std::string& whole) {
  size_t used = 0;
  int value = 0;
  try {
    value = std::stoi(item, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != item.size())
    throw Error("capture steps '" + whole + "': '" + item + "' is not a step number");
  if (value < 0) value += steps;
  if (value < 0 || value >= steps)
    throw Error("capture steps '" + whole + "': step " + item + " is outside 0.." + std::to_string(steps - 1));
  return value;
}

}  // namespace

std::set<int> parseStepList(const std::string& text, int steps) {
  std::set<int> out;
  if (text == "all") {
    for (int s = 0; s < steps; ++s) out.insert(s);
    return out;
  }
  if (text == "last") return {steps - 1};
  if (text == "mid") return {steps / 2};
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty()) continue;
    size_t dash = item.find('-', 1);
    if (dash == std::string::npos) {
      out.insert(parseStep(item, steps, text));
    } else {
      int a = parseStep(item.substr(0, dash), steps, text), b = parseStep(item.substr(dash + 1), steps, text);
      for (int s = std::min(a, b); s <= std::max(a, b); ++s) out.insert(s);
    }
  }
  if (out.empty()) throw Error("capture steps '" + text + "' name no step");
  return out;
}

}  // namespace attnscope
