#include "engine/mask/BlockMask.h"

#include <numeric>

namespace attnscope {

BlockMask::BlockMask(int64_t nq, int64_t nk, bool keep) : nq_(nq), nk_(nk), bits_(nq * nk, keep ? 1 : 0) {}

void BlockMask::fill(bool keep) { std::fill(bits_.begin(), bits_.end(), keep ? 1 : 0); }

int64_t BlockMask::kept() const { return std::accumulate(bits_.begin(), bits_.end(), int64_t{0}); }

double BlockMask::density() const { return nq_ * nk_ == 0 ? 0.0 : double(kept()) / double(nq_ * nk_); }

SparseBlockList BlockMask::blockList() const {
  SparseBlockList list;
  list.offsets.reserve(nq_ + 1);
  list.offsets.push_back(0);
  for (int64_t q = 0; q < nq_; ++q) {
    for (int64_t k = 0; k < nk_; ++k)
      if (bits_[q * nk_ + k]) list.indices.push_back(k);
    list.offsets.push_back(static_cast<int64_t>(list.indices.size()));
  }
  return list;
}

}  // namespace attnscope
