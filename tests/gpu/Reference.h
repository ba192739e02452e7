#pragma once
// Float64 references for the GPU kernel checks: inputs upcast, the whole
// N x N matrix materialised on the device (small N only).
#include <torch/torch.h>

#include "engine/core/TokenGrid.h"

namespace attnscope::gpucheck {

// keep: bool [H, nq, nk] block mask -> bool [H, N, N] token mask.
torch::Tensor tokenMask(const torch::Tensor& keep, int64_t blockSize, int64_t tokens);

struct SparseReference {
  torch::Tensor out;  // double [B, H, N, D]; zeros for rows of an empty q-block
  torch::Tensor lse;  // double [B, H, N]; -inf for those rows
};
// q, k, v: [B, H, N, D]; softmax over the kept keys of each row only.
SparseReference sparseReference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                const torch::Tensor& keep, int64_t blockSize, double scale);

struct CaptureReference {
  torch::Tensor lse;      // double [H, N]
  torch::Tensor pooled;   // double [H, nb, nb], per q-block mean over its queries
  torch::Tensor keyMass;  // double [H, N]
  torch::Tensor entropy;  // double [H, N]
  torch::Tensor offsets;  // double [H, 2F-1, 2H-1, 2W-1]; only when naturalIndex is defined
};
// q, k: [H, N, D] in layout order; naturalIndex: int64 [N] or undefined.
CaptureReference captureReference(const torch::Tensor& q, const torch::Tensor& k, int64_t blockSize, double scale,
                                  const torch::Tensor& naturalIndex = {}, const TokenGrid& grid = {});

// ||a - b|| / ||b|| in float64; +inf when either holds a NaN.
double relativeError(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace attnscope::gpucheck
