// Campaign reports: one shard's run (campaign.h) drawn for people and for programs — the
// summary and each finding as readable text, and the whole run as the one JSON object that
// `shardcheck <suite> --json` prints last.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "shardstore/checker/campaign.h"
#include "shardstore/checker/results.h"

namespace shardstore::checker {

// Per harness: sequences (or schedules), ops (or steps), seconds and rate; the op mix; the engine
// paths never reached (the blind spots), or with `full_coverage` every path's hits; whether the
// time budget stopped the run.
void PrintSummary(std::ostream& os, const SummaryRecord& summary, bool full_coverage);
// In this order: the violation in one sentence, the minimized steps, the replay command, where
// the HTML report is (`report_path`, or how to get one), and the GoogleTest to paste.
void PrintFinding(std::ostream& os, const FindingRecord& finding, const std::string& report_path);
// The run's JSON: result, totals, each harness, the summary record and every finding; the first
// finding's fields also flat at the top level.
nlohmann::json CampaignJson(const CampaignReport& report);

}  // namespace shardstore::checker
