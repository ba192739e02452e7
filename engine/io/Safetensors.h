#pragma once
// Safetensors reader/writer, torch-free.
// File layout: u64 little-endian header length, JSON header
// {"name": {"dtype","shape","data_offsets":[begin,end]}, "__metadata__": {str: str}},
// then the raw little-endian tensor bytes. The reader memory-maps the file
// and validates everything before handing out a pointer; every problem is an
// attnscope::Error naming the file and the tensor or byte offset at fault.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace attnscope {

enum class DType { F32, F16, BF16 };
const char* dtypeName(DType t);          // "F32", "F16", "BF16"
size_t dtypeSize(DType t);               // 4, 2, 2

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  size_t offset = 0;  // byte offset of the data from the start of the file
  size_t bytes = 0;
  int64_t numel() const;
};

class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::string& path);  // maps and validates
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }  // in file order
  const TensorInfo* find(const std::string& name) const;               // nullptr if absent
  const TensorInfo& at(const std::string& name) const;                 // throws naming the tensor
  const uint8_t* data(const TensorInfo& t) const;
  // The tensor converted to float32 (F16/BF16 widened).
  std::vector<float> toFloat(const TensorInfo& t) const;

 private:
  std::string path_;
  void* map_ = nullptr;
  size_t size_ = 0;
  std::map<std::string, std::string> metadata_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> index_;
};

struct TensorToWrite {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void* data = nullptr;  // numel * dtypeSize bytes, little-endian
};

// Writes to path + ".tmp" and renames, so a failed write never leaves a
// half-written file where a good one was. Throws Error on I/O failure.
void writeSafetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

float halfToFloat(uint16_t h);
float bfloat16ToFloat(uint16_t b);
uint16_t floatToHalf(float f);      // round to nearest even
uint16_t floatToBfloat16(float f);  // round to nearest even

}  // namespace attnscope
