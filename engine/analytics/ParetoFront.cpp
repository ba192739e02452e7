#include "engine/analytics/ParetoFront.h"

#include <cmath>

#include "engine/core/Error.h"

namespace attnscope {

std::vector<bool> paretoFront(const std::vector<double>& cost, const std::vector<double>& quality) {
  if (cost.size() != quality.size())
    throw Error("pareto front: " + std::to_string(cost.size()) + " costs vs " + std::to_string(quality.size()) +
                " qualities");
  const size_t n = cost.size();
  std::vector<bool> front(n, false);
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(cost[i]) || !std::isfinite(quality[i])) continue;
    bool dominated = false;
    for (size_t j = 0; j < n && !dominated; ++j) {
      if (j == i || !std::isfinite(cost[j]) || !std::isfinite(quality[j])) continue;
      dominated = cost[j] <= cost[i] && quality[j] >= quality[i] && (cost[j] < cost[i] || quality[j] > quality[i]);
    }
    front[i] = !dominated;
  }
  return front;
}

}  // namespace attnscope
