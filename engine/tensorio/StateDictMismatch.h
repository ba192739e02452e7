#pragma once
// What a strict state-dict load found wrong, gathered while matching stored
// tensors to a module's parameters, and reported as one Error that lists
// every problem (the first eight of each kind). Shared by the safetensors
// loader and the real-model (Wan) loaders. No LibTorch.
#include <cstdint>
#include <string>
#include <vector>

namespace attnscope {

// "[16, 48, 1, 2, 2]"
std::string shapeText(const std::vector<int64_t>& shape);

struct StateDictMismatch {
  std::vector<std::string> missing, unexpected, misshaped, duplicated;

  // "NAME is [a, b], the model expects [c, d]"
  void addMisshaped(const std::string& name, const std::vector<int64_t>& stored,
                    const std::vector<int64_t>& expected);
  bool empty() const { return missing.empty() && unexpected.empty() && misshaped.empty() && duplicated.empty(); }
  // Throws Error("<subject> does not match the model:" + the lists) unless empty().
  void throwIfAny(const std::string& subject) const;
};

}  // namespace attnscope
