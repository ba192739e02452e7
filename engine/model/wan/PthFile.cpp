// .pth files (torch.save, zip format): the container is read and written with
// LibTorch's own PyTorchStreamReader/Writer; the pickle inside is read by a
// small unpickler of the opcodes torch.save emits for a dict of tensors.
// (LibTorch 1.13's torch::pickle_load turns an OrderedDict -- what
// model.state_dict() is -- into None and fails, pytorch/pytorch#100741; this
// reader handles OrderedDict, its _metadata attribute and typed storages on
// every LibTorch version.)
#include <caffe2/serialize/inline_container.h>
#include <torch/serialize.h>

#include <cstring>
#include <fstream>
#include <memory>

#include "engine/core/Error.h"
#include "engine/model/wan/TensorSource.h"

namespace attnscope {

namespace {

struct PValue;
using PPtr = std::shared_ptr<PValue>;

struct TensorDesc {
  std::string storageKey;
  torch::ScalarType dtype = torch::kFloat32;
  int64_t storageNumel = 0;
  int64_t offset = 0;
  std::vector<int64_t> size, stride;
};

struct PValue {
  enum Kind { None, Bool, Int, Float, Str, Tuple, List, Dict, Global, Storage, Tensor } kind = None;
  int64_t i = 0;
  double f = 0;
  std::string s, s2;                           // Str; Global module/name
  std::vector<PPtr> items;                     // Tuple, List
  std::vector<std::pair<PPtr, PPtr>> entries;  // Dict, in insertion order
  TensorDesc tensor;                           // Storage (key, dtype, numel) or Tensor
};

PPtr make(PValue::Kind k) {
  auto p = std::make_shared<PValue>();
  p->kind = k;
  return p;
}

torch::ScalarType storageType(const std::string& name, const std::string& file) {
  static const std::map<std::string, torch::ScalarType> types{
      {"FloatStorage", torch::kFloat32}, {"HalfStorage", torch::kFloat16}, {"BFloat16Storage", torch::kBFloat16},
      {"DoubleStorage", torch::kFloat64}, {"LongStorage", torch::kInt64}, {"IntStorage", torch::kInt32},
      {"ShortStorage", torch::kInt16},   {"CharStorage", torch::kInt8},    {"ByteStorage", torch::kUInt8},
      {"BoolStorage", torch::kBool}};
  auto it = types.find(name);
  if (it == types.end()) throw Error(file + ": unsupported storage type torch." + name);
  return it->second;
}

class Unpickler {
 public:
  Unpickler(const std::string& bytes, std::string file) : data_(bytes), file_(std::move(file)) {}

  size_t position() const { return pos_; }
  // dtype of every storage key the pickles referred to
  const std::map<std::string, torch::ScalarType>& storageTypes() const { return storageTypes_; }

  // Reads one pickle (up to STOP); call again for the next one in the same data.
  PPtr run() {
    while (true) {
      uint8_t op = u8();
      switch (op) {
        case 0x80: u8(); break;         // PROTO
        case 0x95: take(8); break;      // FRAME
        case '.': return pop();         // STOP
        case '(': marks_.push_back(stack_.size()); break;
        case '}': push(make(PValue::Dict)); break;
        case ']': push(make(PValue::List)); break;
        case ')': push(make(PValue::Tuple)); break;
        case 't': push(tupleOf(popMark())); break;
        case 0x85: case 0x86: case 0x87: {
          size_t n = op - 0x84;
          std::vector<PPtr> items(stack_.end() - n, stack_.end());
          stack_.resize(stack_.size() - n);
          push(tupleOf(items));
          break;
        }
        case 'a': { PPtr v = pop(); top(PValue::List)->items.push_back(v); break; }
        case 'e': { auto items = popMark(); auto list = top(PValue::List); for (auto& v : items) list->items.push_back(v); break; }
        case 's': { PPtr v = pop(), k = pop(); top(PValue::Dict)->entries.emplace_back(k, v); break; }
        case 'u': {
          auto items = popMark();
          if (items.size() % 2) fail("SETITEMS with an odd number of items");
          auto dict = top(PValue::Dict);
          for (size_t i = 0; i < items.size(); i += 2) dict->entries.emplace_back(items[i], items[i + 1]);
          break;
        }
        case 'X': case 'T': case 'B': push(str(take(le(4)))); break;
        case 0x8c: case 'U': case 'C': push(str(take(u8()))); break;
        case 0x8d: case 0x8e: push(str(take(le(8)))); break;
        case 'J': push(integer(int32_t(uint32_t(le(4))))); break;
        case 'K': push(integer(u8())); break;
        case 'M': push(integer(le(2))); break;
        case 0x8a: {  // LONG1: little-endian two's complement
          size_t n = u8();
          std::string b = take(n);
          int64_t v = 0;
          for (size_t k = 0; k < n && k < 8; ++k) v |= int64_t(uint8_t(b[k])) << (8 * k);
          if (n > 0 && n < 8 && (uint8_t(b[n - 1]) & 0x80)) v -= int64_t(1) << (8 * n);
          push(integer(v));
          break;
        }
        case 'G': {
          std::string b = take(8);
          uint64_t bits = 0;
          for (int k = 0; k < 8; ++k) bits = (bits << 8) | uint8_t(b[k]);  // big-endian
          auto v = make(PValue::Float);
          std::memcpy(&v->f, &bits, 8);
          push(v);
          break;
        }
        case 'N': push(make(PValue::None)); break;
        case 0x88: case 0x89: { auto v = make(PValue::Bool); v->i = op == 0x88; push(v); break; }
        case 'c': {
          auto g = make(PValue::Global);
          g->s = line();
          g->s2 = line();
          push(g);
          break;
        }
        case 0x93: {
          auto g = make(PValue::Global);
          PPtr name = pop(), module = pop();
          g->s = module->s;
          g->s2 = name->s;
          push(g);
          break;
        }
        case 'q': memo_[u8()] = back(); break;
        case 'r': memo_[le(4)] = back(); break;
        case 0x94: memo_[memo_.size()] = back(); break;
        case 'h': push(memo(u8())); break;
        case 'j': push(memo(le(4))); break;
        case 'Q': push(persistent(pop())); break;
        case 'R': { PPtr args = pop(), callable = pop(); push(reduce(callable, args)); break; }
        case 'b': pop(); break;  // BUILD: object state (an OrderedDict's _metadata) is not needed
        default: fail("unsupported pickle opcode 0x" + hex(op));
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(file_ + ": cannot read its pickle at byte " + std::to_string(pos_) + ": " + what);
  }
  static std::string hex(uint8_t v) {
    const char* d = "0123456789abcdef";
    return {d[v >> 4], d[v & 15]};
  }
  uint8_t u8() {
    if (pos_ >= data_.size()) fail("unexpected end of data");
    return uint8_t(data_[pos_++]);
  }
  uint64_t le(int n) {
    uint64_t v = 0;
    for (int k = 0; k < n; ++k) v |= uint64_t(u8()) << (8 * k);
    return v;
  }
  std::string take(uint64_t n) {
    if (n > data_.size() - pos_) fail("a field runs past the end of the data");
    std::string out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  std::string line() {
    size_t end = data_.find('\n', pos_);
    if (end == std::string::npos) fail("unterminated GLOBAL");
    std::string out = data_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return out;
  }
  static PPtr str(std::string s) {
    auto v = make(PValue::Str);
    v->s = std::move(s);
    return v;
  }
  static PPtr integer(int64_t i) {
    auto v = make(PValue::Int);
    v->i = i;
    return v;
  }
  static PPtr tupleOf(std::vector<PPtr> items) {
    auto v = make(PValue::Tuple);
    v->items = std::move(items);
    return v;
  }
  void push(PPtr v) { stack_.push_back(std::move(v)); }
  PPtr back() {
    if (stack_.empty()) fail("stack underflow");
    return stack_.back();
  }
  PPtr pop() {
    PPtr v = back();
    stack_.pop_back();
    return v;
  }
  PPtr top(PValue::Kind kind) {
    PPtr v = back();
    if (v->kind != kind) fail("container opcode applied to the wrong kind of object");
    return v;
  }
  std::vector<PPtr> popMark() {
    if (marks_.empty()) fail("no MARK");
    size_t at = marks_.back();
    marks_.pop_back();
    std::vector<PPtr> items(stack_.begin() + at, stack_.end());
    stack_.resize(at);
    return items;
  }
  PPtr memo(uint64_t key) {
    auto it = memo_.find(key);
    if (it == memo_.end()) fail("memo entry " + std::to_string(key) + " is missing");
    return it->second;
  }
  int64_t intAt(const PPtr& t, size_t k) {
    if (t->kind != PValue::Tuple || k >= t->items.size() || t->items[k]->kind != PValue::Int)
      fail("malformed tensor arguments");
    return t->items[k]->i;
  }
  std::vector<int64_t> ints(const PPtr& t) {
    if (t->kind != PValue::Tuple) fail("tensor size/stride is not a tuple");
    std::vector<int64_t> out;
    for (size_t k = 0; k < t->items.size(); ++k) out.push_back(intAt(t, k));
    return out;
  }
  // ('storage', torch.XStorage, key, location, numel)
  PPtr persistent(const PPtr& pid) {
    if (pid->kind != PValue::Tuple || pid->items.size() < 5 || pid->items[0]->s != "storage" ||
        pid->items[1]->kind != PValue::Global)
      fail("unsupported persistent id (not a tensor storage)");
    auto v = make(PValue::Storage);
    v->tensor.dtype = storageType(pid->items[1]->s2, file_);
    v->tensor.storageKey = pid->items[2]->s;
    v->tensor.storageNumel = intAt(pid, 4);
    storageTypes_[v->tensor.storageKey] = v->tensor.dtype;
    return v;
  }
  PPtr reduce(const PPtr& callable, const PPtr& args) {
    if (callable->kind != PValue::Global) fail("REDUCE on something that is not a global");
    const std::string name = callable->s + "." + callable->s2;
    if (name == "collections.OrderedDict") return make(PValue::Dict);
    // LibTorch's pickler tags typed containers: restore_type_tag(obj, "Dict[str, Tensor]").
    if (name == "torch.jit._pickle.restore_type_tag" || name.compare(0, 24, "torch.jit._pickle.build_") == 0) {
      if (args->kind != PValue::Tuple || args->items.empty()) fail("malformed " + name + " arguments");
      return args->items[0];
    }
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
      if (args->kind != PValue::Tuple || args->items.size() < 4 || args->items[0]->kind != PValue::Storage)
        fail("malformed " + name + " arguments");
      auto t = make(PValue::Tensor);
      t->tensor = args->items[0]->tensor;
      t->tensor.offset = intAt(args, 1);
      t->tensor.size = ints(args->items[2]);
      t->tensor.stride = ints(args->items[3]);
      return t;
    }
    if (name == "torch._utils._rebuild_parameter") {
      if (args->kind != PValue::Tuple || args->items.empty() || args->items[0]->kind != PValue::Tensor)
        fail("malformed _rebuild_parameter arguments");
      return args->items[0];
    }
    fail("unsupported object " + name + " (only dicts of tensors can be read)");
  }

  const std::string& data_;
  std::string file_;
  size_t pos_ = 0;
  std::vector<PPtr> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, PPtr> memo_;
  std::map<std::string, torch::ScalarType> storageTypes_;
};

// The state dict inside the top-level object: the object itself, or one
// level down under "state_dict" / "model" / "module" for training checkpoints.
const PValue& stateDict(const PValue& top, const std::string& file) {
  if (top.kind != PValue::Dict) throw Error(file + " does not hold a dict of tensors");
  bool allTensors = true;
  for (const auto& [k, v] : top.entries) allTensors = allTensors && v->kind == PValue::Tensor;
  if (allTensors) return top;
  for (const char* key : {"state_dict", "model", "module"})
    for (const auto& [k, v] : top.entries)
      if (k->kind == PValue::Str && k->s == key && v->kind == PValue::Dict) return stateDict(*v, file);
  for (const auto& [k, v] : top.entries)
    if (v->kind != PValue::Tensor) throw Error(file + ": entry '" + k->s + "' is not a tensor");
  return top;
}

// A float32 copy of the view `desc` of a storage's bytes.
torch::Tensor materialize(const void* data, size_t bytes, const TensorDesc& desc, const std::string& name,
                          const std::string& path) {
  const size_t elem = c10::elementSize(desc.dtype);
  int64_t last = desc.offset;  // furthest element the view touches
  for (size_t d = 0; d < desc.size.size(); ++d)
    if (desc.size[d] > 0) last += (desc.size[d] - 1) * desc.stride[d];
  if (size_t(last + 1) * elem > bytes && !desc.size.empty())
    throw Error(path + ": tensor '" + name + "' runs past the end of its storage");
  auto storage = torch::from_blob(const_cast<void*>(data), {int64_t(bytes / elem)},
                                  torch::TensorOptions().dtype(desc.dtype));
  return storage.as_strided(desc.size, desc.stride, desc.offset).to(torch::kFloat32, false, true).contiguous();
}

std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TensorSource sourceFromDict(const PValue& dict, const std::string& path,
                            const std::function<torch::Tensor(const TensorDesc&, const std::string&)>& read) {
  TensorSource source;
  source.description = path;
  for (const auto& [key, value] : dict.entries) {
    if (key->kind != PValue::Str) throw Error(path + ": a state-dict key is not a string");
    TensorDesc desc = value->tensor;
    const std::string name = key->s;
    source.tensors[name] = {desc.size, [read, desc, name] { return read(desc, name); }};
  }
  return source;
}

// torch.save before PyTorch 1.6 (or _use_new_zipfile_serialization=False): five
// pickles (magic number, protocol, system info, the object, the storage keys),
// then each storage as an int64 element count followed by its bytes.
TensorSource openLegacyPth(const std::string& path) {
  auto bytes = std::make_shared<std::string>(readAll(path));
  Unpickler u(*bytes, path);
  if (u.run()->kind != PValue::Int) throw Error(path + " is neither a zip-format nor a legacy torch.save file");
  u.run();  // protocol version
  u.run();  // system info
  PPtr top = u.run();
  PPtr keys = u.run();
  if (keys->kind != PValue::List) throw Error(path + ": the legacy storage-key list is missing");
  std::map<std::string, std::pair<size_t, size_t>> where;  // key -> (offset, bytes)
  size_t pos = u.position();
  for (const auto& k : keys->items) {
    auto type = u.storageTypes().find(k->s);
    if (type == u.storageTypes().end()) throw Error(path + ": storage '" + k->s + "' is listed but never used");
    if (pos + 8 > bytes->size()) throw Error(path + " is truncated (storage '" + k->s + "')");
    uint64_t numel = 0;
    for (int b = 0; b < 8; ++b) numel |= uint64_t(uint8_t((*bytes)[pos + b])) << (8 * b);
    pos += 8;
    const size_t n = numel * c10::elementSize(type->second);
    if (n > bytes->size() - pos) throw Error(path + " is truncated (storage '" + k->s + "')");
    where[k->s] = {pos, n};
    pos += n;
  }
  const PValue& dict = stateDict(*top, path);
  return sourceFromDict(dict, path, [bytes, where, path](const TensorDesc& desc, const std::string& name) {
    auto it = where.find(desc.storageKey);
    if (it == where.end()) throw Error(path + ": storage of tensor '" + name + "' is missing");
    return materialize(bytes->data() + it->second.first, it->second.second, desc, name, path);
  });
}

}  // namespace

TensorSource openPth(const std::string& path) {
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot open " + path);
    char magic[2] = {0, 0};
    in.read(magic, 2);
    if (magic[0] != 'P' || magic[1] != 'K') return openLegacyPth(path);
  }
  std::shared_ptr<caffe2::serialize::PyTorchStreamReader> reader;
  std::string pickle;
  try {
    reader = std::make_shared<caffe2::serialize::PyTorchStreamReader>(path);
    if (!reader->hasRecord("data.pkl")) throw Error(path + " has no data.pkl record (not a torch.save file?)");
    auto [ptr, size] = reader->getRecord("data.pkl");
    pickle.assign(static_cast<const char*>(ptr.get()), size);
  } catch (const c10::Error& e) {
    throw Error(path + " is not a readable torch.save archive: " + e.what_without_backtrace());
  }
  PPtr top = Unpickler(pickle, path).run();
  return sourceFromDict(stateDict(*top, path), path, [reader, path](const TensorDesc& desc, const std::string& name) {
    const std::string record = "data/" + desc.storageKey;
    at::DataPtr ptr;
    size_t bytes = 0;
    try {
      std::tie(ptr, bytes) = reader->getRecord(record);
    } catch (const c10::Error& e) {
      throw Error(path + ": storage of tensor '" + name + "' (" + record + ") cannot be read: " +
                  e.what_without_backtrace());
    }
    return materialize(ptr.get(), bytes, desc, name, path);
  });
}

void writePthWithLibTorch(const std::string& path, const std::map<std::string, torch::Tensor>& tensors) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [name, t] : tensors) dict.insert(name, t.detach().contiguous());
  std::vector<char> bytes = torch::pickle_save(dict);
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error("cannot write " + path);
  out.write(bytes.data(), bytes.size());
  if (!out) throw Error("cannot write " + path);
}

namespace {

// Protocol-2 pickle writer for the few opcodes Python's torch.save uses here.
struct PickleWriter {
  std::string out;
  void op(char c) { out.push_back(c); }
  void u32(uint32_t v) {
    for (int k = 0; k < 4; ++k) out.push_back(char((v >> (8 * k)) & 0xff));
  }
  void text(const std::string& s) {
    op('X');
    u32(uint32_t(s.size()));
    out += s;
  }
  void integer(int64_t v) {
    op('J');
    u32(uint32_t(int32_t(v)));
  }
  void global(const std::string& module, const std::string& name) { out += "c" + module + "\n" + name + "\n"; }
  void ints(const std::vector<int64_t>& v) {
    op('(');
    for (int64_t x : v) integer(x);
    op('t');
  }
};

}  // namespace

namespace {

// The state-dict pickle Python writes; `legacy` adds the sixth persistent-id
// field (view metadata) of the pre-zip format. Fills `storages` (key, data).
std::string stateDictPickle(const std::map<std::string, torch::Tensor>& tensors, bool bfloat16, bool legacy,
                            std::vector<std::pair<std::string, torch::Tensor>>& storages) {
  PickleWriter p;
  p.op(char(0x80));
  p.op(2);
  p.global("collections", "OrderedDict");
  p.op('q');
  p.op(0);  // memo 0 = OrderedDict, reused below as Python's pickler does
  p.op(')');
  p.op('R');
  p.op('(');
  for (const auto& [name, tensor] : tensors) {
    torch::Tensor t = tensor.detach().to(bfloat16 ? torch::kBFloat16 : torch::kFloat32).contiguous();
    std::string key = std::to_string(storages.size());
    storages.emplace_back(key, t);
    p.text(name);
    p.global("torch._utils", "_rebuild_tensor_v2");
    p.op('(');
    p.op('(');
    p.text("storage");
    p.global("torch", bfloat16 ? "BFloat16Storage" : "FloatStorage");
    p.text(key);
    p.text("cpu");
    p.integer(t.numel());
    if (legacy) p.op('N');
    p.op('t');
    p.op('Q');
    p.integer(0);
    p.ints(t.sizes().vec());
    p.ints(t.strides().vec());
    p.op(char(0x89));
    p.op('h');
    p.op(0);
    p.op(')');
    p.op('R');
    p.op('t');
    p.op('R');
  }
  p.op('u');
  // state: {'_metadata': OrderedDict({'': {'version': 1}})}, applied by BUILD
  p.op('}');
  p.text("_metadata");
  p.op('h');
  p.op(0);
  p.op(')');
  p.op('R');
  p.text("");
  p.op('}');
  p.text("version");
  p.op('K');
  p.op(1);
  p.op('s');
  p.op('s');
  p.op('s');
  p.op('b');
  p.op('.');
  return p.out;
}

}  // namespace

void writePthLikePython(const std::string& path, const std::map<std::string, torch::Tensor>& tensors, bool bfloat16) {
  std::vector<std::pair<std::string, torch::Tensor>> storages;
  const std::string pickle = stateDictPickle(tensors, bfloat16, false, storages);
  try {
    caffe2::serialize::PyTorchStreamWriter writer(path);
    writer.writeRecord("data.pkl", pickle.data(), pickle.size());
    for (const auto& [key, t] : storages) writer.writeRecord("data/" + key, t.data_ptr(), t.numel() * t.element_size());
    writer.writeEndOfFile();
  } catch (const c10::Error& e) {
    throw Error("cannot write " + path + ": " + e.what_without_backtrace());
  }
}

void writePthLegacy(const std::string& path, const std::map<std::string, torch::Tensor>& tensors) {
  std::vector<std::pair<std::string, torch::Tensor>> storages;
  const std::string object = stateDictPickle(tensors, false, true, storages);
  PickleWriter p;
  // magic number 0x1950a86a20f9469cfc6c as LONG1, protocol version 1001, system info {}
  const unsigned char magic[] = {0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, '.'};
  p.out.append(reinterpret_cast<const char*>(magic), sizeof magic);
  p.out += std::string("\x80\x02M\xe9\x03.", 6);
  p.out += std::string("\x80\x02}.", 4);
  p.out += object;
  p.op(char(0x80));
  p.op(2);
  p.op(']');
  p.op('(');
  for (const auto& [key, t] : storages) p.text(key);
  p.op('e');
  p.op('.');
  for (const auto& [key, t] : storages) {
    uint64_t numel = uint64_t(t.numel());
    for (int b = 0; b < 8; ++b) p.out.push_back(char((numel >> (8 * b)) & 0xff));
    p.out.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  }
  std::ofstream out(path, std::ios::binary);
  out.write(p.out.data(), p.out.size());
  if (!out) throw Error("cannot write " + path);
}

}  // namespace attnscope
