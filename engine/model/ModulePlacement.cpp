#include "engine/model/ModulePlacement.h"

#include "engine/core/Error.h"

namespace attnscope {

void checkPlacement(torch::Device device, torch::ScalarType dtype) {
  if (dtype != torch::kFloat32 && dtype != torch::kBFloat16 && dtype != torch::kFloat16)
    throw Error(std::string("models run in float32, bfloat16 or float16, not ") + c10::toString(dtype));
  if (device.is_cuda() && !torch::cuda::is_available())
    throw Error("device " + device.str() + " was asked for, but this machine or LibTorch build has no CUDA device");
  if (!device.is_cpu() && !device.is_cuda()) throw Error("models run on cpu or cuda, not " + device.str());
}

void placeModule(torch::nn::Module& module, const std::string& prefix, torch::Device device, torch::ScalarType dtype,
                 const KeepsFloat32& keepFloat32, bool nonBlocking) {
  checkPlacement(device, dtype);
  torch::NoGradGuard noGrad;
  auto move = [&](const std::string& name, torch::Tensor& t) {
    if (!t.defined()) return;
    const auto target = !t.is_floating_point()                      ? t.scalar_type()
                        : keepFloat32 && keepFloat32(prefix + name) ? torch::kFloat32
                                                                    : dtype;
    if (t.device() != device || t.scalar_type() != target) t.set_data(t.to(device, target, nonBlocking));
  };
  for (auto& p : module.named_parameters(true)) move(p.key(), p.value());
  for (auto& b : module.named_buffers(true)) move(b.key(), b.value());
}

}  // namespace attnscope
