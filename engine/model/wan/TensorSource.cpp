#include "engine/model/wan/TensorSource.h"

#include <fstream>
#include <memory>
#include <set>

#include "engine/core/Error.h"
#include "engine/tensorio/StateDictMismatch.h"
#include "engine/tensorio/TensorIO.h"

namespace attnscope {

const StoredTensor& TensorSource::at(const std::string& name) const {
  auto it = tensors.find(name);
  if (it == tensors.end()) throw Error(description + " has no tensor '" + name + "'");
  return it->second;
}

TensorSource openSafetensors(const std::vector<std::string>& files) {
  TensorSource source;
  for (const auto& path : files) {
    auto file = std::make_shared<SafetensorsFile>(path);
    source.description += (source.description.empty() ? "" : ", ") + path;
    for (const auto& info : file->tensors()) {
      if (source.tensors.count(info.name)) throw Error(path + ": tensor '" + info.name + "' also appears in another shard");
      std::string name = info.name;
      source.tensors[name] = {info.shape, [file, name] { return readTensor(*file, file->at(name)); }};
    }
  }
  return source;
}

void loadStrict(torch::nn::Module& module, const TensorSource& source, const NameMap& rename, const std::string& what) {
  std::map<std::string, torch::Tensor> targets;
  for (const auto& p : module.named_parameters(true)) targets[p.key()] = p.value();
  for (const auto& b : module.named_buffers(true)) targets[b.key()] = b.value();

  StateDictMismatch report;
  std::map<std::string, const StoredTensor*> found;
  std::set<std::string> present;
  for (const auto& [fileName, stored] : source.tensors) {
    std::optional<std::string> name = rename(fileName);
    if (!name) continue;
    auto it = targets.find(*name);
    if (it == targets.end()) {
      report.unexpected.push_back(fileName);
      continue;
    }
    if (!present.insert(*name).second) {
      report.duplicated.push_back(fileName + " (another tensor already maps to " + *name + ")");
      continue;
    }
    if (it->second.sizes().vec() != stored.shape) {
      report.addMisshaped(fileName, stored.shape, it->second.sizes().vec());
      continue;
    }
    found[*name] = &stored;
  }
  for (const auto& t : targets)
    if (!present.count(t.first)) report.missing.push_back(t.first);
  report.throwIfAny(what + " in " + source.description);
  torch::NoGradGuard noGrad;
  for (const auto& [name, stored] : found) targets[name].copy_(stored->read());
}

}  // namespace attnscope
