// The report page: its frame, its style, and one section per finding.
#include <string>

#include "report_parts.h"
#include "shardstore/checker/report.h"

namespace shardstore::checker {
namespace report {

std::string Raw(const json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string Text(const json& value) { return EscapeHtml(Raw(value)); }

std::string Field(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return "";
  return Text(object[key]);
}

}  // namespace report

namespace {

using report::Field;
using report::json;
using report::Text;

// Inline, so the page needs nothing but itself.
constexpr const char* kStyle = R"css(
:root { --fg:#1d232b; --muted:#5b6570; --line:#d5dbe1; --bad:#c62828; --bad-bg:#fdecea;
  --ok:#2e7d32; --warn:#ef6c00; --accent:#1565c0; --mono: ui-monospace, "DejaVu Sans Mono",
  Menlo, Consolas, monospace; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, "DejaVu Sans", sans-serif; color: var(--fg); margin: 0;
  background: #f6f8fa; }
header { background: #24292f; color: #fff; padding: 14px 24px; }
header h1 { margin: 0; font-size: 18px; font-weight: 600; word-break: break-word; }
header .meta { margin: 4px 0 0; color: #c9d1d9; font-size: 12px; }
main { padding: 16px 24px; max-width: 1500px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 14px 18px;
  margin-bottom: 18px; }
h2 { font-size: 16px; margin: 0 0 8px; } h3 { font-size: 14px; margin: 16px 0 6px; }
.violation { border-left: 4px solid var(--bad); background: var(--bad-bg); padding: 8px 12px;
  margin: 8px 0; font-weight: 600; white-space: pre-wrap; word-break: break-word; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 8px 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; font-family: var(--mono);
  word-break: break-all; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left;
  vertical-align: top; }
th { background: #eef1f4; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.mono, .mono { font-family: var(--mono); white-space: pre-wrap; word-break: break-all; }
tr.divergence td { background: var(--bad-bg); border-top: 2px solid var(--bad);
  border-bottom: 2px solid var(--bad); }
tr.divergence td:first-child::before { content: "\25B6 "; color: var(--bad); }
tr.blind td { background: #fff8e1; }
.tag { display: inline-block; padding: 0 6px; border-radius: 10px; font-size: 11px;
  background: #eef1f4; color: var(--muted); margin-left: 6px; }
.tag.bad { background: var(--bad); color: #fff; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 4px; padding: 8px 10px;
  overflow-x: auto; font: 12px/1.4 var(--mono); margin: 0; white-space: pre-wrap;
  word-break: break-all; }
.copyable { position: relative; } .copyable button { position: absolute; top: 4px; right: 4px; }
button.copy { font-size: 11px; padding: 2px 8px; border: 1px solid var(--line); background: #fff;
  border-radius: 4px; cursor: pointer; }
.hex { color: #8a3ffc; background: #f3ecff; border-radius: 2px; font-family: var(--mono); }
.scroll { overflow-x: auto; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
svg text { font: 11px var(--mono); fill: var(--fg); }
svg .lane-bg { fill: #f6f8fa; } svg .run { fill: #90caf9; } svg .run.failing { fill: #ef9a9a; }
svg .blocked { fill: url(#hatch); stroke: var(--bad); stroke-width: .5; }
svg .pt { stroke: #37474f; stroke-width: .6; fill: #fff; }
svg .pt.lock { fill: #ffcc80; } svg .pt.wait { fill: #ce93d8; } svg .pt.join { fill: #b0bec5; }
svg .preempt { fill: var(--warn); } svg .note-mark { fill: var(--ok); }
svg .failure-mark { stroke: var(--bad); stroke-width: 2; stroke-dasharray: 4 3; }
svg .power-cut-mark { stroke: #6a1b9a; stroke-width: 3; } svg .power-cut-label { fill: #6a1b9a;
  font-weight: 700; }
svg .failure-label { fill: var(--bad); font-weight: 700; }
svg .op { fill: #bbdefb; stroke: #64b5f6; } svg .op.hl { fill: #ffe0b2; stroke: var(--warn); }
svg .op.bad { fill: #ef9a9a; stroke: var(--bad); stroke-width: 1.5; }
svg .op.unplaced { fill: #ef9a9a; stroke: var(--bad); stroke-width: 1.5; }
svg .op.info { fill: #eceff1; stroke-dasharray: 3 2; } svg .op.failed { fill: #eeeeee; }
.strip { display: flex; align-items: center; gap: 3px; margin: 3px 0; flex-wrap: wrap; }
.strip .label { width: 90px; color: var(--muted); font-family: var(--mono); }
.page { width: 74px; height: 34px; border: 1px solid #90a4ae; border-radius: 3px; font-size: 10px;
  display: flex; flex-direction: column; justify-content: center; align-items: center;
  position: relative; overflow: hidden; font-family: var(--mono); }
.page.kept { background: #c8e6c9; } .page.lost { background: #ffcdd2; color: #7f0000; }
.page.torn { background: linear-gradient(90deg, #c8e6c9 var(--kept), #ffcdd2 var(--kept)); }
.legend span { margin-right: 14px; } .swatch { display: inline-block; width: 12px; height: 12px;
  vertical-align: -2px; border: 1px solid #90a4ae; margin-right: 4px; }
.muted { color: var(--muted); } a { color: var(--accent); }
ol.notes { margin: 4px 0; padding-left: 20px; font-family: var(--mono); font-size: 12px; }
)css";

// The copy buttons: the only script, and it reads nothing but the page's own text. It marks the
// body as rendered, so a headless browser's DOM shows the script ran.
constexpr const char* kScript = R"js(
document.body.setAttribute("data-rendered", "yes");
// A timeline wider than the page opens at its end, where the failure is.
document.querySelectorAll(".scroll.to-end").forEach(function (e) { e.scrollLeft = e.scrollWidth; });
document.querySelectorAll("button.copy").forEach(function (b) {
  b.addEventListener("click", function () {
    var text = document.getElementById(b.dataset.target).textContent;
    var done = function () { b.textContent = "Copied"; };
    if (navigator.clipboard) { navigator.clipboard.writeText(text).then(done, function () {}); }
    else { var t = document.createElement("textarea"); t.value = text;
      document.body.appendChild(t); t.select(); document.execCommand("copy"); t.remove(); done(); }
  });
});
)js";

std::string Copyable(const std::string& id, const std::string& escaped_text, const char* cls) {
  return "<div class=\"copyable\"><pre class=\"" + std::string(cls) + "\" id=\"" + id + "\">" +
         escaped_text + "</pre><button class=\"copy\" data-target=\"" + id +
         "\">Copy</button></div>\n";
}

std::string Facts(const json& f) {
  std::string out = "<dl class=\"facts\">";
  auto fact = [&](const char* name, const std::string& escaped) {
    if (!escaped.empty()) out += "<dt>" + std::string(name) + "</dt><dd>" + escaped + "</dd>";
  };
  fact("commit", Field(f, "commit") + " (" + Field(f, "build_type") + ")");
  fact("seeded bug", Field(f, "bug"));
  fact("campaign seed", Field(f, "campaign_seed"));
  fact("sequence", Field(f, "sequence") + ", seed " + Field(f, "seed"));
  if (f.contains("shard") && f["shard"].is_object()) {
    fact("shard", Field(f["shard"], "index") + " of " + Field(f["shard"], "count"));
  }
  fact("strategy", Field(f, "strategy"));
  if (f.contains("length") && f["length"].is_object()) {
    const json& length = f["length"];
    fact("length", "minimized from " + Field(length, "found") + " to " +
                       Field(length, "minimized") + " " + Field(length, "unit") +
                       " (the original length: " + Field(length, "found") + ")");
  }
  fact("signature", Field(f, "signature"));
  return out + "</dl>\n";
}

std::string FindingSection(const json& f, size_t index) {
  const std::string id = std::to_string(index);
  const std::string suite = f.value("suite", "");
  std::string out = "<section class=\"finding\" id=\"finding-" + id + "\" data-suite=\"" +
                    Text(suite) + "\">\n<h2>" + Field(f, "suite") + "[" + Field(f, "harness") +
                    "] <span class=\"tag bad\">" + Field(f, "kind") + "</span></h2>\n";
  out += "<p class=\"violation\">" + Field(f, "violation") + "</p>\n" + Facts(f);
  if (suite == "concurrency" || suite == "crash-concurrency") {
    const bool joint = suite == "crash-concurrency";
    if (joint) out += report::JointCase(f);
    out += report::Timeline(f);
    if (joint) out += report::PowerCutStrip(f);
    if (f.contains("history") && f["history"].is_array() && !f["history"].empty()) {
      std::string key;
      const std::string violation = f.value("violation", "");
      const size_t at = violation.find("; key ");
      if (at != std::string::npos) {
        key = violation.substr(at + 6, violation.find(',', at) - at - 6);
      }
      out +=
          "<h3>History</h3><p class=\"muted\">Each bar is one client operation from its call to "
          "its return" +
          std::string(joint ? "; the red line is the power cut" : "") +
          (key.empty() ? std::string(".")
                       : "; operations on key " + EscapeHtml(key) +
                             ", the one that is not linearizable, stand out.") +
          "</p>\n" + report::HistoryBars(f["history"], key);
    }
    if (!joint && f.contains("steps") && f["steps"].is_array() && !f["steps"].empty()) {
      out += "<h3>How it was found</h3><ol class=\"notes\">";
      for (const json& step : f["steps"]) out += "<li>" + Text(step) + "</li>";
      out += "</ol>\n";
    }
  } else {
    out += report::StepsTable(f, index);
    out += report::PowerCutStrip(f);
  }
  out += "<h3>Replay</h3>\n" + Copyable("replay-" + id, Field(f, "replay"), "replay");
  if (f.contains("gtest") && f["gtest"].is_string()) {
    out += "<h3>GoogleTest for tests/regress/</h3>\n" +
           Copyable("gtest-" + id, Field(f, "gtest"), "gtest");
  }
  return out + "</section>\n";
}

std::string Commit(const ReportInput& in) {
  for (const json* list : {&in.findings, &in.summaries}) {
    if (list->is_array() && !list->empty()) return Field((*list)[0], "commit");
  }
  if (in.merge.is_object() && in.merge.contains("commits") && !in.merge["commits"].empty()) {
    return Text(in.merge["commits"][0]);
  }
  if (in.linearize.is_object()) return Field(in.linearize, "commit");
  return "";
}

}  // namespace

std::string RenderReport(const ReportInput& in) {
  const std::string kind(ReportKindName(in.kind));
  std::string out = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>shardcheck report: " + EscapeHtml(in.title) + "</title>\n";
  out += "<style>" + std::string(kStyle) + "</style>\n</head>\n";
  out += "<body data-kind=\"" + kind + "\">\n<header><h1>" + EscapeHtml(in.title) + "</h1>";
  const std::string commit = Commit(in);
  out += "<p class=\"meta\">shardcheck report · " + kind +
         (commit.empty() ? std::string() : " · commit " + commit) + "</p></header>\n<main>\n";
  if (in.kind == ReportKind::kLinearize) {
    out += report::LinearizeBody(in.linearize);
  } else {
    if (in.kind == ReportKind::kCampaign) {
      out += report::CampaignBody(in.merge, in.summaries, in.findings);
    }
    for (size_t i = 0; i < in.findings.size(); ++i) out += FindingSection(in.findings[i], i);
    if (in.findings.empty()) {
      out +=
          "<section><h2>No findings</h2><p>Every harness ran without a violation.</p>"
          "</section>\n";
    }
  }
  out += "</main>\n<script>" + std::string(kScript) + "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace shardstore::checker
