// The parts of a report page (report.h), one file per kind of drawing. Each returns HTML with
// every text from the record escaped.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace shardstore::checker::report {

using nlohmann::json;

// A string as it is; other values as their JSON (bytes that are not UTF-8 replaced, never thrown).
std::string Raw(const json& value);
// A string field as escaped text ("" when absent or not a string); other values as their JSON.
std::string Text(const json& value);
std::string Field(const json& object, const char* key);

// conformance, crash: the minimized steps, engine beside model, the failing step highlighted.
std::string StepsTable(const json& finding, size_t index);
// crash, crash-concurrency: the power cut, a strip per extent; empty when the record has none.
std::string PowerCutStrip(const json& finding);
// concurrency, crash-concurrency: the replayed schedule, one lane per fiber (the power cut marked
// at its scheduling point, the crasher's lane named); empty when the record has none.
std::string Timeline(const json& finding);
// crash-concurrency: the case's operations per thread and its size when found and minimized.
std::string JointCase(const json& finding);
// Operations as bars per process (Porcupine style). `highlight_key`: its operations stand out;
// `marked`: invocation positions drawn as `marked_class` (not placed, in the minimal history).
std::string HistoryBars(const json& events, const std::string& highlight_key,
                        const json& marked = nullptr, const char* marked_class = "bad");
// linearize: the verdict, the bars, the longest partial linearization, what was not placed.
std::string LinearizeBody(const json& linearize);
// campaign: totals, coverage with the blind spots first, findings by signature.
std::string CampaignBody(const json& merge, const json& summaries, const json& findings);

}  // namespace shardstore::checker::report
