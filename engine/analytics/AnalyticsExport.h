#pragma once
// The analytics reports as JSON (one object each, NaN as null) and as CSV
// tables with a header row. Column names match the JSON keys.
//   sinks.csv      step,layer,head,kind,token,frame,y,x,word,mass,ratio
//   sink_tokens.csv token,frame,y,x,appearances,first_layer,longest_run,steps,mean_mass,primary
//   sink_map.csv   frame,y,x,count,mean_ratio              (every video token)
//   heads.csv      layer,head,type,spatial,temporal,window,rest,sink,entropy,normalized_entropy
//   stability.csv  row_step,col_step,correlation,jaccard
//   recall.csv     layer,head,density,kept_mass
#include <string>

#include <nlohmann/json.hpp>

#include "engine/analytics/HeadTypes.h"
#include "engine/analytics/MaskRecall.h"
#include "engine/analytics/SinkAnalysis.h"
#include "engine/analytics/Stability.h"

namespace attnscope {

nlohmann::json toJson(const SinkReport& report);
nlohmann::json toJson(const HeadTypeReport& report);
nlohmann::json toJson(const StabilityReport& report);
nlohmann::json toJson(const RecallReport& report);

// Each throws Error naming the path when it cannot be written.
void writeSinksCsv(const SinkReport& report, const std::string& path);
void writeSinkTokensCsv(const SinkReport& report, const std::string& path);
void writeSinkMapCsv(const SinkReport& report, const std::string& path);
void writeHeadsCsv(const HeadTypeReport& report, const std::string& path);
void writeStabilityCsv(const StabilityReport& report, const std::string& path);
void writeRecallCsv(const RecallReport& report, const std::string& path);

}  // namespace attnscope
