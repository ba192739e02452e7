#pragma once
// TensorSource: the named tensors of one checkpoint component, whatever the
// container (safetensors, sharded safetensors, PyTorch .pth), read lazily one
// tensor at a time. loadStrict() copies them into a module under translated
// names and is all-or-nothing: every missing, unexpected or mis-shaped tensor
// is listed in one Error naming the files.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace attnscope {

struct StoredTensor {
  std::vector<int64_t> shape;
  std::function<torch::Tensor()> read;  // a float32 copy
};

struct TensorSource {
  std::string description;  // the file(s), for messages
  std::map<std::string, StoredTensor> tensors;
  bool has(const std::string& name) const { return tensors.count(name) > 0; }
  const StoredTensor& at(const std::string& name) const;  // throws naming the tensor and files
};

// One or several safetensors files (the shards of one component).
TensorSource openSafetensors(const std::vector<std::string>& files);
// A .pth written by torch.save holding a dict of tensors (the zip format of
// PyTorch >= 1.6, or the legacy format before it).
TensorSource openPth(const std::string& file);

// Maps a file's tensor name to the module's name; nullopt = not used by the engine.
using NameMap = std::function<std::optional<std::string>(const std::string&)>;

// Copies the source's tensors into `module` (parameters and buffers).
void loadStrict(torch::nn::Module& module, const TensorSource& source, const NameMap& rename, const std::string& what);

// Writers used by the tests and the tiny-checkpoint tool.
// torch.save-compatible .pth through LibTorch's pickler (a plain dict).
void writePthWithLibTorch(const std::string& path, const std::map<std::string, torch::Tensor>& tensors);
// The exact shape Python's torch.save(model.state_dict()) produces: protocol 2,
// an OrderedDict with a _metadata attribute, typed storages (bf16 when asked).
void writePthLikePython(const std::string& path, const std::map<std::string, torch::Tensor>& tensors, bool bfloat16);
// The same in the legacy (pre-zip) format.
void writePthLegacy(const std::string& path, const std::map<std::string, torch::Tensor>& tensors);

}  // namespace attnscope
