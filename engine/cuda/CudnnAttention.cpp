// The dispatcher call behind cudnnAttentionWithLse (see the header for why it
// is boxed): arguments by position after checking the schema's names.
#include "engine/cuda/CudnnAttention.h"

#include <array>
#include <exception>

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/version.h>

namespace attnscope::cuda {

namespace {

constexpr const char* kOperator = "aten::_scaled_dot_product_cudnn_attention";
// aten::_scaled_dot_product_cudnn_attention(Tensor query, Tensor key, Tensor value, Tensor? attn_bias,
//   bool compute_log_sumexp, float dropout_p=0., bool is_causal=False, bool return_debug_mask=False,
//   *, float? scale=None) -> (Tensor output, Tensor logsumexp, ...)
constexpr std::array<const char*, 9> kArguments = {"query",     "key",       "value",
                                                   "attn_bias", "compute_log_sumexp", "dropout_p",
                                                   "is_causal", "return_debug_mask",  "scale"};

std::string schemaProblem(const c10::FunctionSchema& schema) {
  const auto& args = schema.arguments();
  if (args.size() != kArguments.size() || schema.returns().size() < 2)
    return std::string(kOperator) + " has an unexpected schema: " + c10::toString(schema);
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i].name() != kArguments[i])
      return std::string(kOperator) + " has an unexpected schema: " + c10::toString(schema);
  return {};
}

}  // namespace

bool cudnnAttentionWithLse(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, double scale,
                           torch::Tensor& out, torch::Tensor& lse, std::string* whyNot) {
  auto fail = [&](const std::string& why) {
    if (whyNot) *whyNot = why;
    return false;
  };
  if (!q.is_cuda()) return fail("cuDNN attention needs CUDA tensors");
  const auto handle = c10::Dispatcher::singleton().findSchema({kOperator, ""});
  if (!handle) return fail(std::string("this LibTorch (") + TORCH_VERSION + ") has no " + kOperator);
  const std::string problem = schemaProblem(handle->schema());
  if (!problem.empty()) return fail(problem);
  std::vector<c10::IValue> stack{q, k, v, c10::IValue(), true, 0.0, false, false, scale};
  try {
    handle->callBoxed(&stack);
  } catch (const std::exception& e) {
    return fail(std::string("cuDNN attention refused the inputs: ") + e.what());
  }
  if (stack.size() < 2 || !stack[0].isTensor() || !stack[1].isTensor())
    return fail(std::string(kOperator) + " returned no output and log-sum-exp");
  auto o = stack[0].toTensor(), l = stack[1].toTensor();
  const int64_t B = q.size(0), H = q.size(1), N = q.size(2);
  if (!l.defined() || l.numel() != B * H * N)
    return fail(std::string(kOperator) + " returned a log-sum-exp of " + std::to_string(l.defined() ? l.numel() : 0) +
                " values for " + std::to_string(B * H * N) + " queries");
  out = o;
  lse = l.reshape({B, H, N}).to(torch::kFloat32);
  return true;
}

}  // namespace attnscope::cuda
