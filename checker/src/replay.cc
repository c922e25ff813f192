#include "shardstore/checker/replay.h"

namespace shardstore::checker {
namespace {

constexpr std::string_view kTokenVersion = "ss1";
constexpr std::string_view kExploreSuffix = "+explore";

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t begin = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == separator) {
      parts.push_back(text.substr(begin, i - begin));
      begin = i + 1;
    }
  }
  return parts;
}

}  // namespace

std::string EncodeToken(const Case& c) {
  std::string token = std::string(kTokenVersion) + ":" + std::string(HarnessName(c.harness)) +
                      (c.explore ? std::string(kExploreSuffix) : "") + ":";
  if (c.bug == seeded::Bug::kNone) {
    token += "-";
  } else {
    for (const seeded::BugInfo& info : seeded::AllBugs()) {
      if (info.bug == c.bug) token += info.name;
    }
  }
  token += ":";
  for (size_t i = 0; i < c.ops.size(); ++i) {
    if (i > 0) token += ".";
    token += Encode(c.ops[i]);
  }
  return token;
}

std::optional<Case> DecodeToken(std::string_view token) {
  const std::vector<std::string_view> fields = Split(token, ':');
  if (fields.size() != 4 || fields[0] != kTokenVersion) return std::nullopt;
  Case c;
  std::string_view harness_name = fields[1];
  if (harness_name.ends_with(kExploreSuffix)) {
    c.explore = true;
    harness_name.remove_suffix(kExploreSuffix.size());
  }
  const std::optional<HarnessKind> harness = ParseHarness(harness_name);
  if (!harness || (c.explore && *harness == HarnessKind::kIndex)) return std::nullopt;
  c.harness = *harness;
  if (fields[2] != "-") {
    const std::optional<seeded::BugInfo> bug = seeded::FindBug(fields[2]);
    if (!bug) return std::nullopt;
    c.bug = bug->bug;
  }
  if (!fields[3].empty()) {
    for (std::string_view piece : Split(fields[3], '.')) {
      const std::optional<Op> op = Decode(piece);
      if (!op || !InAlphabet(c.harness, op->kind)) return std::nullopt;
      c.ops.push_back(*op);
    }
  }
  return c;
}

std::string Outcome::Describe() const {
  std::string text;
  for (size_t i = 0; i < steps.size(); ++i) {
    text += "  " + std::to_string(i + 1) + ". " + steps[i] + "\n";
  }
  if (violation) {
    text += "violation";
    text += failed_step < steps.size() ? " at step " + std::to_string(failed_step + 1)
                                       : std::string(" at the end-of-sequence checks");
    text += ": " + *violation + "\n";
  }
  return text;
}

Outcome RunCase(const Case& c) {
  const seeded::Scope bug(c.bug);
  Outcome outcome;
  std::unique_ptr<Harness> harness =
      MakeHarness(c.harness, c.explore ? std::optional(CrashExploration{}) : std::nullopt);
  for (size_t i = 0; i < c.ops.size(); ++i) {
    std::optional<std::string> violation = harness->Run(c.ops[i]);
    std::string step = Show(c.ops[i]);
    if (!harness->note().empty()) step += "  → " + harness->note();
    outcome.steps.push_back(std::move(step));
    if (violation) {
      outcome.violation = std::move(violation);
      outcome.failed_step = i;
      return outcome;
    }
  }
  if (std::optional<std::string> violation = harness->Finish()) {
    outcome.violation = std::move(violation);
    outcome.failed_step = c.ops.size();
  }
  return outcome;
}

std::string GTestFor(const Case& c, std::string_view name, std::string_view violation) {
  const std::string_view harness = c.harness == HarnessKind::kStore   ? "kStore"
                                   : c.harness == HarnessKind::kIndex ? "kIndex"
                                                                      : "kChunkStore";
  std::string_view bug = "kNone";
  std::string text = "// " + EncodeToken(c) + "\n// Found: " + std::string(violation) + "\n";
  text += "TEST(ConformanceRegress, " + std::string(name) + ") {\n";
  text += "  using namespace shardstore::checker;\n";
  for (const seeded::BugInfo& info : seeded::AllBugs()) {
    if (info.bug != c.bug) continue;
    bug = info.symbol;
    text += "  // Fails while the seeded bug " + std::string(info.name) + " is on.\n";
  }
  text += "  const Case c{HarnessKind::" + std::string(harness) +
          ", shardstore::seeded::Bug::" + std::string(bug) + ", {\n";
  for (const Op& op : c.ops) text += "      " + ToCpp(op) + ",  // " + Show(op) + "\n";
  text += c.explore ? "  }, /*explore=*/true};\n" : "  }};\n";
  text += "  const Outcome outcome = RunCase(c);\n";
  text += "  EXPECT_TRUE(outcome.ok()) << outcome.Describe();\n";
  text += "}\n";
  return text;
}

}  // namespace shardstore::checker
