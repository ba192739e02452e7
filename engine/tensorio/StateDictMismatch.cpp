#include "engine/tensorio/StateDictMismatch.h"

#include <sstream>

#include "engine/core/Error.h"

namespace attnscope {

std::string shapeText(const std::vector<int64_t>& shape) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  s << "]";
  return s.str();
}

void StateDictMismatch::addMisshaped(const std::string& name, const std::vector<int64_t>& stored,
                                     const std::vector<int64_t>& expected) {
  misshaped.push_back(name + " is " + shapeText(stored) + ", the model expects " + shapeText(expected));
}

void StateDictMismatch::throwIfAny(const std::string& subject) const {
  if (empty()) return;
  std::ostringstream msg;
  msg << subject << " does not match the model:";
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

}  // namespace attnscope
