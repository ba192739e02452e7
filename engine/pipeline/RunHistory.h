#pragma once
// RunHistory: every run (model, prompt, seed, plan, timings, outputs) in a
// SQLite database kept next to the files it names.
#include <cstdint>
#include <string>
#include <vector>

struct sqlite3;

namespace attnscope {

struct RunRecord {
  int64_t id = 0;
  std::string created;  // UTC, ISO-8601 (filled by add())
  std::string command, modelId, prompt, grid, maskPath, videoPath, atlasPath, settingsJson;
  uint64_t seed = 0;
  int steps = 0;
  double maskDensity = 1.0;
  double totalSeconds = 0, attentionSeconds = 0;
};

class RunHistory {
 public:
  explicit RunHistory(const std::string& path);  // creates the file and schema if needed
  ~RunHistory();
  RunHistory(const RunHistory&) = delete;
  RunHistory& operator=(const RunHistory&) = delete;

  int64_t add(const RunRecord& record);
  std::vector<RunRecord> list(int limit = 100) const;  // newest first

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

// attnscope-runs.sqlite in the folder of `outputFile`.
std::string defaultHistoryPath(const std::string& outputFile);

}  // namespace attnscope
