#pragma once
// Moving a module's tensors to a device and floating dtype, with named
// exceptions that stay float32 (a model's precision policy). Used while a
// large model is being built, part by part, so that it never exists whole as
// a float32 CPU copy, and by the models' Module::to overrides.
#include <functional>
#include <string>

#include <torch/torch.h>

namespace attnscope {

// true = this parameter or buffer (full name, prefix included) stays float32.
using KeepsFloat32 = std::function<bool(const std::string&)>;

// Every parameter and buffer of `module` (named prefix + its name) goes to
// `device`; floating ones take `dtype`, or float32 where keepFloat32 says so.
// Throws Error for a dtype that is not floating point or a CUDA device in a
// build or machine without one.
void placeModule(torch::nn::Module& module, const std::string& prefix, torch::Device device, torch::ScalarType dtype,
                 const KeepsFloat32& keepFloat32 = {}, bool nonBlocking = false);

// The same checks alone, for options read before anything is built.
void checkPlacement(torch::Device device, torch::ScalarType dtype);

}  // namespace attnscope
