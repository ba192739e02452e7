#pragma once
// Pareto front of points that trade a cost (lower is better: density,
// attention time) against a quality (higher is better: PSNR, SSIM). A point
// is on the front when no other point is at least as good on both and
// strictly better on one. Non-finite values are never on the front.
#include <vector>

namespace attnscope {

std::vector<bool> paretoFront(const std::vector<double>& cost, const std::vector<double>& quality);

}  // namespace attnscope
