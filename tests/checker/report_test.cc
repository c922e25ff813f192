// Reports: escaping of arbitrary bytes, recognizing checker output, what each kind of page
// holds, JUnit XML, and the size of a large history's page. (The pages in a real browser:
// report_browser_test.sh.)
#include "shardstore/checker/report.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "shardstore/checker/history.h"
#include "shardstore/checker/junit.h"
#include "shardstore/checker/linearizability.h"

namespace shardstore::checker {
namespace {

using nlohmann::json;

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

json Finding(const std::string& suite, const std::string& violation) {
  json f = {{"record", "finding"},
            {"schema", 1},
            {"suite", suite},
            {"harness", "store"},
            {"kind", "assertion"},
            {"violation", violation},
            {"signature", "00aa"},
            {"campaign_seed", 7},
            {"sequence", 3},
            {"seed", 99},
            {"shard", {{"index", 0}, {"count", 1}, {"source", "default"}}},
            {"bug", nullptr},
            {"commit", "abc123"},
            {"build_type", "Release"},
            {"replay", "shardcheck replay ss1:store:-:P1,10,1.G1"},
            {"token", "ss1:store:-:P1,10,1.G1"},
            {"strategy", nullptr},
            {"steps", {"Put(k1, 10 bytes of 0x01)", "Get(k1)"}},
            {"length", {{"found", 12}, {"minimized", 2}, {"unit", "ops"}}},
            {"gtest", "TEST(ConformanceRegress, X) {}\n"},
            {"shape", "Put.Get"},
            {"swarm", json::object()}};
  return f;
}

TEST(ReportTest, EscapesMarkupAndShowsBytesThatAreNotUtf8AsHex) {
  const std::string key = "<script>alert(1)</script>\xff\xfe\x01ok \xc3\xa9";
  const std::string escaped = EscapeHtml(key);
  EXPECT_EQ(escaped.find("<script"), std::string::npos) << escaped;
  EXPECT_NE(escaped.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(escaped.find("\\xff</span>"), std::string::npos) << escaped;
  EXPECT_NE(escaped.find("\\xfe</span>"), std::string::npos);
  EXPECT_NE(escaped.find("\\x01</span>"), std::string::npos);  // a control character
  EXPECT_NE(escaped.find("ok \xc3\xa9"), std::string::npos);   // valid UTF-8 stays as it is
  EXPECT_EQ(EscapeHtml("a\"b'c&d"), "a&quot;b&#39;c&amp;d");
  // Overlong forms and surrogates are not UTF-8 either.
  EXPECT_NE(EscapeHtml("\xc0\xaf").find("\\xc0"), std::string::npos);
  EXPECT_NE(EscapeHtml("\xed\xa0\x80").find("\\xed"), std::string::npos);
}

TEST(ReportTest, BytesThatAreNotUtf8SurviveJsonAsStandIns) {
  const std::string raw = "{\"key\":\"k\xff\x80<\"}";
  const std::string text = ToValidUtf8(raw);
  const json parsed = json::parse(text);  // throws if the stand-ins were not valid UTF-8
  const std::string shown = EscapeHtml(parsed["key"].get<std::string>());
  EXPECT_NE(shown.find("k<span class=\"hex\">\\xff</span><span class=\"hex\">\\x80</span>&lt;"),
            std::string::npos)
      << shown;
  EXPECT_EQ(ToValidUtf8("plain \xc3\xa9"), "plain \xc3\xa9");
  EXPECT_EQ(EscapeXml("<\xff>"), "&lt;\\xff&gt;");
}

TEST(ReportTest, APageOfHostileTextRunsNothingAndReferencesNothingOutside) {
  json f = Finding("conformance", "Get(<script>alert(1)</script>) returned \xff bytes");
  f["steps"] = {"Put(<img src=x onerror=alert(1)>)", "Get(\xfe)"};
  f["failed_step"] = 1;
  f["step_results"] = json::array({json::array({"", ""}), json::array({"<b>1 byte</b>", "\x01"})});
  f["gtest"] = "</pre><script>alert(2)</script>";
  const StatusOr<ReportInput> input = ReportInputFromJson(f);
  ASSERT_TRUE(input.ok()) << input.status().message();
  const std::string page = RenderReport(*input);
  EXPECT_EQ(Count(page, "<script"), 1u) << "only the page's own copy-button script";
  EXPECT_EQ(Count(page, "<img"), 0u);
  EXPECT_EQ(Count(page, "<b>1 byte"), 0u);
  EXPECT_NE(page.find("\\xff</span>"), std::string::npos);
  EXPECT_NE(page.find("\\xfe</span>"), std::string::npos);
  for (const char* outside :
       {"http:", "https:", "src=\"", "src='", "@import", "<link", "url(http"}) {
    EXPECT_EQ(page.find(outside), std::string::npos) << outside;
  }
}

TEST(ReportTest, ConformancePageHighlightsTheFailingStepBesideTheModel) {
  json f = Finding("conformance", "Get(k1) returned 9 bytes; the model holds 10 bytes");
  f["failed_step"] = 1;
  f["step_results"] =
      json::array({json::array({"", ""}),
                   json::array({"9 bytes: 01 01 01 01 \xe2\x80\xa6", "10 bytes: 01 01 01 01"})});
  const std::string page = RenderReport(*ReportInputFromJson(f));
  EXPECT_NE(page.find("data-kind=\"conformance\""), std::string::npos);
  const size_t row = page.find("<tr class=\"divergence\"");
  ASSERT_NE(row, std::string::npos);
  const std::string divergent = page.substr(row, page.find("</tr>", row) - row);
  EXPECT_NE(divergent.find("Get(k1)"), std::string::npos) << divergent;
  EXPECT_NE(divergent.find("9 bytes"), std::string::npos);
  EXPECT_NE(divergent.find("10 bytes"), std::string::npos);
  EXPECT_EQ(Count(page, "class=\"divergence\""), 1u);
  EXPECT_NE(page.find("minimized from 12 to 2 ops"), std::string::npos);
  EXPECT_NE(page.find("shardcheck replay ss1:store:-:P1,10,1.G1"), std::string::npos);
  EXPECT_NE(page.find("button class=\"copy\" data-target=\"gtest-0\""), std::string::npos);
  EXPECT_NE(page.find("abc123"), std::string::npos);
}

TEST(ReportTest, CrashPageDrawsEachPendingPageKeptLostOrTorn) {
  json f = Finding("crash", "after the power cut, Get(k1) returned no value");
  f["steps"] = {"Put(k1)", "DirtyReboot(now)", "Get(k1)"};
  f["failed_step"] = 2;
  f["step_results"] = json::array(
      {json::array({"", ""}), json::array({"", ""}), json::array({"no value", "10 bytes"})});
  f["power_cut"] = {{"step", 1},
                    {"sectors_per_page", 8},
                    {"pages",
                     {{{"extent", 3}, {"offset", 0}, {"sectors_kept", 8}, {"torn_bytes", 0}},
                      {{"extent", 3}, {"offset", 4096}, {"sectors_kept", 0}, {"torn_bytes", 0}},
                      {{"extent", 0}, {"offset", 0}, {"sectors_kept", 2}, {"torn_bytes", 100}}}}};
  const std::string page = RenderReport(*ReportInputFromJson(f));
  EXPECT_NE(page.find("data-kind=\"crash\""), std::string::npos);
  EXPECT_NE(page.find("data-extent=\"3\""), std::string::npos);
  EXPECT_NE(page.find("data-extent=\"0\""), std::string::npos);
  EXPECT_EQ(Count(page, "class=\"page kept\""), 1u);
  EXPECT_EQ(Count(page, "class=\"page lost\""), 1u);
  EXPECT_NE(page.find("torn at sector 2 +100 B"), std::string::npos);
  EXPECT_NE(page.find("Power was cut at step 2"), std::string::npos);
  EXPECT_NE(page.find("read <b class=\"mono\">no value</b>"), std::string::npos);
}

TEST(ReportTest, RecognizesEachKindOfCheckerOutput) {
  const json finding = Finding("crash", "x");
  EXPECT_EQ(ReportInputFromText(finding.dump())->kind, ReportKind::kCrash);
  json summary = {{"record", "summary"},
                  {"schema", 1},
                  {"suite", "crash"},
                  {"harnesses", {{"store", {{"sequences", 5}, {"ops", 50}}}}},
                  {"coverage", {{"ops", json::object()}, {"paths", {{"a", 0}, {"b", 3}}}}}};
  const std::string lines =
      json{{"record", "start"}}.dump() + "\n" + finding.dump() + "\n" + summary.dump() + "\n";
  const StatusOr<ReportInput> results = ReportInputFromText(lines);
  ASSERT_TRUE(results.ok()) << results.status().message();
  EXPECT_EQ(results->kind, ReportKind::kCampaign);
  const std::string page = RenderReport(*results);
  EXPECT_LT(page.find("<td class=\"mono\">a<span class=\"tag bad\">blind spot"),
            page.find("<td class=\"mono\">b</td>"))
      << "blind spots first";
  EXPECT_NE(page.find("href=\"#finding-0\""), std::string::npos);
  EXPECT_NE(page.find("id=\"finding-0\""), std::string::npos);
  EXPECT_EQ(ReportInputFromText(R"({"record":"merge","files":2,"findings":[]})")->kind,
            ReportKind::kCampaign);
  EXPECT_EQ(ReportInputFromText(R"({"suite":"linearize","result":"pass"})")->kind,
            ReportKind::kLinearize);
  EXPECT_FALSE(ReportInputFromText("{\"hello\":1}").ok());
  EXPECT_FALSE(ReportInputFromText("not json\n").ok());
  EXPECT_FALSE(ReportInputFromText(R"({"suite":"concurrency","failures":[]})").ok());
}

TEST(ReportTest, ConcurrencyTimelineHasALanePerFiberAndMarksTheFailure) {
  json f = Finding("concurrency", "deadlock: every fiber left is blocked");
  f["kind"] = "deadlock";
  f["timeline"] = {{"fibers", 3},
                   {"steps", 6},
                   {"points_dropped", 0},
                   {"points",
                    {{0, 0, "start", 0, false},
                     {1, 0, "join", 1, false},
                     {2, 1, "lock", 2, true},
                     {3, 2, "wait", 2, false},
                     {4, 2, "blocked", 1, false},
                     {5, 1, "blocked", 0, false}}},
                   {"notes", {{2, 1, "read budget: took 4096 bytes, 4096 of 8192 left"}}},
                   {"failure", {{"kind", "deadlock"}, {"message", "every fiber left is blocked"}}}};
  const std::string page = RenderReport(*ReportInputFromJson(f));
  for (int fiber = 0; fiber < 3; ++fiber) {
    EXPECT_NE(page.find("class=\"lane\" data-fiber=\"" + std::to_string(fiber) + "\""),
              std::string::npos);
  }
  EXPECT_EQ(Count(page, "class=\"preempt\""), 1u);
  EXPECT_NE(page.find("deadlock at step 6"), std::string::npos);
  EXPECT_NE(page.find("blocked: waits on a condition variable"), std::string::npos);
  EXPECT_NE(page.find("read budget: took 4096 bytes"), std::string::npos);
}

TEST(ReportTest, CrashConcurrencyPageDrawsTheCutOnTheTimelineAndItsPages) {
  json f =
      Finding("crash-concurrency", "what survived the power cut is not what the history allows");
  f["harness"] = "chunk-writers";
  f["kind"] = "crash-consistency";
  f["token"] = "sx1:chunk-writers:-:A0,1|:1.0.0:sched1:0*3.1.2";
  f["steps"] = {"thread 0: Append(lane 0, 1 chunk)", "power cut at scheduling point 4"};
  f["timeline"] = {{"fibers", 3},
                   {"steps", 7},
                   {"crasher", 2},
                   {"points_dropped", 0},
                   {"points",
                    {{0, 0, "start", 0, false},
                     {1, 0, "join", 1, false},
                     {3, 1, "lock", 2, true},
                     {4, 2, "yield", 0, false},
                     {6, 0, "join", 0, false}}},
                   {"notes", json::array()},
                   {"failure", {{"kind", "crash-consistency"}, {"message", "lost"}}}};
  f["power_cut"] = {{"schedule_step", 4},
                    {"crasher", 2},
                    {"ops_before_cut", 1},
                    {"plan", "keeping pending pages 0 of 2"},
                    {"sectors_per_page", 8},
                    {"pages",
                     {{{"extent", 1}, {"offset", 0}, {"sectors_kept", 8}, {"torn_bytes", 0}},
                      {{"extent", 1}, {"offset", 4096}, {"sectors_kept", 0}, {"torn_bytes", 0}}}}};
  f["sizes"] = {{"found", {{"ops", 9}, {"preemptions", 5}, {"crash_step", 30}}},
                {"minimized", {{"ops", 1}, {"preemptions", 1}, {"crash_step", 4}}}};
  f["history"] = json::array(
      {{{"process", 0}, {"type", "invoke"}, {"f", "write"}, {"key", "l0"}}, {{"type", "crash"}}});
  const StatusOr<ReportInput> input = ReportInputFromJson(f);
  ASSERT_TRUE(input.ok()) << input.status().message();
  EXPECT_EQ(input->kind, ReportKind::kCrashConcurrency);
  const std::string page = RenderReport(*input);
  EXPECT_NE(page.find("data-kind=\"crash-concurrency\""), std::string::npos);
  EXPECT_NE(page.find("class=\"power-cut-mark\" data-step=\"4\""), std::string::npos);
  EXPECT_NE(page.find("fiber 2 (crasher)"), std::string::npos);
  EXPECT_NE(page.find("data-schedule-step=\"4\""), std::string::npos);
  EXPECT_EQ(Count(page, "class=\"page kept\""), 1u);
  EXPECT_EQ(Count(page, "class=\"page lost\""), 1u);
  EXPECT_NE(page.find("<tr data-size=\"minimized\"><td>minimized</td><td class=\"num\">1</td>"),
            std::string::npos);
  EXPECT_NE(page.find("Append(lane 0, 1 chunk)"), std::string::npos);
  EXPECT_NE(page.find("<svg class=\"history\""), std::string::npos);
}

// A history of `operations` writes and reads over 16 keys, one at a time, whose last read (of
// k0) sees k0's first value although later writes replaced it.
History LargeHistory(size_t operations) {
  History h;
  std::map<std::string, Value> last;
  for (size_t i = 0; i + 1 < operations; ++i) {
    const uint32_t process = static_cast<uint32_t>(i % 8);
    const std::string key = "k" + std::to_string(i % 16);
    const bool write = i % 3 != 2;
    const OpFunction f = write ? OpFunction::kWrite : OpFunction::kRead;
    if (write) last[key] = std::to_string(i);
    const Value value = write ? Value(std::to_string(i)) : last[key];
    h.push_back({process, EventType::kInvoke, f, key, write ? value : std::nullopt, {}, false});
    h.push_back({process, EventType::kOk, f, key, value, {}, false});
  }
  h.push_back({0, EventType::kInvoke, OpFunction::kRead, "k0", std::nullopt, {}, false});
  h.push_back({0, EventType::kOk, OpFunction::kRead, "k0", Value("0"), {}, false});
  return h;
}

TEST(ReportTest, LinearizePageOfTenThousandOperationsStaysUnderFiveMegabytes) {
  const History history = LargeHistory(10'000);
  const LinearizabilityReport report = CheckLinearizability(history, LinearizabilityModel::kKv);
  ASSERT_EQ(report.verdict, Verdict::kNotLinearizable);
  EXPECT_EQ(report.key, "k0");
  EXPECT_FALSE(report.longest_partial.empty());
  EXPECT_FALSE(report.unplaced.empty());
  json out = {{"suite", "linearize"},
              {"result", "violation"},
              {"model", "kv"},
              {"operations", report.operations},
              {"keys", report.keys},
              {"states", report.states},
              {"key", report.key},
              {"longest_partial", report.longest_partial},
              {"unplaced", report.unplaced},
              {"history", HistoryJson(history)}};
  const std::string page = RenderReport(*ReportInputFromJson(out));
  EXPECT_LT(page.size(), 5u << 20);
  EXPECT_EQ(Count(page, "<g class=\"op"), 10'000u);
  EXPECT_GE(Count(page, "class=\"op hl"), 10'000u / 16);
  EXPECT_GE(Count(page, " unplaced\""), 1u);
  EXPECT_NE(page.find("Longest partial linearization"), std::string::npos);
}

TEST(ReportTest, JUnitHasACasePerHarnessAndAFailurePerFinding) {
  SummaryRecord summary;
  summary.suite = "conformance";
  summary.build.commit = "abc";
  summary.harnesses["store"].sequences = 10;
  summary.harnesses["index"].sequences = 10;
  FindingRecord f;
  f.suite = "conformance";
  f.harness = "store";
  f.kind = "assertion";
  f.violation = "Get(<k>) returned \xff";
  f.replay = "shardcheck replay ss1:store:-:G1";
  f.gtest = "TEST(A, B) {}\n";
  const std::string xml = JUnitXml(summary, {f});
  EXPECT_EQ(Count(xml, "<testcase "), 2u);
  EXPECT_EQ(Count(xml, "<failure "), 1u);
  EXPECT_NE(xml.find("message=\"Get(&lt;k&gt;) returned \\xff\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("shardcheck replay ss1:store:-:G1"), std::string::npos);
  EXPECT_NE(xml.find("TEST(A, B)"), std::string::npos);
  EXPECT_NE(xml.find("<testsuites name=\"shardcheck\" tests=\"2\" failures=\"1\""),
            std::string::npos);
}

}  // namespace
}  // namespace shardstore::checker
