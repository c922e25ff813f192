#include "shardstore/checker/replay.h"

#include "shardstore/limits.h"

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

namespace {

// Why an op's arguments cannot be run, or nullopt.
std::optional<std::string> ArgumentError(const Op& op) {
  const bool keyed = op.kind == OpKind::kGet || op.kind == OpKind::kPut ||
                     op.kind == OpKind::kDelete || op.kind == OpKind::kAppend;
  if (keyed && op.key > kKeyBytesMax + 1) {
    return "key " + std::to_string(op.key) + " names a key longer than " +
           std::to_string(kKeyBytesMax + 1) + " bytes";
  }
  const bool sized = op.kind == OpKind::kPut || op.kind == OpKind::kFill;
  if (sized && op.size > kValueBytesMax) {
    return "a value of " + std::to_string(op.size) + " bytes is larger than " +
           std::to_string(kValueBytesMax);
  }
  if (op.kind == OpKind::kAppend && op.size > kChunkPayloadBytesMax) {
    return "a chunk of " + std::to_string(op.size) + " bytes is larger than " +
           std::to_string(kChunkPayloadBytesMax);
  }
  return std::nullopt;
}

}  // namespace

StatusOr<Case> ParseToken(std::string_view token) {
  auto bad = [](const std::string& why) { return Status::InvalidArgument(why); };
  const std::vector<std::string_view> fields = Split(token, ':');
  if (fields.size() != 4) {
    return bad("a replay token has four fields separated by ':' (version:harness:bug:ops), not " +
               std::to_string(fields.size()));
  }
  if (fields[0] != kTokenVersion) {
    return bad("unknown token version '" + std::string(fields[0]) + "' (this build reads " +
               std::string(kTokenVersion) + ")");
  }
  Case c;
  std::string_view harness_name = fields[1];
  if (harness_name.ends_with(kExploreSuffix)) {
    c.explore = true;
    harness_name.remove_suffix(kExploreSuffix.size());
  }
  const std::optional<HarnessKind> harness = ParseHarness(harness_name);
  if (!harness) {
    return bad("unknown harness '" + std::string(harness_name) + "' (store, index or chunk)");
  }
  if (c.explore && *harness == HarnessKind::kIndex) {
    return bad("the index harness has no crash explorer (+explore)");
  }
  c.harness = *harness;
  if (fields[2] != "-") {
    const std::optional<seeded::BugInfo> bug = seeded::FindBug(fields[2]);
    if (!bug) {
      return bad("unknown seeded bug '" + std::string(fields[2]) + "' (see `shardcheck bugs`)");
    }
    c.bug = bug->bug;
  }
  if (!fields[3].empty()) {
    size_t index = 0;
    for (std::string_view piece : Split(fields[3], '.')) {
      ++index;
      const std::string where = "op " + std::to_string(index) + " '" + std::string(piece) + "'";
      const std::optional<Op> op = Decode(piece);
      if (!op) {
        return bad(where +
                   " is not an op: a letter and its arguments, comma-separated numbers, "
                   "as printed (e.g. P1,4097,7)");
      }
      if (!InAlphabet(c.harness, op->kind)) {
        return bad(where + ": " + std::string(OpKindName(op->kind)) + " is not in the " +
                   std::string(HarnessName(c.harness)) + " harness's alphabet");
      }
      if (const std::optional<std::string> error = ArgumentError(*op)) {
        return bad(where + ": " + *error);
      }
      c.ops.push_back(*op);
    }
  }
  return c;
}

std::optional<Case> DecodeToken(std::string_view token) {
  StatusOr<Case> c = ParseToken(token);
  if (!c.ok()) return std::nullopt;
  return std::move(c).value();
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
  auto note_power_cut = [&](size_t step) {
    if (harness->mem_disk() == nullptr) return;
    const uint64_t cuts = harness->mem_disk()->power_cuts();
    if (cuts == 0 || (outcome.power_cut && outcome.power_cut->number == cuts)) return;
    outcome.power_cut = harness->mem_disk()->last_power_cut();
    outcome.power_cut_step = step;
  };
  for (size_t i = 0; i < c.ops.size(); ++i) {
    std::optional<std::string> violation = harness->Run(c.ops[i]);
    std::string step = Show(c.ops[i]);
    if (!harness->note().empty()) step += "  → " + harness->note();
    outcome.steps.push_back(std::move(step));
    outcome.results.emplace_back(harness->engine_result(), harness->model_result());
    note_power_cut(i);
    if (violation) {
      outcome.violation = std::move(violation);
      outcome.failed_step = i;
      return outcome;
    }
  }
  std::optional<std::string> violation = harness->Finish();
  note_power_cut(c.ops.size());
  if (violation) {
    outcome.results.emplace_back(harness->engine_result(), harness->model_result());
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

void AddReplayDetail(const Outcome& replayed, FindingRecord* f) {
  if (replayed.ok()) return;
  f->failed_step = static_cast<int64_t>(replayed.failed_step);
  f->step_results = nlohmann::json::array();
  for (const auto& [engine, model] : replayed.results) f->step_results.push_back({engine, model});
  if (!replayed.power_cut) return;
  const MemDisk::PowerCut& cut = *replayed.power_cut;
  nlohmann::json pages = nlohmann::json::array();
  for (size_t i = 0; i < cut.pages.size(); ++i) {
    pages.push_back({{"extent", cut.pages[i].extent},
                     {"offset", cut.pages[i].offset},
                     {"sectors_kept", cut.kept[i]},
                     {"torn_bytes", i + 1 == cut.torn_page ? cut.torn_bytes : 0}});
  }
  f->power_cut = {{"step", replayed.power_cut_step},
                  {"sectors_per_page", MemDisk::kPageWhole},
                  {"pages", pages}};
}

FindingRecord ReplayFinding(const Case& c, const Outcome& replayed, std::string_view token) {
  FindingRecord f;
  const bool crash = c.explore || replayed.power_cut.has_value();
  f.suite = crash ? "crash" : "conformance";
  f.harness = std::string(HarnessName(c.harness));
  f.kind = crash ? "crash-consistency" : "assertion";
  f.violation = replayed.violation.value_or("");
  f.bug = std::string(seeded::BugName(c.bug));
  f.build = ThisBuild();
  f.token = std::string(token);
  f.replay = "shardcheck replay " + f.token;
  f.strategy = "replay";
  f.steps = replayed.steps;
  f.found_length = f.minimized_length = c.ops.size();
  f.gtest = GTestFor(c, "Replay", f.violation);
  for (const Op& op : c.ops) {
    f.shape += (f.shape.empty() ? "" : ".") + std::string(OpKindName(op.kind));
  }
  f.signature = FindingSignature(f);
  AddReplayDetail(replayed, &f);
  return f;
}

}  // namespace shardstore::checker
