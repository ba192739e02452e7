#include "engine/io/Safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

#include "engine/core/Error.h"

namespace attnscope {

namespace {

// The reference implementation refuses headers above 100 MB; a larger length
// field means a corrupt or foreign file, not a big model.
constexpr uint64_t kMaxHeaderBytes = 100ull * 1024 * 1024;

// Raw bytes are reinterpreted as little-endian values with memcpy.
static_assert(sizeof(float) == 4, "float must be IEEE binary32");
inline bool hostIsLittleEndian() {
  const uint16_t probe = 1;
  uint8_t first;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

float bitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

std::string shapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

const char* kSupported = "F32, F16, BF16";

bool parseDType(const std::string& name, DType& out) {
  if (name == "F32") out = DType::F32;
  else if (name == "F16") out = DType::F16;
  else if (name == "BF16") out = DType::BF16;
  else return false;
  return true;
}

std::string errnoText() { return std::strerror(errno); }

// numel of a shape, or false when it overflows (a hostile header).
bool checkedNumel(const std::vector<int64_t>& shape, uint64_t& out) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d != 0 && n > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(d)) return false;
    n *= static_cast<uint64_t>(d);
  }
  out = n;
  return true;
}

}  // namespace

const char* dtypeName(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
  }
  return "?";
}

size_t dtypeSize(DType t) { return t == DType::F32 ? 4 : 2; }

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// ---------------------------------------------------------------- reading

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  const std::string where = "safetensors file '" + path + "'";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error("cannot open " + where + ": " + errnoText());
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    std::string why = errnoText();
    ::close(fd);
    throw Error("cannot stat " + where + ": " + why);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(where + " is not a regular file");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ < 8) {
    ::close(fd);
    throw Error(where + " is " + std::to_string(size_) +
                " bytes long, shorter than the 8-byte header length field");
  }
  map_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  std::string mapError = map_ == MAP_FAILED ? errnoText() : "";
  ::close(fd);  // the mapping keeps the file alive
  if (map_ == MAP_FAILED) {
    map_ = nullptr;
    throw Error("cannot memory-map " + where + ": " + mapError);
  }

  // The destructor does not run when the constructor throws: unmap here.
  try {
    const auto* bytes = static_cast<const uint8_t*>(map_);
    uint64_t headerLen = 0;
    for (int i = 7; i >= 0; --i) headerLen = (headerLen << 8) | bytes[i];
    if (headerLen > size_ - 8)
      throw Error(where + ": header length " + std::to_string(headerLen) +
                  " (read at byte offset 0) runs past the end of the file (" +
                  std::to_string(size_) + " bytes)");
    if (headerLen > kMaxHeaderBytes)
      throw Error(where + ": header length " + std::to_string(headerLen) +
                  " (read at byte offset 0) exceeds the 100 MB limit");
    const size_t dataStart = 8 + static_cast<size_t>(headerLen);
    const size_t dataBytes = size_ - dataStart;

    nlohmann::ordered_json header;
    try {
      header = nlohmann::ordered_json::parse(bytes + 8, bytes + dataStart);
    } catch (const nlohmann::json::parse_error& e) {
      throw Error(where + ": header is not valid JSON (near byte offset " +
                  std::to_string(8 + e.byte) + "): " + e.what());
    }
    if (!header.is_object())
      throw Error(where + ": header is a JSON " + std::string(header.type_name()) +
                  ", expected an object of tensors");

    for (auto it = header.begin(); it != header.end(); ++it) {
      const std::string& name = it.key();
      const auto& value = it.value();
      if (name == "__metadata__") {
        if (!value.is_object())
          throw Error(where + ": __metadata__ is a JSON " + std::string(value.type_name()) +
                      ", expected an object of strings");
        for (auto m = value.begin(); m != value.end(); ++m) {
          if (!m.value().is_string())
            throw Error(where + ": __metadata__ value of '" + m.key() + "' is a JSON " +
                        std::string(m.value().type_name()) + ", expected a string");
          metadata_[m.key()] = m.value().get<std::string>();
        }
        continue;
      }

      const std::string what = where + ": tensor '" + name + "'";
      if (!value.is_object()) throw Error(what + " is not a JSON object");
      for (const char* key : {"dtype", "shape", "data_offsets"})
        if (!value.contains(key)) throw Error(what + " has no '" + key + "' field");

      TensorInfo info;
      info.name = name;
      const auto& dtype = value["dtype"];
      if (!dtype.is_string()) throw Error(what + ": 'dtype' must be a string");
      if (!parseDType(dtype.get<std::string>(), info.dtype))
        throw Error(what + ": dtype " + dtype.get<std::string>() + " is not supported: " + kSupported);

      const auto& shape = value["shape"];
      if (!shape.is_array()) throw Error(what + ": 'shape' must be an array of integers");
      for (const auto& d : shape) {
        if (!d.is_number_integer()) throw Error(what + ": 'shape' holds a non-integer " + d.dump());
        if (d.is_number_unsigned()) {
          if (d.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
            throw Error(what + ": dimension " + d.dump() + " is too large");
        } else if (d.get<int64_t>() < 0) {
          throw Error(what + ": negative dimension " + d.dump() + " in shape " + shape.dump());
        }
        info.shape.push_back(d.get<int64_t>());
      }

      const auto& offsets = value["data_offsets"];
      if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
          !offsets[1].is_number_unsigned())
        throw Error(what + ": 'data_offsets' must be two non-negative integers [begin, end], got " +
                    offsets.dump());
      const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
      if (end < begin)
        throw Error(what + ": data_offsets end " + std::to_string(end) + " is before begin " +
                    std::to_string(begin));

      uint64_t numel = 0;
      if (!checkedNumel(info.shape, numel) || numel > std::numeric_limits<uint64_t>::max() / 4)
        throw Error(what + ": shape " + shapeString(info.shape) + " is too large");
      const uint64_t expected = numel * dtypeSize(info.dtype);
      if (end - begin != expected)
        throw Error(what + " holds " + std::to_string(end - begin) + " bytes but " +
                    dtypeName(info.dtype) + " " + shapeString(info.shape) + " needs " +
                    std::to_string(expected));
      if (end > dataBytes)
        throw Error(what + " ends at byte offset " + std::to_string(dataStart + end) +
                    " but the file has only " + std::to_string(size_) + " bytes (truncated?)");

      info.offset = dataStart + static_cast<size_t>(begin);
      info.bytes = static_cast<size_t>(expected);
      tensors_.push_back(std::move(info));
    }

    // File order = data order; ties (empty tensors) by name for determinism.
    std::stable_sort(tensors_.begin(), tensors_.end(), [](const TensorInfo& a, const TensorInfo& b) {
      return a.offset != b.offset ? a.offset < b.offset : a.name < b.name;
    });
    for (size_t i = 0; i < tensors_.size(); ++i) index_[tensors_[i].name] = i;
  } catch (...) {
    ::munmap(map_, size_);
    map_ = nullptr;
    throw;
  }
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(map_, size_);
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

const TensorInfo& SafetensorsFile::at(const std::string& name) const {
  const TensorInfo* t = find(name);
  if (!t) throw Error("safetensors file '" + path_ + "' has no tensor '" + name + "'");
  return *t;
}

const uint8_t* SafetensorsFile::data(const TensorInfo& t) const {
  return static_cast<const uint8_t*>(map_) + t.offset;
}

std::vector<float> SafetensorsFile::toFloat(const TensorInfo& t) const {
  if (!hostIsLittleEndian()) throw Error("safetensors reading needs a little-endian host");
  const uint8_t* src = data(t);
  const size_t n = t.bytes / dtypeSize(t.dtype);
  std::vector<float> out(n);
  if (t.dtype == DType::F32) {
    if (n) std::memcpy(out.data(), src, n * 4);
    return out;
  }
  const bool isHalf = t.dtype == DType::F16;
  for (size_t i = 0; i < n; ++i) {
    uint16_t v;
    std::memcpy(&v, src + 2 * i, 2);  // data may be unaligned
    out[i] = isHalf ? halfToFloat(v) : bfloat16ToFloat(v);
  }
  return out;
}

// ---------------------------------------------------------------- writing

void writeSafetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  if (!hostIsLittleEndian()) throw Error("safetensors writing needs a little-endian host");
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    auto& meta = header["__metadata__"] = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata) meta[k] = v;
  }
  uint64_t offset = 0;
  std::vector<size_t> sizes;
  for (const auto& t : tensors) {
    const std::string what = "writing '" + path + "': tensor '" + t.name + "'";
    if (t.name.empty() || t.name == "__metadata__")
      throw Error("writing '" + path + "': invalid tensor name '" + t.name + "'");
    if (header.contains(t.name)) throw Error(what + " appears twice");
    for (int64_t d : t.shape)
      if (d < 0) throw Error(what + " has a negative dimension in " + shapeString(t.shape));
    uint64_t numel = 0;
    if (!checkedNumel(t.shape, numel) || numel > std::numeric_limits<uint64_t>::max() / 4)
      throw Error(what + ": shape " + shapeString(t.shape) + " is too large");
    const uint64_t bytes = numel * dtypeSize(t.dtype);
    if (bytes && !t.data) throw Error(what + " has no data");
    header[t.name] = {{"dtype", dtypeName(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    sizes.push_back(static_cast<size_t>(bytes));
  }

  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');  // keeps the data section 8-byte aligned
  uint8_t lengthField[8];
  uint64_t len = json.size();
  for (int i = 0; i < 8; ++i) lengthField[i] = static_cast<uint8_t>(len >> (8 * i));

  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw Error("cannot write '" + path + "' (creating '" + tmp + "'): " + errnoText());
  bool ok = std::fwrite(lengthField, 1, 8, f) == 8 &&
            std::fwrite(json.data(), 1, json.size(), f) == json.size();
  for (size_t i = 0; ok && i < tensors.size(); ++i)
    ok = sizes[i] == 0 || std::fwrite(tensors[i].data, 1, sizes[i], f) == sizes[i];
  std::string why = ok ? "" : errnoText();
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    why = errnoText();
  }
  if (!ok) {
    std::remove(tmp.c_str());
    throw Error("cannot write '" + path + "': " + why);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    why = errnoText();
    std::remove(tmp.c_str());
    throw Error("cannot move '" + tmp + "' to '" + path + "': " + why);
  }
}

// ---------------------------------------------------------------- half / bfloat16

float halfToFloat(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  if (exp == 0) {  // zero or subnormal: mant * 2^-24, exact in float
    float v = static_cast<float>(mant) * (1.0f / 16777216.0f);
    return sign ? -v : v;
  }
  if (exp == 31) return bitsToFloat(sign | 0x7f800000u | (mant << 13));  // inf / nan
  return bitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
}

float bfloat16ToFloat(uint16_t b) { return bitsToFloat(uint32_t(b) << 16); }

uint16_t floatToHalf(float f) {
  const uint32_t x = floatBits(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t absx = x & 0x7fffffffu;
  if (absx > 0x7f800000u) return uint16_t(sign | 0x7e00u | ((absx >> 13) & 0x3ffu));  // quiet nan
  if (absx >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // >= 65520 rounds to inf
  if (absx >= 0x38800000u) {  // normal half: rebias exponent, round 13 bits off
    const uint32_t m = absx - (112u << 23);
    return uint16_t(sign | ((m + 0xfffu + ((m >> 13) & 1u)) >> 13));
  }
  if (absx <= 0x33000000u) return uint16_t(sign);  // <= 2^-25 rounds to zero (tie to even)
  // Subnormal half: value / 2^-24, rounded to nearest even.
  const uint32_t exp = absx >> 23;
  const uint32_t mant = (absx & 0x7fffffu) | 0x800000u;
  const uint32_t shift = 126 - exp;  // 14..24
  uint32_t q = mant >> shift;
  const uint32_t rem = mant & ((1u << shift) - 1);
  const uint32_t halfway = 1u << (shift - 1);
  if (rem > halfway || (rem == halfway && (q & 1u))) ++q;
  return uint16_t(sign | q);
}

uint16_t floatToBfloat16(float f) {
  const uint32_t x = floatBits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 0x0040u);  // quiet nan
  return uint16_t((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

}  // namespace attnscope
