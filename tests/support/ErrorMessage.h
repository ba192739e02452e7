#pragma once
// The message of the attnscope::Error a callable throws, for bad-input tests
// that check the message names the problem.
#include <QString>

#include <functional>
#include <string>

#include "engine/core/Error.h"

namespace attnscope::testing {

// "" when nothing is thrown.
inline QString errorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return QString::fromStdString(e.what());
  }
  return {};
}

// "(no error)" when nothing is thrown.
inline std::string errorText(const std::function<void()>& fn) {
  QString message = errorOf(fn);
  return message.isEmpty() ? "(no error)" : message.toStdString();
}

}  // namespace attnscope::testing
