#pragma once
// The loss curve of a training run as CSV: one row per logged interval,
//   step,loss,lr,samples_per_s,wall_s
// (step = optimiser steps done, loss = mean over the interval, wall_s = the
// run's training wall time across resumes). Opening a log for a run resumed
// at step s keeps the rows up to s and drops any written after it.
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace attnscope {

struct LossRow {
  int64_t step = 0;
  double loss = 0, lr = 0, samplesPerSecond = 0, wallSeconds = 0;
};

class LossLog {
 public:
  // Starts `path` from the rows of `previous` (may be the same file, or
  // empty for none) with step <= keepUpTo. Throws Error naming the file and
  // line of a malformed row.
  LossLog(const std::string& path, const std::string& previous, int64_t keepUpTo);
  void append(const LossRow& row);
  const std::vector<LossRow>& rows() const { return rows_; }

  static std::vector<LossRow> read(const std::string& path);

 private:
  std::string path_;
  std::vector<LossRow> rows_;
  std::ofstream out_;
};

}  // namespace attnscope
