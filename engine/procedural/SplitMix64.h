#pragma once
// SplitMix64: a tiny PRNG whose outputs are the same on every platform and
// compiler (std::uniform_*_distribution is implementation-defined, so scenes
// drawn with it would differ between the build machine and the GPU machine).
// Only integer arithmetic and exact IEEE double operations are used.
#include <cstdint>

namespace attnscope::procedural {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n).
  int below(int n) { return static_cast<int>(uniform() * n); }
  bool chance(double p) { return uniform() < p; }

 private:
  uint64_t state_;
};

// A well-mixed value of (a, b) for position-dependent noise.
inline uint64_t mixHash(uint64_t a, uint64_t b) {
  SplitMix64 g(a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull));
  return g.next();
}

}  // namespace attnscope::procedural
