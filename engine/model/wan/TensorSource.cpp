#include "engine/model/wan/TensorSource.h"

#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "engine/core/Error.h"
#include "engine/tensorio/TensorIO.h"

namespace attnscope {

namespace {

std::string shapeText(const std::vector<int64_t>& shape) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  s << "]";
  return s.str();
}

}  // namespace

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

  std::vector<std::string> missing, unexpected, misshaped, duplicated;
  std::map<std::string, const StoredTensor*> found;
  std::set<std::string> present;
  for (const auto& [fileName, stored] : source.tensors) {
    std::optional<std::string> name = rename(fileName);
    if (!name) continue;
    auto it = targets.find(*name);
    if (it == targets.end()) {
      unexpected.push_back(fileName);
      continue;
    }
    if (!present.insert(*name).second) {
      duplicated.push_back(fileName + " (another tensor already maps to " + *name + ")");
      continue;
    }
    if (it->second.sizes().vec() != stored.shape) {
      misshaped.push_back(fileName + " is " + shapeText(stored.shape) + ", the model expects " +
                          shapeText(it->second.sizes().vec()));
      continue;
    }
    found[*name] = &stored;
  }
  for (const auto& t : targets)
    if (!present.count(t.first)) missing.push_back(t.first);
  if (!missing.empty() || !unexpected.empty() || !misshaped.empty() || !duplicated.empty()) {
    std::ostringstream msg;
    msg << what << " in " << source.description << " does not match the model:";
    auto list = [&](const char* label, const std::vector<std::string>& names) {
      if (names.empty()) return;
      msg << "\n  " << label << " (" << names.size() << "):";
      size_t shown = 0;
      for (const auto& n : names) {
        if (shown++ == 8) {
          msg << " ... and " << names.size() - 8 << " more";
          break;
        }
        msg << "\n    " << n;
      }
    };
    list("missing tensors", missing);
    list("unexpected tensors", unexpected);
    list("wrong shapes", misshaped);
    list("duplicated tensors", duplicated);
    throw Error(msg.str());
  }
  torch::NoGradGuard noGrad;
  for (const auto& [name, stored] : found) targets[name].copy_(stored->read());
}

}  // namespace attnscope
