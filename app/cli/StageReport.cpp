#include "app/cli/StageReport.h"

#include <cstdio>

namespace attnscope::cli {

namespace {

const char* const kStepModes[] = {"dense", "sparse", "capture"};

nlohmann::json meanJson(const StepMean& m) {
  if (m.count == 0) return nullptr;
  return {{"count", m.count}, {"seconds", m.seconds}, {"attention_s", m.attention}, {"rest_s", m.rest()}};
}

std::string row(const std::string& stage, double seconds, double attention = -1) {
  char buf[160];
  if (attention < 0)
    std::snprintf(buf, sizeof buf, "  %-22s %10.4f\n", stage.c_str(), seconds);
  else
    std::snprintf(buf, sizeof buf, "  %-22s %10.4f %10.4f %10.4f %6.1f%%\n", stage.c_str(), seconds, attention,
                  seconds - attention, seconds > 0 ? 100.0 * attention / seconds : 0.0);
  return buf;
}

}  // namespace

nlohmann::json stageTimingsJson(const StageTimings& t) {
  nlohmann::json steps = nlohmann::json::array();
  for (const StepTiming& s : t.steps)
    steps.push_back({{"step", s.step}, {"mode", s.mode}, {"seconds", s.seconds}, {"attention_s", s.attention}});
  nlohmann::json j = {{"total_s", t.total},
                      {"attention_s", t.attention},
                      {"rest_s", t.rest()},
                      {"text_s", t.text},
                      {"denoise_s", t.denoise},
                      {"denoise_attention_s", t.attention},  // attention runs only inside the sampler loop
                      {"denoise_rest_s", t.denoise - t.attention},
                      {"decode_s", t.decode},
                      {"steps", steps},
                      {"peak_gpu_bytes", t.peakGpuBytes > 0 ? nlohmann::json(t.peakGpuBytes) : nlohmann::json(nullptr)}};
  for (const char* mode : kStepModes) j[std::string(mode) + "_step"] = meanJson(t.meanOf(mode));
  return j;
}

void printStageTable(std::ostream& out, const StageTimings& t) {
  char header[160];
  std::snprintf(header, sizeof header, "  %-22s %10s %10s %10s %7s\n", "stage (seconds)", "time", "attention", "rest",
                "share");
  out << header << row("text", t.text) << row("denoise", t.denoise, t.attention);
  for (const char* mode : kStepModes) {
    const StepMean m = t.meanOf(mode);
    if (m.count) out << row("  " + std::string(mode) + " step x" + std::to_string(m.count), m.seconds, m.attention);
  }
  out << row("decode", t.decode) << row("total", t.total, t.attention);
  if (t.peakGpuBytes > 0) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "  peak GPU memory %.1f MiB\n", t.peakGpuBytes / (1024.0 * 1024.0));
    out << buf;
  }
}

}  // namespace attnscope::cli
