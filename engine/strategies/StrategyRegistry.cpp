// The list of strategies: one line each.
#include "engine/core/Error.h"
#include "engine/strategies/BuiltinStrategies.h"

namespace attnscope {

const std::vector<Strategy>& allStrategies() {
  static const std::vector<Strategy> strategies = {
      makeThresholdStrategy(),
      makeTopKStrategy(),
      makeSinkWindowStrategy(),
      makeWindow3dStrategy(),
      makeSpatialTemporalStrategy(),
      makeAntidiagonalStrategy(),
      makeRotatingAnchorsStrategy(),
      makeRadialStrategy(),
      makeHeadBudgetStrategy(),
  };
  return strategies;
}

const Strategy& findStrategy(const std::string& name) {
  std::string known;
  for (const Strategy& s : allStrategies()) {
    if (s.name == name) return s;
    known += (known.empty() ? "" : ", ") + s.name;
  }
  throw Error("unknown strategy '" + name + "' (known: " + known + ")");
}

}  // namespace attnscope
