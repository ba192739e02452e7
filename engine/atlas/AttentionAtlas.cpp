#include "engine/atlas/AttentionAtlas.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>

#include <nlohmann/json.hpp>

#include "engine/core/Error.h"
#include "engine/io/Safetensors.h"

namespace attnscope {

namespace {

const char* kFormat = "attnscope.atlas";
const char* kVersion = "1";
const char* kKinds[] = {"self", "sink", "entropy", "cross", "offsets"};

std::string shapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string tensorName(const std::string& kind, int step, int layer) {
  return kind + "/step" + std::to_string(step) + "/layer" + std::to_string(layer);
}

// Expected shape of each tensor kind, from the atlas header's table.
std::vector<int64_t> expectedShape(const AttentionAtlas& a, const std::string& kind) {
  const int64_t n = a.grid.videoTokens(), nb = a.numBlocks();
  if (kind == "self") return {a.heads, nb, nb};
  if (kind == "cross") return {a.heads, n, a.grid.text};
  if (kind == "offsets") return {a.heads, 2 * a.grid.frames - 1, 2 * a.grid.height - 1, 2 * a.grid.width - 1};
  return {a.heads, n};  // sink, entropy
}

int64_t product(const std::vector<int64_t>& shape) {
  int64_t p = 1;
  for (int64_t d : shape) p *= d;
  return p;
}

// "self/step3/layer12" -> kind, step, layer; false for anything else.
bool parseTensorName(const std::string& name, std::string& kind, int& step, int& layer) {
  for (const char* k : kKinds) {
    const std::string prefix = std::string(k) + "/step";
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    int consumed = 0;
    if (std::sscanf(name.c_str() + prefix.size(), "%d/layer%d%n", &step, &layer, &consumed) != 2) return false;
    if (prefix.size() + consumed != name.size()) return false;
    kind = k;
    // Reject spellings like "step03" so that names round-trip exactly.
    return name == tensorName(kind, step, layer);
  }
  return false;
}

// Non-negative decimal integer, the whole string.
bool parseCount(const std::string& text, int64_t& out) {
  if (text.empty() || text.size() > 18) return false;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

// Checks what both save and load rely on: metadata sane, entries in range,
// unique, each with buffers of the documented sizes.
void validateAtlas(const AttentionAtlas& a, const std::string& where) {
  if (a.heads <= 0) throw Error(where + ": heads must be positive, got " + std::to_string(a.heads));
  if (a.layers <= 0) throw Error(where + ": layers must be positive, got " + std::to_string(a.layers));
  if (a.totalSteps <= 0) throw Error(where + ": steps must be positive, got " + std::to_string(a.totalSteps));
  if (a.grid.text < 0) throw Error(where + ": text token count " + std::to_string(a.grid.text) + " is negative");
  try {
    a.layout.validate(a.grid);
  } catch (const Error& e) {
    throw Error(where + ": layout " + a.layout.str() + " does not fit grid " + a.grid.str() + ": " + e.what());
  }
  if (!a.textTokens.empty() && int64_t(a.textTokens.size()) != a.grid.text)
    throw Error(where + ": " + std::to_string(a.textTokens.size()) + " text tokens listed but the grid has " +
                std::to_string(a.grid.text) + " context tokens");
  std::vector<std::pair<int, int>> seen;
  for (const AtlasEntry& e : a.entries) {
    const std::string at = "step " + std::to_string(e.step) + " layer " + std::to_string(e.layer);
    if (e.step < 0 || e.step >= a.totalSteps || e.layer < 0 || e.layer >= a.layers)
      throw Error(where + ": entry at " + at + " lies outside " + std::to_string(a.totalSteps) + " steps x " +
                  std::to_string(a.layers) + " layers");
    seen.emplace_back(e.step, e.layer);
    const std::pair<const char*, const std::vector<float>*> buffers[] = {
        {"self", &e.pooled}, {"sink", &e.sink}, {"entropy", &e.entropy}, {"cross", &e.cross}, {"offsets", &e.offsets}};
    for (const auto& [kind, buffer] : buffers) {
      const std::string k = kind;
      if ((k == "cross" || k == "offsets") && buffer->empty()) continue;  // optional
      const auto shape = expectedShape(a, kind);
      if (int64_t(buffer->size()) != product(shape))
        throw Error(where + ": tensor " + tensorName(kind, e.step, e.layer) + " has " +
                    std::to_string(buffer->size()) + " values, expected " + shapeString(shape));
    }
  }
  std::sort(seen.begin(), seen.end());
  auto dup = std::adjacent_find(seen.begin(), seen.end());
  if (dup != seen.end())
    throw Error(where + ": two entries for step " + std::to_string(dup->first) + " layer " +
                std::to_string(dup->second));
}

}  // namespace

const AtlasEntry* AttentionAtlas::find(int step, int layer) const {
  for (const AtlasEntry& e : entries)
    if (e.step == step && e.layer == layer) return &e;
  return nullptr;
}

bool AttentionAtlas::hasOffsets() const {
  if (entries.empty()) return false;
  for (const AtlasEntry& e : entries)
    if (e.offsets.empty()) return false;
  return true;
}

std::vector<int> AttentionAtlas::capturedSteps() const {
  std::vector<int> steps;
  for (const AtlasEntry& e : entries) steps.push_back(e.step);
  std::sort(steps.begin(), steps.end());
  steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
  return steps;
}

void AttentionAtlas::save(const std::string& path) const {
  validateAtlas(*this, "cannot save atlas '" + path + "'");

  std::vector<const AtlasEntry*> sorted;
  for (const AtlasEntry& e : entries) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](const AtlasEntry* x, const AtlasEntry* y) {
    return std::tie(x->step, x->layer) < std::tie(y->step, y->layer);
  });

  std::vector<TensorToWrite> tensors;
  for (const AtlasEntry* e : sorted) {
    auto add = [&](const char* kind, const std::vector<float>& data) {
      tensors.push_back({tensorName(kind, e->step, e->layer), DType::F32, expectedShape(*this, kind), data.data()});
    };
    add("self", e->pooled);
    add("sink", e->sink);
    add("entropy", e->entropy);
    if (!e->cross.empty()) add("cross", e->cross);
    if (!e->offsets.empty()) add("offsets", e->offsets);
  }

  const std::map<std::string, std::string> metadata = {
      {"format", kFormat},
      {"version", kVersion},
      {"model", modelId},
      {"grid", grid.str()},
      {"text", std::to_string(grid.text)},
      {"layout", layout.str()},
      {"block_size", std::to_string(layout.blockSize())},
      {"heads", std::to_string(heads)},
      {"layers", std::to_string(layers)},
      {"steps", std::to_string(totalSteps)},
      {"text_tokens", nlohmann::json(textTokens).dump()},
  };
  writeSafetensors(path, tensors, metadata);
}

AttentionAtlas AttentionAtlas::load(const std::string& path) {
  SafetensorsFile file(path);
  const std::string where = "atlas '" + path + "'";
  const auto& meta = file.metadata();

  auto field = [&](const std::string& key) -> const std::string& {
    auto it = meta.find(key);
    if (it == meta.end()) throw Error(where + ": metadata field '" + key + "' is missing");
    return it->second;
  };
  auto bad = [&](const std::string& key, const std::string& why) {
    return Error(where + ": metadata field '" + key + "' = '" + meta.at(key) + "' " + why);
  };
  auto count = [&](const std::string& key) {
    int64_t v = 0;
    if (!parseCount(field(key), v)) throw bad(key, "is not a non-negative integer");
    return v;
  };

  auto format = meta.find("format");
  if (format == meta.end() || format->second != kFormat)
    throw Error("'" + path + "' is not an AttnScope atlas: metadata 'format' is " +
                (format == meta.end() ? std::string("missing") : "'" + format->second + "'") + ", expected '" +
                kFormat + "'");
  if (field("version") != kVersion)
    throw bad("version", std::string("is not supported (this build reads version ") + kVersion + ")");

  AttentionAtlas a;
  a.modelId = field("model");
  try {
    a.grid = TokenGrid::parse(field("grid"));
  } catch (const Error& e) {
    throw bad("grid", std::string("does not parse: ") + e.what());
  }
  if (double(a.grid.frames) * double(a.grid.height) * double(a.grid.width) > 1e10)
    throw bad("grid", "is implausibly large");
  a.grid.text = count("text");
  if (a.grid.text > 1000000) throw bad("text", "is implausibly large");
  try {
    a.layout = BlockLayout::parse(field("layout"));
  } catch (const Error& e) {
    throw bad("layout", std::string("does not parse: ") + e.what());
  }
  if (count("block_size") != a.layout.blockSize())
    throw bad("block_size", "disagrees with layout " + a.layout.str());
  // Caps keep shape products far from overflow on hostile files.
  a.heads = count("heads");
  if (a.heads > 100000) throw bad("heads", "is implausibly large");
  a.layers = count("layers");
  if (a.layers > 100000) throw bad("layers", "is implausibly large");
  const int64_t steps = count("steps");
  if (steps > 1000000) throw bad("steps", "is implausibly large");
  a.totalSteps = static_cast<int>(steps);

  nlohmann::json tokens;
  try {
    tokens = nlohmann::json::parse(field("text_tokens"));
  } catch (const nlohmann::json::exception& e) {
    throw bad("text_tokens", std::string("is not JSON: ") + e.what());
  }
  if (!tokens.is_array()) throw bad("text_tokens", "is not a JSON array of strings");
  for (const auto& t : tokens) {
    if (!t.is_string()) throw bad("text_tokens", "holds a non-string " + t.dump());
    a.textTokens.push_back(t.get<std::string>());
  }
  validateAtlas(a, where);  // metadata only, no entries yet

  // Gather tensors per (step, layer); std::map keeps them sorted.
  std::map<std::pair<int, int>, AtlasEntry> byKey;
  for (const TensorInfo& t : file.tensors()) {
    std::string kind;
    int step = 0, layer = 0;
    if (!parseTensorName(t.name, kind, step, layer))
      throw Error(where + ": unexpected tensor '" + t.name +
                  "' (expected self|sink|entropy|cross|offsets/step{S}/layer{L})");
    if (step < 0 || step >= a.totalSteps || layer < 0 || layer >= a.layers)
      throw Error(where + ": tensor " + t.name + " lies outside " + std::to_string(a.totalSteps) + " steps x " +
                  std::to_string(a.layers) + " layers");
    const auto shape = expectedShape(a, kind);
    if (t.shape != shape)
      throw Error(where + ": tensor " + t.name + " has shape " + shapeString(t.shape) + ", expected " +
                  shapeString(shape) + " from heads " + std::to_string(a.heads) + ", grid " + a.grid.str() +
                  "+" + std::to_string(a.grid.text) + ", layout " + a.layout.str());
    AtlasEntry& e = byKey[{step, layer}];
    e.step = step;
    e.layer = layer;
    std::vector<float> values = file.toFloat(t);
    if (kind == "self") e.pooled = std::move(values);
    else if (kind == "sink") e.sink = std::move(values);
    else if (kind == "entropy") e.entropy = std::move(values);
    else if (kind == "cross") e.cross = std::move(values);
    else e.offsets = std::move(values);
  }
  for (auto& [key, e] : byKey) {
    for (const char* kind : {"self", "sink", "entropy"})
      if (!file.find(tensorName(kind, e.step, e.layer)))
        throw Error(where + ": tensor " + tensorName(kind, e.step, e.layer) + " is missing (every captured " +
                    "step/layer needs self, sink and entropy)");
    a.entries.push_back(std::move(e));
  }
  return a;
}

}  // namespace attnscope
