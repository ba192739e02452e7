#pragma once
// LibTorch side of the safetensors reader/writer: file tensors to torch
// tensors, and strict state-dict loading for torch::nn::Module. Loading is
// all-or-nothing: every missing, unexpected or mis-shaped tensor is listed in
// one Error before any parameter is touched.
#include <map>
#include <string>

#include <torch/torch.h>

#include "engine/io/Safetensors.h"

namespace attnscope {

// A float32 copy of one tensor of the file (F16/BF16 widened).
torch::Tensor readTensor(const SafetensorsFile& file, const TensorInfo& info);

// Copies every tensor of `file` whose name starts with `prefix` (prefix
// stripped) into the module's parameters and buffers of the same name.
void loadStateDict(torch::nn::Module& module, const SafetensorsFile& file, const std::string& prefix = "");

// Adds the module's parameters and buffers (float32, contiguous) to `out`
// under prefix + name.
void collectStateDict(const torch::nn::Module& module, const std::string& prefix,
                      std::map<std::string, torch::Tensor>& out);

void saveTensors(const std::string& path, const std::map<std::string, torch::Tensor>& tensors,
                 const std::map<std::string, std::string>& metadata = {});

}  // namespace attnscope
