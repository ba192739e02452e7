#include "engine/analytics/AnalyticsExport.h"

#include <cmath>
#include <fstream>

#include "engine/core/Error.h"

namespace attnscope {

namespace {

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

// CSV cell: NaN as empty, text quoted when it holds a comma or a quote.
std::string cell(double v) {
  if (!std::isfinite(v)) return "";
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}
std::string cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

class CsvFile {
 public:
  CsvFile(const std::string& path, const std::string& header) : path_(path), out_(path) {
    if (!out_) throw Error("cannot write " + path);
    out_ << header << "\n";
  }
  std::ofstream& out() { return out_; }
  ~CsvFile() noexcept(false) {
    out_.flush();
    if (!out_ && std::uncaught_exceptions() == 0) throw Error("writing " + path_ + " failed");
  }

 private:
  std::string path_;
  std::ofstream out_;
};

nlohmann::json hitJson(const SinkHit& h) {
  return {{"step", h.step}, {"layer", h.layer}, {"head", h.head}, {"token", h.token}, {"mass", h.mass}, {"ratio", h.ratio}};
}

}  // namespace

nlohmann::json toJson(const SinkReport& r) {
  nlohmann::json video = nlohmann::json::array(), text = nlohmann::json::array(), tokens = nlohmann::json::array(),
                 shares = nlohmann::json::array();
  for (const SinkHit& h : r.video) {
    nlohmann::json j = hitJson(h);
    TokenCoord c = tokenCoord(r.grid, h.token);
    j["frame"] = c.f;
    j["y"] = c.y;
    j["x"] = c.x;
    video.push_back(j);
  }
  for (const SinkHit& h : r.text) {
    nlohmann::json j = hitJson(h);
    j["word"] = h.token < int64_t(r.textTokens.size()) ? r.textTokens[h.token] : "";
    text.push_back(j);
  }
  for (const SinkToken& t : r.tokens)
    tokens.push_back({{"token", t.token}, {"frame", t.at.f}, {"y", t.at.y}, {"x", t.at.x},
                      {"appearances", t.appearances}, {"first_layer", t.firstLayer}, {"longest_run", t.longestRun},
                      {"steps", t.steps}, {"mean_mass", t.meanMass}, {"primary", t.primary}});
  for (const HeadSinkShare& s : r.shares)
    shares.push_back({{"step", s.step}, {"layer", s.layer}, {"head", s.head}, {"sinks", s.sinks}, {"share", s.share}});
  return {{"ratio", r.options.ratio},
          {"text_ratio", r.options.textRatio},
          {"max_per_head", r.options.maxPerHead},
          {"primary_layers", r.options.primaryLayers},
          {"grid", r.grid.str()},
          {"captured_steps", r.capturedSteps},
          {"has_cross", r.hasCross},
          {"primary_tokens", std::count_if(r.tokens.begin(), r.tokens.end(), [](const SinkToken& t) { return t.primary; })},
          {"video", video},
          {"text", text},
          {"tokens", tokens},
          {"head_shares", shares},
          {"sink_map", {{"shape", {r.grid.frames, r.grid.height, r.grid.width}}, {"count", r.sinkCount}, {"mean_ratio", r.meanRatio}}}};
}

nlohmann::json toJson(const HeadTypeReport& r) {
  nlohmann::json heads = nlohmann::json::array();
  for (const HeadProfile& p : r.heads)
    heads.push_back({{"layer", p.layer}, {"head", p.head}, {"type", headTypeName(p.type)},
                     {"spatial", number(p.spatial)}, {"temporal", number(p.temporal)}, {"window", number(p.window)},
                     {"rest", number(p.rest)}, {"sink", number(p.sink)}, {"entropy", number(p.entropy)},
                     {"normalized_entropy", number(p.normalizedEntropy)}});
  nlohmann::json counts = nlohmann::json::object();
  for (HeadType t : {HeadType::Spatial, HeadType::Temporal, HeadType::Global, HeadType::SinkDominated, HeadType::Unknown})
    counts[headTypeName(t)] = r.count(t);
  const HeadTypeOptions& o = r.options;
  return {{"steps", r.steps},
          {"has_offsets", r.hasOffsets},
          {"note", r.note.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.note)},
          {"thresholds", {{"sink", o.sinkShare}, {"spatial", o.spatialShare}, {"temporal", o.temporalShare}}},
          {"window", {o.windowFrames, o.windowHeight, o.windowWidth}},
          {"uniform", {{"spatial", r.uniformSpatial}, {"temporal", r.uniformTemporal}}},
          {"counts", counts},
          {"heads", heads}};
}

nlohmann::json toJson(const StabilityReport& r) {
  const size_t cols = r.colSteps.size();
  nlohmann::json corr = nlohmann::json::array(), jac = nlohmann::json::array();
  for (size_t i = 0; i < r.rowSteps.size(); ++i) {
    nlohmann::json a = nlohmann::json::array(), b = nlohmann::json::array();
    for (size_t j = 0; j < cols; ++j) {
      a.push_back(number(r.at(r.correlation, i, j)));
      b.push_back(number(r.at(r.jaccard, i, j)));
    }
    corr.push_back(a);
    jac.push_back(b);
  }
  return {{"strategy", r.options.strategy},
          {"density", r.options.density},
          {"row_model", r.rowModel},
          {"col_model", r.colModel},
          {"row_steps", r.rowSteps},
          {"col_steps", r.colSteps},
          {"row_density", r.rowDensity},
          {"col_density", r.colDensity},
          {"correlation", corr},
          {"jaccard", jac},
          {"later_jaccard", [&] {
             nlohmann::json a = nlohmann::json::array();
             for (double v : r.laterJaccard) a.push_back(number(v));
             return a;
           }()}};
}

nlohmann::json toJson(const RecallReport& r) {
  nlohmann::json heads = nlohmann::json::array();
  for (const HeadRecall& h : r.heads)
    heads.push_back({{"layer", h.layer}, {"head", h.head}, {"density", h.density}, {"kept_mass", h.keptMass}});
  return {{"plan_strategy", r.planStrategy},
          {"step", r.step < 0 ? nlohmann::json("mean") : nlohmann::json(r.step)},
          {"density", r.density},
          {"kept_mass", r.keptMass},
          {"heads", heads},
          {"steps", r.steps},
          {"step_kept_mass", r.stepKeptMass}};
}

void writeSinksCsv(const SinkReport& r, const std::string& path) {
  CsvFile csv(path, "step,layer,head,kind,token,frame,y,x,word,mass,ratio");
  for (const SinkHit& h : r.video) {
    TokenCoord c = tokenCoord(r.grid, h.token);
    csv.out() << h.step << "," << h.layer << "," << h.head << ",video," << h.token << "," << c.f << "," << c.y << ","
              << c.x << ",," << cell(h.mass) << "," << cell(h.ratio) << "\n";
  }
  for (const SinkHit& h : r.text) {
    std::string word = h.token < int64_t(r.textTokens.size()) ? r.textTokens[h.token] : "";
    csv.out() << h.step << "," << h.layer << "," << h.head << ",text," << h.token << ",,,," << cell(word) << ","
              << cell(h.mass) << "," << cell(h.ratio) << "\n";
  }
}

void writeSinkTokensCsv(const SinkReport& r, const std::string& path) {
  CsvFile csv(path, "token,frame,y,x,appearances,first_layer,longest_run,steps,mean_mass,primary");
  for (const SinkToken& t : r.tokens)
    csv.out() << t.token << "," << t.at.f << "," << t.at.y << "," << t.at.x << "," << t.appearances << ","
              << t.firstLayer << "," << t.longestRun << "," << t.steps << "," << cell(t.meanMass) << ","
              << (t.primary ? 1 : 0) << "\n";
}

void writeSinkMapCsv(const SinkReport& r, const std::string& path) {
  CsvFile csv(path, "frame,y,x,count,mean_ratio");
  for (int64_t j = 0; j < int64_t(r.sinkCount.size()); ++j) {
    TokenCoord c = tokenCoord(r.grid, j);
    csv.out() << c.f << "," << c.y << "," << c.x << "," << r.sinkCount[j] << "," << cell(r.meanRatio[j]) << "\n";
  }
}

void writeHeadsCsv(const HeadTypeReport& r, const std::string& path) {
  CsvFile csv(path, "layer,head,type,spatial,temporal,window,rest,sink,entropy,normalized_entropy");
  for (const HeadProfile& p : r.heads)
    csv.out() << p.layer << "," << p.head << "," << headTypeName(p.type) << "," << cell(p.spatial) << ","
              << cell(p.temporal) << "," << cell(p.window) << "," << cell(p.rest) << "," << cell(p.sink) << ","
              << cell(p.entropy) << "," << cell(p.normalizedEntropy) << "\n";
}

void writeStabilityCsv(const StabilityReport& r, const std::string& path) {
  CsvFile csv(path, "row_step,col_step,correlation,jaccard");
  for (size_t i = 0; i < r.rowSteps.size(); ++i)
    for (size_t j = 0; j < r.colSteps.size(); ++j)
      csv.out() << r.rowSteps[i] << "," << r.colSteps[j] << "," << cell(r.at(r.correlation, i, j)) << ","
                << cell(r.at(r.jaccard, i, j)) << "\n";
}

void writeRecallCsv(const RecallReport& r, const std::string& path) {
  CsvFile csv(path, "layer,head,density,kept_mass");
  for (const HeadRecall& h : r.heads)
    csv.out() << h.layer << "," << h.head << "," << cell(h.density) << "," << cell(h.keptMass) << "\n";
}

}  // namespace attnscope
