#pragma once
// BlockMask: for one (layer, head), which kv-blocks each q-block attends to,
// as a byte-per-block matrix [nq, nk] in layout order. The kernel form lists,
// per q-block, the kept kv-block indices (ascending).
#include <cstdint>
#include <vector>

namespace attnscope {

struct SparseBlockList {
  std::vector<int64_t> offsets;  // nq + 1 prefix sums into indices
  std::vector<int64_t> indices;  // kept kv-blocks per q-block, ascending
  int64_t count(int64_t q) const { return offsets[q + 1] - offsets[q]; }
};

class BlockMask {
 public:
  BlockMask() = default;
  BlockMask(int64_t nq, int64_t nk, bool keep = false);

  int64_t nq() const { return nq_; }
  int64_t nk() const { return nk_; }
  bool get(int64_t q, int64_t k) const { return bits_[q * nk_ + k] != 0; }
  void set(int64_t q, int64_t k, bool keep) { bits_[q * nk_ + k] = keep ? 1 : 0; }
  void fill(bool keep);

  int64_t kept() const;
  double density() const;  // kept / (nq * nk)
  bool full() const { return kept() == nq_ * nk_; }
  SparseBlockList blockList() const;

  const std::vector<uint8_t>& bytes() const { return bits_; }
  bool operator==(const BlockMask& o) const { return nq_ == o.nq_ && nk_ == o.nk_ && bits_ == o.bits_; }

 private:
  int64_t nq_ = 0, nk_ = 0;
  std::vector<uint8_t> bits_;
};

}  // namespace attnscope
