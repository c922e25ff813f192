// Campaign reports: one shard's run (campaign.h) drawn for people and for programs — the
// summary and each finding as readable text, and the whole run as the one JSON object that
// `shardcheck <suite> --json` prints last.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "shardstore/checker/campaign.h"
#include "shardstore/checker/results.h"

namespace shardstore::checker {

// Per harness: sequences (or schedules), ops (or steps), seconds and rate; op and engine-path
// coverage; whether the time budget stopped the run.
void PrintSummary(std::ostream& os, const SummaryRecord& summary);
// The violation, the minimized steps, the replay command and the GoogleTest to paste.
void PrintFinding(std::ostream& os, const FindingRecord& finding);
// The run's JSON: result, totals, each harness, the summary record and every finding; the first
// finding's fields also flat at the top level.
nlohmann::json CampaignJson(const CampaignReport& report);

}  // namespace shardstore::checker
