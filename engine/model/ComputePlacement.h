#pragma once
// Where a model runs: a device ("cpu", "cuda", "cuda:N") and the floating
// dtype of its DiT weights ("float32", "bfloat16"; "" = float32 on the CPU,
// bfloat16 on CUDA). Front ends pass the user's strings; a device this build
// or this machine cannot give is an Error that says which.
#include <string>

#include <torch/torch.h>

namespace attnscope {

struct ComputePlacement {
  torch::Device device{torch::kCPU};
  torch::ScalarType dtype = torch::kFloat32;
};

ComputePlacement parseComputePlacement(const std::string& device, const std::string& dtype = "");

// "float32", "bfloat16", ... (for reports).
std::string dtypeName(torch::ScalarType dtype);

}  // namespace attnscope
