// The GPU paths of AttentionOp: argument shaping (dtype, head-dim padding,
// layout permutation) around LibTorch's fused attention and the engine's
// CUDA kernels.
#include "engine/attention/DeviceAttention.h"

#include <cmath>

#include <torch/version.h>

#include "engine/attention/AttentionSupport.h"
#include "engine/attention/DifferentiableAttention.h"
#include "engine/core/Error.h"
#include "engine/cuda/CaptureStatistics.h"
#include "engine/cuda/CudaRuntime.h"
#include "engine/cuda/CudnnAttention.h"

namespace attnscope {

namespace {

// The kernels' head dim for D: 64 or 128, or 0 when D is too large.
int64_t kernelHeadDim(int64_t headDim) {
  if (headDim <= 64) return 64;
  if (headDim <= 128) return 128;
  return 0;
}

// [B, H, N, D] -> [B, H, N, to], the new columns zero.
torch::Tensor padHeadDim(const torch::Tensor& t, int64_t to) {
  if (t.size(3) == to) return t.contiguous();
  return torch::constant_pad_nd(t, {0, to - t.size(3)});
}

// Why the engine's kernels cannot take inputs of head dim D; "" when they can.
std::string kernelsRefuse(int64_t headDim) {
  if (!cuda::built()) return "this build has no CUDA kernels (ATTNSCOPE_HAVE_CUDA is off)";
  if (!kernelHeadDim(headDim))
    return "head dim " + std::to_string(headDim) + " is larger than the kernels' 128";
  return "";
}

#if TORCH_VERSION_MAJOR >= 2
// at::_fused_sdp_choice's answer (sdp::SDPBackend) as a name.
std::string sdpBackendName(int64_t backend) {
  switch (backend) {
    case 0: return "math";
    case 1: return "flash";
    case 2: return "efficient";
    case 3: return "cudnn";
    case 4: return "overrideable";
    default: return "none";
  }
}
#endif

}  // namespace

torch::Tensor DeviceAttention::dense(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  // q and k leave RoPE in float32 while v is in the model's dtype.
  const auto dtype = v.scalar_type();
  auto qc = q.to(dtype), kc = k.to(dtype);
#if TORCH_VERSION_MAJOR >= 2
  // LibTorch 2.x orders its fused backends itself; on Hopper with a recent
  // cuDNN (the CUDA 13 builds) cuDNN comes first. Ask which one it takes,
  // for the report, once per run.
  if (denseKernel_.empty() && q.size(2) == k.size(2)) {
    try {
      denseKernel_ = sdpBackendName(at::_fused_sdp_choice(qc, kc, v));
    } catch (const c10::Error&) {
      denseKernel_ = "unknown";
    }
  }
  return at::scaled_dot_product_attention(qc, kc, v);  // scale 1/sqrt(D), as on the CPU
#else
  if (denseKernel_.empty()) denseKernel_ = "matmul";
  return differentiableAttention(qc, kc, v);
#endif
}

const DeviceAttention::LayoutIndex& DeviceAttention::layoutIndex(const TokenGrid& grid, const BlockLayout& layout,
                                                                 const torch::Device& device) {
  const std::string key = layout.str() + " on " + grid.str() + " " + device.str();
  auto it = layouts_.find(key);
  if (it != layouts_.end()) return it->second;
  std::vector<int64_t> order = layout.permutation(grid);
  const int64_t n = grid.videoTokens();
  LayoutIndex index;
  index.identity = order.empty();
  if (order.empty())
    for (int64_t p = 0; p < n; ++p) order.push_back(p);
  std::vector<int64_t> inverse(order.size());
  for (size_t p = 0; p < order.size(); ++p) inverse[order[p]] = static_cast<int64_t>(p);
  index.order = torch::tensor(order, torch::kInt64).to(device);
  index.inverse = torch::tensor(inverse, torch::kInt64).to(device);
  return layouts_.emplace(key, std::move(index)).first->second;
}

torch::Tensor DeviceAttention::sparse(int layer, const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                      const TokenGrid& grid, const BlockLayout& layout,
                                      const std::vector<const BlockMask*>& masks, std::string* whyNot) {
  attention_detail::checkInputs("sparse attention", q, k, v, true, true);
  attention_detail::checkGrid("sparse attention", grid, layout, q.size(2));
  const int64_t D = q.size(3), block = layout.blockSize();
  *whyNot = kernelsRefuse(D);
  if (whyNot->empty() && block != 64 && block != 128)
    *whyNot = "the plan's block size " + std::to_string(block) + " is not one of the kernel's 64 or 128";
  if (!whyNot->empty()) return {};

  auto cached = layerMasks_.find(layer);
  if (cached == layerMasks_.end())
    cached = layerMasks_.emplace(layer, cuda::toKernelMask(masks, block, q.device())).first;
  const LayoutIndex& index = layoutIndex(grid, layout, q.device());
  const auto dtype = v.scalar_type();
  const int64_t Dk = kernelHeadDim(D);
  auto inLayout = [&](const torch::Tensor& t) {
    auto padded = padHeadDim(t.to(dtype), Dk);
    return index.identity ? padded : padded.index_select(2, index.order);
  };
  auto out = cuda::blockSparseAttention(inLayout(q), inLayout(k), inLayout(v), cached->second,
                                        attention_detail::softmaxScale(D));
  if (!index.identity) out = out.index_select(2, index.inverse);
  return out.narrow(3, 0, D).contiguous();
}

torch::Tensor DeviceAttention::capture(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                       const TokenGrid& grid, const BlockLayout& layout, int64_t captureBatch,
                                       AtlasEntry& out, std::string* whyNot) {
  attention_detail::checkInputs("capture attention", q, k, v, true, true);
  const int64_t B = q.size(0), N = q.size(2), D = q.size(3);
  attention_detail::checkGrid("capture attention", grid, layout, N);
  if (captureBatch < 0 || captureBatch >= B)
    throw Error("capture attention: capture batch " + std::to_string(captureBatch) + " is outside the batch of " +
                std::to_string(B));
  *whyNot = kernelsRefuse(D);
  if (!whyNot->empty()) return {};
  // The dense pass must also give each query's log-sum-exp: cuDNN's where
  // this LibTorch has the op (2.x; about 1.45x faster than our kernel on an
  // H100), else our block-sparse kernel with every block kept, which returns
  // it as its contract states (float32 [B, H, N], natural log).
  const auto dtype = v.scalar_type();
  const int64_t Dk = kernelHeadDim(D);
  auto qp = padHeadDim(q.to(dtype), Dk), kp = padHeadDim(k.to(dtype), Dk), vp = padHeadDim(v.to(dtype), Dk);
  const double scale = attention_detail::softmaxScale(D);
  torch::Tensor lse, result;
  if (!cudnnRefused_ && dtype == torch::kBFloat16 &&
      !cuda::cudnnAttentionWithLse(qp, kp, vp, scale, result, lse, &cudnnWhyNot_))
    cudnnRefused_ = true;  // asked once: the op is missing or refuses these inputs
  if (!result.defined()) {
    constexpr int64_t kFullBlock = 64;
    auto full = fullMasks_.find(N);
    if (full == fullMasks_.end()) {
      const int64_t nb = (N + kFullBlock - 1) / kFullBlock;
      const BlockMask all(nb, nb, true);
      const std::vector<const BlockMask*> heads(static_cast<size_t>(q.size(1)), &all);
      full = fullMasks_.emplace(N, cuda::toKernelMask(heads, kFullBlock, q.device())).first;
    }
    result = cuda::blockSparseAttention(qp, kp, vp, full->second, scale, &lse);  // natural order
  }

  // Statistics of the captured element with its tokens in the capture layout's order.
  const LayoutIndex& index = layoutIndex(grid, layout, q.device());
  cuda::CaptureRequest request;
  request.blockSize = layout.blockSize();
  request.scale = scale;
  request.naturalIndex = index.order;
  request.grid = grid;
  auto stats = cuda::captureStatistics(qp[captureBatch].index_select(1, index.order),
                                       kp[captureBatch].index_select(1, index.order),
                                       lse[captureBatch].index_select(1, index.order), request);
  out.pooled = attention_detail::toFloatVector(stats.pooled);
  out.sink = attention_detail::toFloatVector(stats.keyMass.index_select(1, index.inverse));
  out.entropy = attention_detail::toFloatVector(stats.entropy.index_select(1, index.inverse));
  out.offsets = stats.offsets.defined() ? attention_detail::toFloatVector(stats.offsets) : std::vector<float>{};
  return result.narrow(3, 0, D).contiguous();
}

}  // namespace attnscope
