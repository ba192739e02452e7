// Torch-facing glue of the block-sparse kernels: mask conversion, input
// checks, output allocation and the choice of kernel path.
#include "engine/cuda/BlockSparseAttention.h"

#include <algorithm>

#include "engine/core/Error.h"

#ifdef ATTNSCOPE_HAVE_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>

#include "engine/cuda/SparseLaunch.h"
#endif

namespace attnscope::cuda {

KernelMask toKernelMask(const std::vector<const BlockMask*>& headMasks, int64_t blockSize, const torch::Device& device) {
  if (headMasks.empty()) throw Error("block-sparse attention needs at least one head mask");
  const int64_t nq = headMasks[0]->nq(), nk = headMasks[0]->nk();
  int64_t maxKept = 1;
  std::vector<SparseBlockList> lists;
  lists.reserve(headMasks.size());
  for (size_t h = 0; h < headMasks.size(); ++h) {
    const BlockMask& m = *headMasks[h];
    if (m.nq() != nq || m.nk() != nk)
      throw Error("head " + std::to_string(h) + "'s mask is " + std::to_string(m.nq()) + "x" + std::to_string(m.nk()) +
                  " blocks but head 0's is " + std::to_string(nq) + "x" + std::to_string(nk));
    lists.push_back(m.blockList());
    for (int64_t q = 0; q < nq; ++q) maxKept = std::max(maxKept, lists.back().count(q));
  }
  const int64_t heads = static_cast<int64_t>(headMasks.size());
  auto counts = torch::zeros({heads, nq}, torch::kInt32);
  auto indices = torch::zeros({heads, nq, maxKept}, torch::kInt32);
  auto* c = counts.data_ptr<int32_t>();
  auto* idx = indices.data_ptr<int32_t>();
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t q = 0; q < nq; ++q) {
      const SparseBlockList& l = lists[h];
      c[h * nq + q] = static_cast<int32_t>(l.count(q));
      for (int64_t i = l.offsets[q]; i < l.offsets[q + 1]; ++i)
        idx[(h * nq + q) * maxKept + (i - l.offsets[q])] = static_cast<int32_t>(l.indices[i]);
    }
  return KernelMask{counts.to(device), indices.to(device), blockSize};
}

std::string kernelPathName(KernelPath path) {
  switch (path) {
    case KernelPath::Auto: return "auto";
    case KernelPath::Hopper: return "hopper";
    case KernelPath::Portable: return "portable";
  }
  return "?";
}

#ifdef ATTNSCOPE_HAVE_CUDA

namespace {

void check(bool ok, const std::string& what) {
  if (!ok) throw Error("block-sparse attention: " + what);
}

}  // namespace

torch::Tensor blockSparseAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                   const KernelMask& mask, double scale, torch::Tensor* lse, KernelPath path) {
  check(q.dim() == 4 && k.sizes() == q.sizes() && v.sizes() == q.sizes(),
        "q, k and v must all be [B, H, N, D] of one shape");
  check(q.is_cuda() && k.device() == q.device() && v.device() == q.device(), "q, k and v must be on one CUDA device");
  const int64_t B = q.size(0), H = q.size(1), N = q.size(2), D = q.size(3);
  check(D == 64 || D == 128, "head dim " + std::to_string(D) + " is not supported (64 or 128)");
  check(mask.blockSize == 64 || mask.blockSize == 128,
        "block size " + std::to_string(mask.blockSize) + " is not supported (64 or 128)");
  check(mask.heads() == H, "the mask has " + std::to_string(mask.heads()) + " heads, q has " + std::to_string(H));
  check(mask.queryBlocks() == (N + mask.blockSize - 1) / mask.blockSize,
        "the mask has " + std::to_string(mask.queryBlocks()) + " q-blocks; " + std::to_string(N) + " tokens in blocks of " +
            std::to_string(mask.blockSize) + " need " + std::to_string((N + mask.blockSize - 1) / mask.blockSize));
  check(mask.counts.device() == q.device() && mask.indices.device() == q.device(),
        "the mask must be on q's device (toKernelMask(..., q.device()))");

  const c10::cuda::CUDAGuard guard(q.device());
  auto qb = q.to(torch::kBFloat16).contiguous(), kb = k.to(torch::kBFloat16).contiguous(),
       vb = v.to(torch::kBFloat16).contiguous();
  auto out = torch::empty_like(qb);
  torch::Tensor lseOut;
  if (lse) lseOut = torch::empty({B, H, N}, q.options().dtype(torch::kFloat32));

  SparseLaunchParams p;
  p.q = qb.data_ptr();
  p.k = kb.data_ptr();
  p.v = vb.data_ptr();
  p.out = out.data_ptr();
  p.lse = lse ? lseOut.data_ptr<float>() : nullptr;
  auto counts = mask.counts.contiguous(), indices = mask.indices.contiguous();
  p.counts = counts.data_ptr<int32_t>();
  p.indices = indices.data_ptr<int32_t>();
  p.maxKept = static_cast<int32_t>(indices.size(2));
  p.batch = static_cast<int32_t>(B);
  p.heads = static_cast<int32_t>(H);
  p.tokens = static_cast<int32_t>(N);
  p.headDim = static_cast<int32_t>(D);
  p.blockSize = static_cast<int32_t>(mask.blockSize);
  p.scale = static_cast<float>(scale);

  const auto* props = at::cuda::getCurrentDeviceProperties();
  const bool hopper = props->major == 9 && props->minor == 0;
  const cudaStream_t stream = at::cuda::getCurrentCUDAStream();
  cudaError_t status = cudaErrorNotSupported;
  if (path == KernelPath::Hopper || (path == KernelPath::Auto && hopper)) status = launchSparseHopper(p, stream);
  if (path == KernelPath::Portable || (path == KernelPath::Auto && status == cudaErrorNotSupported))
    status = launchSparsePortable(p, stream);
  check(status == cudaSuccess, kernelPathName(path) + " kernel failed: " + cudaGetErrorString(status));
  if (lse) *lse = lseOut;
  return out.to(q.scalar_type());
}

#else

torch::Tensor blockSparseAttention(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&, const KernelMask&,
                                   double, torch::Tensor*, KernelPath) {
  throw Error("block-sparse attention on the GPU: this build of AttnScope was built without CUDA");
}

#endif

}  // namespace attnscope::cuda
