#include "engine/pipeline/RunHistory.h"

#include <sqlite3.h>

#include <ctime>
#include <filesystem>

#include "engine/core/Error.h"

namespace attnscope {

namespace {

const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  created TEXT NOT NULL,
  command TEXT NOT NULL,
  model_id TEXT NOT NULL,
  prompt TEXT NOT NULL,
  seed INTEGER NOT NULL,
  steps INTEGER NOT NULL,
  grid TEXT NOT NULL,
  mask_path TEXT,
  mask_density REAL,
  video_path TEXT,
  atlas_path TEXT,
  total_s REAL,
  attention_s REAL,
  settings_json TEXT
);)";

std::string utcNow() {
  std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return buf;
}

class Statement {
 public:
  Statement(sqlite3* db, const char* sql, const std::string& path) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
      throw Error("run history " + path + ": " + sqlite3_errmsg(db));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  sqlite3_stmt* get() { return stmt_; }
  void text(int i, const std::string& s) { sqlite3_bind_text(stmt_, i, s.c_str(), -1, SQLITE_TRANSIENT); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

std::string column(sqlite3_stmt* s, int i) {
  const unsigned char* t = sqlite3_column_text(s, i);
  return t ? reinterpret_cast<const char*>(t) : "";
}

}  // namespace

RunHistory::RunHistory(const std::string& path) : path_(path) {
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "cannot allocate";
    sqlite3_close(db_);
    throw Error("cannot open run history " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  char* err = nullptr;
  if (sqlite3_exec(db_, kSchema, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    sqlite3_close(db_);
    throw Error("run history " + path + " is not usable: " + msg);
  }
}

RunHistory::~RunHistory() { sqlite3_close(db_); }

int64_t RunHistory::add(const RunRecord& r) {
  Statement s(db_,
              "INSERT INTO runs (created, command, model_id, prompt, seed, steps, grid, mask_path, mask_density, "
              "video_path, atlas_path, total_s, attention_s, settings_json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
              path_);
  s.text(1, r.created.empty() ? utcNow() : r.created);
  s.text(2, r.command);
  s.text(3, r.modelId);
  s.text(4, r.prompt);
  sqlite3_bind_int64(s.get(), 5, static_cast<sqlite3_int64>(r.seed));
  sqlite3_bind_int(s.get(), 6, r.steps);
  s.text(7, r.grid);
  s.text(8, r.maskPath);
  sqlite3_bind_double(s.get(), 9, r.maskDensity);
  s.text(10, r.videoPath);
  s.text(11, r.atlasPath);
  sqlite3_bind_double(s.get(), 12, r.totalSeconds);
  sqlite3_bind_double(s.get(), 13, r.attentionSeconds);
  s.text(14, r.settingsJson);
  if (sqlite3_step(s.get()) != SQLITE_DONE) throw Error("run history " + path_ + ": " + sqlite3_errmsg(db_));
  return sqlite3_last_insert_rowid(db_);
}

std::vector<RunRecord> RunHistory::list(int limit) const {
  Statement s(db_,
              "SELECT id, created, command, model_id, prompt, seed, steps, grid, mask_path, mask_density, video_path, "
              "atlas_path, total_s, attention_s, settings_json FROM runs ORDER BY id DESC LIMIT ?",
              path_);
  sqlite3_bind_int(s.get(), 1, limit);
  std::vector<RunRecord> out;
  while (sqlite3_step(s.get()) == SQLITE_ROW) {
    RunRecord r;
    r.id = sqlite3_column_int64(s.get(), 0);
    r.created = column(s.get(), 1);
    r.command = column(s.get(), 2);
    r.modelId = column(s.get(), 3);
    r.prompt = column(s.get(), 4);
    r.seed = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 5));
    r.steps = sqlite3_column_int(s.get(), 6);
    r.grid = column(s.get(), 7);
    r.maskPath = column(s.get(), 8);
    r.maskDensity = sqlite3_column_double(s.get(), 9);
    r.videoPath = column(s.get(), 10);
    r.atlasPath = column(s.get(), 11);
    r.totalSeconds = sqlite3_column_double(s.get(), 12);
    r.attentionSeconds = sqlite3_column_double(s.get(), 13);
    r.settingsJson = column(s.get(), 14);
    out.push_back(std::move(r));
  }
  return out;
}

std::string defaultHistoryPath(const std::string& outputFile) {
  std::filesystem::path dir = std::filesystem::absolute(outputFile).parent_path();
  return (dir / "attnscope-runs.sqlite").string();
}

}  // namespace attnscope
