#include "engine/model/ComputePlacement.h"

#include <torch/cuda.h>

#include "engine/core/Error.h"
#include "engine/cuda/CudaRuntime.h"
#include "engine/model/ComputeDevices.h"

namespace attnscope {

namespace {

torch::Device parseDevice(const std::string& text) {
  if (text.empty() || text == "cpu") return torch::kCPU;
  if (text.rfind("cuda", 0) != 0) throw Error("device must be cpu, cuda or cuda:N, got '" + text + "'");
  int64_t index = 0;
  if (text.size() > 4) {
    const std::string number = text.substr(5);
    if (text[4] != ':' || number.empty() || number.find_first_not_of("0123456789") != std::string::npos)
      throw Error("device must be cpu, cuda or cuda:N, got '" + text + "'");
    index = std::stoll(number);
  }
  if (const std::string why = cudaUnavailableReason(); !why.empty())
    throw Error("device '" + text + "' asked for, but " + why + (cuda::built() ? "" : ": use --device cpu"));
  const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
  if (index >= count)
    throw Error("no CUDA device " + std::to_string(index) + ": this machine has " + std::to_string(count));
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

}  // namespace

ComputePlacement parseComputePlacement(const std::string& device, const std::string& dtype) {
  ComputePlacement p;
  p.device = parseDevice(device);
  if (dtype.empty()) {
    p.dtype = p.device.is_cuda() ? torch::kBFloat16 : torch::kFloat32;
  } else if (dtype == "float32") {
    p.dtype = torch::kFloat32;
  } else if (dtype == "bfloat16") {
    // The CPU attention kernels and the CPU model are float32 only.
    if (!p.device.is_cuda()) throw Error("dtype bfloat16 needs a CUDA device; on the CPU the model runs in float32");
    p.dtype = torch::kBFloat16;
  } else {
    throw Error("dtype must be float32 or bfloat16, got '" + dtype + "'");
  }
  return p;
}

std::string dtypeName(torch::ScalarType dtype) {
  switch (dtype) {
    case torch::kFloat32: return "float32";
    case torch::kBFloat16: return "bfloat16";
    case torch::kFloat16: return "float16";
    case torch::kFloat64: return "float64";
    default: return c10::toString(dtype);
  }
}

}  // namespace attnscope
