#include "app/cli/CliSupport.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include <ATen/Parallel.h>

#include "engine/core/Error.h"
#include "engine/model/ModelLocation.h"

namespace attnscope::cli {

namespace fs = std::filesystem;

std::string resolveModelPath(const std::string& given, const char* argv0) {
  return attnscope::resolveModelPath(given, argv0);
}

void setThreads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
}

void addPlacementOptions(CLI::App* command, PlacementOptions& o) {
  command->add_option("--device", o.device, "Where the model runs: cpu (default), cuda or cuda:N");
  command->add_option("--dtype", o.dtype, "DiT weights: float32 or bfloat16 (default: float32 on cpu, bfloat16 on cuda)")
      ->check(CLI::IsMember({"float32", "bfloat16"}));
}

void prepareOutput(const std::string& path) {
  if (path.empty()) return;
  fs::path parent = fs::absolute(path).parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec || !fs::is_directory(parent))
    throw Error("cannot create the folder " + parent.string() + " for " + path + ": " + ec.message());
  if (fs::is_directory(path)) throw Error(path + " is a folder; give a file name");
}

ProgressBar::ProgressBar(std::string label, bool enabled)
    : label_(std::move(label)), enabled_(enabled && isatty(STDERR_FILENO)) {}

void ProgressBar::update(int done, int total) {
  if (!enabled_ || total <= 0) return;
  const int width = 30;
  int filled = done * width / total;
  std::fprintf(stderr, "\r%s [%s%s] %d/%d", label_.c_str(), std::string(filled, '#').c_str(),
               std::string(width - filled, '.').c_str(), done, total);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

void printJson(const nlohmann::json& report) { std::cout << report.dump() << std::endl; }

std::string formatSeconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", s);
  return buf;
}

}  // namespace attnscope::cli
