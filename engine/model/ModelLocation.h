#pragma once
// Where a front end finds its model when the user names none: the given path
// when there is one, else $ATTNSCOPE_MODEL, else the default model built next
// to the executable (<exe>/../assets/default-untrained, or an installed
// <exe>/../share/attnscope/default-untrained). Shared by the CLI and the GUI.
#include <string>

namespace attnscope {

// argv0 is only used when /proc/self/exe cannot be read.
std::string resolveModelPath(const std::string& given, const char* argv0);

}  // namespace attnscope
