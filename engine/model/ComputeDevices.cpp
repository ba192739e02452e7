#include "engine/model/ComputeDevices.h"

#include <torch/cuda.h>

#include "engine/cuda/CudaRuntime.h"

namespace attnscope {

std::string cudaUnavailableReason() {
  if (!cuda::built()) return "this build has no CUDA (its LibTorch is CPU-only)";
  if (torch::cuda::device_count() == 0) return "there is no CUDA device on this machine";
  return "";
}

std::vector<ComputeDevice> computeDevices() {
  std::vector<ComputeDevice> devices{{"cpu", "CPU"}};
  if (!cudaUnavailableReason().empty()) return devices;
  const int count = static_cast<int>(torch::cuda::device_count());
  for (int i = 0; i < count; ++i) {
    const std::string name = cuda::deviceName(i);
    devices.push_back({"cuda:" + std::to_string(i), "CUDA " + std::to_string(i) + (name.empty() ? "" : " · " + name)});
  }
  return devices;
}

}  // namespace attnscope
