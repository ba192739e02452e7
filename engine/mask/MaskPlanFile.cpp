// MaskPlan::save / MaskPlan::load: the versioned JSON file format.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/core/Error.h"
#include "engine/mask/Base64.h"
#include "engine/mask/MaskPlan.h"

namespace attnscope {

namespace {

using nlohmann::json;

const char kFormat[] = "attnscope.maskplan";
const int kVersion = 1;

// Row-major, most significant bit first, one continuous stream zero-padded to bytes.
std::vector<uint8_t> packBits(const BlockMask& mask) {
  const std::vector<uint8_t>& bytes = mask.bytes();
  std::vector<uint8_t> packed((bytes.size() + 7) / 8, 0);
  for (size_t i = 0; i < bytes.size(); ++i)
    if (bytes[i]) packed[i / 8] |= uint8_t(0x80u >> (i % 8));
  return packed;
}

BlockMask unpackBits(const std::vector<uint8_t>& packed, int64_t nq, int64_t nk) {
  BlockMask mask(nq, nk, false);
  for (int64_t i = 0; i < nq * nk; ++i)
    if (packed[i / 8] & (0x80u >> (i % 8))) mask.set(i / nk, i % nk, true);
  return mask;
}

const char* typeName(const json& v) { return v.type_name(); }

// Reads typed fields of one JSON object; errors name the file and the field path.
class Fields {
 public:
  Fields(const json& object, const std::string& file, const std::string& prefix)
      : object_(object), file_(file), prefix_(prefix) {}

  [[noreturn]] void fail(const std::string& what) const { throw Error(file_ + ": " + what); }

  const json& get(const std::string& name) const {
    auto it = object_.find(name);
    if (it == object_.end()) fail("field '" + prefix_ + name + "' is missing");
    return *it;
  }
  bool has(const std::string& name) const { return object_.contains(name); }

  std::string string(const std::string& name) const {
    const json& v = get(name);
    if (!v.is_string()) fail(wrongType(name, "a string", v));
    return v.get<std::string>();
  }
  std::string optionalString(const std::string& name) const { return has(name) ? string(name) : std::string(); }

  int64_t integer(const std::string& name, int64_t minValue) const {
    const json& v = get(name);
    if (!v.is_number_integer()) fail(wrongType(name, "an integer", v));
    int64_t value = v.get<int64_t>();
    if (value < minValue)
      fail("field '" + prefix_ + name + "' is " + std::to_string(value) + ", must be at least " +
           std::to_string(minValue));
    return value;
  }

  const json& object(const std::string& name) const {
    const json& v = get(name);
    if (!v.is_object()) fail(wrongType(name, "an object", v));
    return v;
  }

  const json& array(const std::string& name) const {
    const json& v = get(name);
    if (!v.is_array()) fail(wrongType(name, "an array", v));
    return v;
  }

 private:
  std::string wrongType(const std::string& name, const char* wanted, const json& v) const {
    return "field '" + prefix_ + name + "' must be " + wanted + ", got " + typeName(v);
  }

  const json& object_;
  const std::string& file_;
  std::string prefix_;
};

json readJson(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open mask plan '" + path + "': " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error("cannot read mask plan '" + path + "'");
  try {
    return json::parse(text.str());
  } catch (const json::parse_error& e) {
    throw Error(path + ": not valid JSON (byte " + std::to_string(e.byte) + "): " + e.what());
  }
}

}  // namespace

void MaskPlan::save(const std::string& path) const {
  int64_t n = layout.numBlocks(grid);
  if (int64_t(masks.size()) != layers * heads)
    throw Error("cannot save mask plan '" + path + "': it holds " + std::to_string(masks.size()) +
                " masks for " + std::to_string(layers) + " layers x " + std::to_string(heads) + " heads");
  json params;
  try {
    params = json::parse(provenance.paramsJson.empty() ? std::string("{}") : provenance.paramsJson);
  } catch (const json::parse_error& e) {
    throw Error("cannot save mask plan '" + path + "': provenance params are not JSON: " + e.what());
  }
  if (!params.is_object())
    throw Error("cannot save mask plan '" + path + "': provenance params must be a JSON object");

  json doc;
  doc["format"] = kFormat;
  doc["version"] = kVersion;
  doc["model"] = modelId;
  doc["grid"] = grid.str();
  doc["text"] = grid.text;
  doc["layout"] = layout.str();
  doc["block_size"] = layout.blockSize();
  doc["nq"] = n;
  doc["nk"] = n;
  doc["layers"] = layers;
  doc["heads"] = heads;
  doc["dense_warmup_steps"] = denseWarmupSteps;
  doc["density"] = density();
  doc["provenance"] = {{"method", provenance.method},
                       {"strategy", provenance.strategy},
                       {"params", params},
                       {"source", provenance.source},
                       {"created", provenance.created}};
  json entries = json::array();
  for (int64_t l = 0; l < layers; ++l)
    for (int64_t h = 0; h < heads; ++h) {
      const BlockMask& m = mask(l, h);
      if (m.nq() != n || m.nk() != n)
        throw Error("cannot save mask plan '" + path + "': mask of layer " + std::to_string(l) + ", head " +
                    std::to_string(h) + " is " + std::to_string(m.nq()) + "x" + std::to_string(m.nk()) +
                    " blocks, layout " + layout.str() + " on grid " + grid.str() + " needs " +
                    std::to_string(n) + "x" + std::to_string(n));
      entries.push_back({{"layer", l}, {"head", h}, {"density", m.density()}, {"bits", base64Encode(packBits(m))}});
    }
  doc["masks"] = std::move(entries);

  // Write beside the target and rename, so a crash never leaves half a plan.
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot write mask plan '" + tmp + "': " + std::strerror(errno));
    out << doc.dump(1) << '\n';
    out.close();
    if (!out) throw Error("cannot write mask plan '" + tmp + "': " + std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    throw Error("cannot move '" + tmp + "' to '" + path + "': " + std::strerror(err));
  }
}

MaskPlan MaskPlan::load(const std::string& path) {
  json doc = readJson(path);
  if (!doc.is_object()) throw Error(path + ": a mask plan must be a JSON object, got " + typeName(doc));
  Fields top(doc, path, "");

  std::string format = top.string("format");
  if (format != kFormat) top.fail("format is '" + format + "', expected '" + kFormat + "'");
  int64_t version = top.integer("version", 0);
  if (version != kVersion)
    top.fail("unsupported mask plan version " + std::to_string(version) + " (this build reads version " +
             std::to_string(kVersion) + ")");

  MaskPlan plan;
  plan.loadedFrom = path;
  plan.modelId = top.string("model");
  try {
    plan.grid = TokenGrid::parse(top.string("grid"));
    plan.grid.text = top.integer("text", 0);
    plan.layout = BlockLayout::parse(top.string("layout"));
    plan.layout.validate(plan.grid);
  } catch (const Error& e) {
    if (std::string(e.what()).rfind(path + ":", 0) == 0) throw;
    top.fail(e.what());
  }
  int64_t blockSize = top.integer("block_size", 1);
  if (blockSize != plan.layout.blockSize())
    top.fail("block_size " + std::to_string(blockSize) + " does not match layout " + plan.layout.str());
  int64_t n = plan.layout.numBlocks(plan.grid);
  int64_t nq = top.integer("nq", 1), nk = top.integer("nk", 1);
  if (nq != n || nk != n)
    top.fail("nq x nk is " + std::to_string(nq) + "x" + std::to_string(nk) + ", but layout " + plan.layout.str() +
             " on grid " + plan.grid.str() + " has " + std::to_string(n) + " blocks");
  plan.layers = top.integer("layers", 0);
  plan.heads = top.integer("heads", 0);
  plan.denseWarmupSteps = int(top.integer("dense_warmup_steps", 0));

  Fields prov(top.object("provenance"), path, "provenance.");
  plan.provenance.method = prov.string("method");
  if (plan.provenance.method != "painted" && plan.provenance.method != "strategy")
    top.fail("provenance.method is '" + plan.provenance.method + "', expected 'painted' or 'strategy'");
  plan.provenance.strategy = prov.optionalString("strategy");
  plan.provenance.paramsJson = prov.has("params") ? prov.object("params").dump() : std::string("{}");
  plan.provenance.source = prov.optionalString("source");
  plan.provenance.created = prov.optionalString("created");

  const json& entries = top.array("masks");
  size_t expectedBytes = size_t((nq * nk + 7) / 8);
  std::vector<bool> seen(plan.layers * plan.heads, false);
  plan.masks.assign(plan.layers * plan.heads, BlockMask());
  for (size_t i = 0; i < entries.size(); ++i) {
    std::string where = "masks[" + std::to_string(i) + "]";
    if (!entries[i].is_object()) top.fail(where + " must be an object, got " + typeName(entries[i]));
    Fields entry(entries[i], path, where + ".");
    int64_t l = entry.integer("layer", 0), h = entry.integer("head", 0);
    if (l >= plan.layers || h >= plan.heads)
      top.fail(where + " is for layer " + std::to_string(l) + ", head " + std::to_string(h) + ", outside the plan's " +
               std::to_string(plan.layers) + " layers x " + std::to_string(plan.heads) + " heads");
    std::string lh = "layer " + std::to_string(l) + ", head " + std::to_string(h);
    if (seen[l * plan.heads + h]) top.fail(where + " repeats the mask of " + lh);
    std::vector<uint8_t> packed;
    try {
      packed = base64Decode(entry.string("bits"));
    } catch (const Error& e) {
      if (std::string(e.what()).rfind(path + ":", 0) == 0) throw;
      top.fail(where + ".bits (" + lh + ") is not valid base64: " + e.what());
    }
    if (packed.size() != expectedBytes)
      top.fail(where + ".bits (" + lh + ") decodes to " + std::to_string(packed.size()) + " bytes, expected " +
               std::to_string(expectedBytes) + " for " + std::to_string(nq) + "x" + std::to_string(nk) + " bits");
    seen[l * plan.heads + h] = true;
    plan.masks[l * plan.heads + h] = unpackBits(packed, nq, nk);
  }
  for (int64_t l = 0; l < plan.layers; ++l)
    for (int64_t h = 0; h < plan.heads; ++h)
      if (!seen[l * plan.heads + h])
        top.fail("masks has no entry for layer " + std::to_string(l) + ", head " + std::to_string(h));
  return plan;
}

}  // namespace attnscope
