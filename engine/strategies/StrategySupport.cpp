#include "engine/strategies/StrategySupport.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

#include "engine/core/Error.h"

namespace attnscope {

double paramValue(const StrategyParams& given, const std::vector<StrategyParam>& spec, const std::string& name) {
  auto it = given.find(name);
  if (it != given.end()) return it->second;
  for (const StrategyParam& p : spec)
    if (p.name == name) return p.defaultValue;
  throw Error("strategy parameter '" + name + "' is not declared");
}

std::vector<BlockMask> buildPerHead(const PooledMaps& maps,
                                    const std::function<void(int64_t, int64_t, BlockMask&)>& fill) {
  // Heads are independent and `fill` only reads the maps, so they are built on
  // every core: a target-density search rebuilds all of them (360 for Wan
  // 1.3B) at each of its steps.
  const int64_t count = maps.layers * maps.heads;
  std::vector<BlockMask> masks(count);
  std::atomic<int64_t> next{0};
  std::exception_ptr failure;
  std::mutex failureLock;
  auto work = [&] {
    for (int64_t i = next++; i < count; i = next++) {
      try {
        BlockMask mask(maps.nq, maps.nk, false);
        fill(i / maps.heads, i % maps.heads, mask);
        for (int64_t q = 0; q < std::min(maps.nq, maps.nk); ++q) mask.set(q, q, true);
        masks[i] = std::move(mask);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failureLock);
        if (!failure) failure = std::current_exception();
        next = count;
      }
    }
  };
  const int64_t helpers = std::min<int64_t>(count, std::max(1u, std::thread::hardware_concurrency())) - 1;
  std::vector<std::thread> threads;
  for (int64_t t = 0; t < helpers; ++t) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
  return masks;
}

std::vector<uint64_t> rankKeys(const float* values, int64_t n) {
  std::vector<uint64_t> keys(n);
  for (int64_t i = 0; i < n; ++i) {
    // Map the float to an unsigned integer with the same order, then invert it.
    uint32_t bits;
    std::memcpy(&bits, &values[i], sizeof bits);
    uint32_t ordered = (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
    keys[i] = (uint64_t(~ordered) << 32) | uint64_t(i);
  }
  return keys;
}

std::vector<BlockBox> blockBoxes(const PooledMaps& maps) {
  std::vector<BlockBox> boxes(maps.nk);
  for (int64_t b = 0; b < maps.nk; ++b) boxes[b] = maps.layout.blockBox(maps.grid, b);
  return boxes;
}

BoxGaps boxGaps(const BlockBox& a, const BlockBox& b) {
  // Half-open ranges [a0, a1) and [b0, b1): the gap between their nearest tokens.
  auto gap = [](int64_t a0, int64_t a1, int64_t b0, int64_t b1) {
    return std::max<int64_t>({0, b0 - (a1 - 1), a0 - (b1 - 1)});
  };
  return {gap(a.f0, a.f1, b.f0, b.f1), gap(a.y0, a.y1, b.y0, b.y1), gap(a.x0, a.x1, b.x0, b.x1)};
}

double headKeptMass(const PooledMaps& maps, int64_t layer, int64_t head, const BlockMask& mask) {
  const float* map = maps.map(layer, head);
  double kept = 0;
  for (int64_t q = 0; q < maps.nq; ++q)
    for (int64_t k = 0; k < maps.nk; ++k)
      if (mask.get(q, k)) kept += map[q * maps.nk + k];
  return maps.nq ? kept / double(maps.nq) : 0.0;
}

std::vector<int64_t> sinkBlockOrder(const PooledMaps& maps, int64_t layer, int64_t head) {
  std::vector<double> received = blockMeanSink(maps, layer, head);
  std::vector<int64_t> order(maps.nk);
  for (int64_t b = 0; b < maps.nk; ++b) order[b] = b;
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return received[a] > received[b]; });
  return order;
}

std::vector<double> blockMeanSink(const PooledMaps& maps, int64_t layer, int64_t head) {
  const float* sink = maps.sinkOf(layer, head);
  std::vector<int64_t> order = maps.layout.permutation(maps.grid);  // empty for linear: identity
  int64_t n = maps.grid.videoTokens(), block = maps.layout.blockSize();
  std::vector<double> mean(maps.nk, 0.0);
  for (int64_t p = 0; p < n; ++p) mean[p / block] += sink[order.empty() ? p : order[p]];
  for (int64_t b = 0; b < maps.nk; ++b) mean[b] /= double(maps.layout.blockTokens(maps.grid, b));
  return mean;
}

}  // namespace attnscope
