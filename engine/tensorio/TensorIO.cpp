#include "engine/tensorio/TensorIO.h"

#include <set>
#include <vector>

#include "engine/core/Error.h"
#include "engine/tensorio/StateDictMismatch.h"

namespace attnscope {

namespace {

torch::ScalarType scalarType(DType t) {
  switch (t) {
    case DType::F32: return torch::kFloat32;
    case DType::F16: return torch::kFloat16;
    case DType::BF16: return torch::kBFloat16;
  }
  return torch::kFloat32;
}

}  // namespace

torch::Tensor readTensor(const SafetensorsFile& file, const TensorInfo& info) {
  auto* data = const_cast<uint8_t*>(file.data(info));
  // from_blob views the mapped bytes; the copy detaches it from the mapping.
  torch::Tensor view = torch::from_blob(data, info.shape, torch::TensorOptions().dtype(scalarType(info.dtype)));
  return view.to(torch::kFloat32, /*non_blocking=*/false, /*copy=*/true).contiguous();
}

void loadStateDict(torch::nn::Module& module, const SafetensorsFile& file, const std::string& prefix) {
  std::map<std::string, torch::Tensor> targets;
  for (const auto& p : module.named_parameters(true)) targets[p.key()] = p.value();
  for (const auto& b : module.named_buffers(true)) targets[b.key()] = b.value();

  StateDictMismatch report;
  std::map<std::string, const TensorInfo*> found;
  std::set<std::string> present;  // in the file, whatever the shape
  for (const auto& info : file.tensors()) {
    if (info.name.compare(0, prefix.size(), prefix) != 0) continue;
    std::string name = info.name.substr(prefix.size());
    auto it = targets.find(name);
    if (it == targets.end()) {
      report.unexpected.push_back(info.name);
      continue;
    }
    present.insert(name);
    if (std::vector<int64_t>(it->second.sizes().begin(), it->second.sizes().end()) != info.shape) {
      report.addMisshaped(info.name, info.shape, it->second.sizes().vec());
      continue;
    }
    found[name] = &info;
  }
  for (const auto& t : targets)
    if (!present.count(t.first)) report.missing.push_back(prefix + t.first);

  report.throwIfAny(file.path());

  torch::NoGradGuard noGrad;
  for (const auto& f : found) targets[f.first].copy_(readTensor(file, *f.second));
}

void collectStateDict(const torch::nn::Module& module, const std::string& prefix,
                      std::map<std::string, torch::Tensor>& out) {
  for (const auto& p : module.named_parameters(true))
    out[prefix + p.key()] = p.value().detach().to(torch::kFloat32).contiguous();
  for (const auto& b : module.named_buffers(true))
    out[prefix + b.key()] = b.value().detach().to(torch::kFloat32).contiguous();
}

void saveTensors(const std::string& path, const std::map<std::string, torch::Tensor>& tensors,
                 const std::map<std::string, std::string>& metadata) {
  std::vector<torch::Tensor> keep;
  std::vector<TensorToWrite> list;
  for (const auto& [name, tensor] : tensors) {
    torch::Tensor t = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    keep.push_back(t);
    list.push_back({name, DType::F32, t.sizes().vec(), t.data_ptr<float>()});
  }
  writeSafetensors(path, list, metadata);
}

}  // namespace attnscope
