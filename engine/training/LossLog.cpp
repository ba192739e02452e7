#include "engine/training/LossLog.h"

#include <filesystem>
#include <sstream>

#include "engine/core/Error.h"

namespace attnscope {

namespace {

const char* kHeader = "step,loss,lr,samples_per_s,wall_s";

void writeRow(std::ostream& out, const LossRow& r) {
  out << r.step << "," << r.loss << "," << r.lr << "," << r.samplesPerSecond << "," << r.wallSeconds << "\n";
}

}  // namespace

std::vector<LossRow> LossLog::read(const std::string& path) {
  std::vector<LossRow> rows;
  std::ifstream in(path);
  if (!in) throw Error("cannot open loss log " + path);
  std::string line;
  int lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (lineNo == 1) {
      if (line != kHeader) throw Error(path + ": line 1 must be the header '" + kHeader + "'");
      continue;
    }
    if (line.empty()) continue;
    std::istringstream s(line);
    LossRow r;
    char c1, c2, c3, c4;
    if (!(s >> r.step >> c1 >> r.loss >> c2 >> r.lr >> c3 >> r.samplesPerSecond >> c4 >> r.wallSeconds) ||
        c1 != ',' || c2 != ',' || c3 != ',' || c4 != ',')
      throw Error(path + ": line " + std::to_string(lineNo) + " is not a loss row: " + line);
    rows.push_back(r);
  }
  return rows;
}

LossLog::LossLog(const std::string& path, const std::string& previous, int64_t keepUpTo) : path_(path) {
  if (!previous.empty() && std::filesystem::exists(previous))
    for (const LossRow& r : read(previous))
      if (r.step <= keepUpTo) rows_.push_back(r);
  out_.open(path, std::ios::trunc);
  if (!out_) throw Error("cannot write loss log " + path);
  out_ << kHeader << "\n";
  for (const LossRow& r : rows_) writeRow(out_, r);
  out_.flush();
}

void LossLog::append(const LossRow& row) {
  rows_.push_back(row);
  writeRow(out_, row);
  out_.flush();
  if (!out_) throw Error("cannot write loss log " + path_);
}

}  // namespace attnscope
