// Report: checker output drawn as one self-contained HTML page (inline CSS and a little script;
// no network, no external scripts, fonts or images), so a finding can be mailed, attached to a
// ticket or kept as a CI artifact and still open anywhere.
//
// It reads what the checkers already write — a suite's `--json` object, `linearize --json`,
// `merge --json`, a results file (JSON lines), or one finding record — and never runs anything
// again: what a page shows is what the record holds. Six kinds of page:
//   conformance  the minimized steps as a table, the engine's result beside the model's, the
//                first divergence highlighted, the violation in one sentence, both lengths;
//   crash        the same, and the power cut: the pages pending at that barrier as a strip per
//                extent (kept, lost, torn at which sector);
//   concurrency  the replayed schedule as a timeline, one lane per fiber (scheduling points,
//                preemptions, blocking, what each fiber said it holds), the failing step, and
//                the clients' history as bars per process with the failing key's operations
//                highlighted;
//   crash-concurrency  the concurrency page's timeline, with the scheduling point where the
//                power was cut marked on it, the power cut's strip (the pages pending then, kept,
//                lost or torn), the history (the crash drawn across it), and the case's
//                operations and size when found and minimized;
//   linearize    a user's history as bars, the longest partial linearization found and the
//                operations it could not place;
//   campaign     totals per suite and harness, coverage with the blind spots first, findings by
//                signature with counts, each linking to its own section.
// Every finding shows its replay command, the GoogleTest to paste (with a copy button) and the
// commit.
//
// Keys and values are arbitrary bytes: every text is escaped (EscapeHtml), bytes that are not
// printable UTF-8 shown as \xNN.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "shardstore/status.h"

namespace shardstore::checker {

enum class ReportKind : uint8_t {
  kConformance,
  kCrash,
  kConcurrency,
  kLinearize,
  kCampaign,
  kCrashConcurrency,
};
std::string_view ReportKindName(ReportKind kind);

struct ReportInput {
  ReportKind kind = ReportKind::kCampaign;
  std::string title;         // "conformance[store]: ..." — the page's heading
  nlohmann::json findings;   // finding records (results.h), an array
  nlohmann::json summaries;  // summary records, an array (a results file, a suite's --json)
  nlohmann::json merge;      // merge --json, or null
  nlohmann::json linearize;  // linearize --json, or null
};

// What any of the inputs above holds, or InvalidArgument saying what the text is not.
StatusOr<ReportInput> ReportInputFromText(std::string_view text);
StatusOr<ReportInput> ReportInputFromJson(const nlohmann::json& document);
// The same from a file; IOError naming the file when it cannot be read.
StatusOr<ReportInput> ReadReportInput(const std::string& path);

// The whole page.
std::string RenderReport(const ReportInput& input);

// `bytes` as HTML text: &, <, >, " and ' escaped; bytes that are not valid UTF-8, and control
// characters but newline and tab, as a <span class="hex">\xNN</span> each.
std::string EscapeHtml(std::string_view bytes);

// `bytes` as XML 1.0 text and attribute values: the same, the bytes as plain \xNN (XML cannot
// hold most control characters even escaped).
std::string EscapeXml(std::string_view bytes);

// A file's bytes as JSON text: bytes that are not valid UTF-8 become U+10FFxx (a private-use
// code point EscapeHtml shows as \xNN again), so a history holding arbitrary key bytes parses.
std::string ToValidUtf8(std::string_view bytes);

}  // namespace shardstore::checker
