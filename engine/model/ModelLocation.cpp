#include "engine/model/ModelLocation.h"

#include <cstdlib>
#include <filesystem>

namespace attnscope {

namespace fs = std::filesystem;

std::string resolveModelPath(const std::string& given, const char* argv0) {
  if (!given.empty()) return given;
  if (const char* env = std::getenv("ATTNSCOPE_MODEL"); env && *env) return env;
  std::error_code ec;
  fs::path exe = fs::canonical("/proc/self/exe", ec);
  if (ec) exe = fs::absolute(argv0 ? argv0 : ".");
  for (fs::path candidate : {exe.parent_path() / ".." / "assets" / "default-untrained",
                             exe.parent_path() / ".." / "share" / "attnscope" / "default-untrained"})
    if (fs::exists(candidate / "config.json")) return candidate.lexically_normal().string();
  return (exe.parent_path() / ".." / "assets" / "default-untrained").lexically_normal().string();
}

}  // namespace attnscope
