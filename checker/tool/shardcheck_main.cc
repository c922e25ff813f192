// shardcheck: the checkers' command line.
//
//   shardcheck conformance|crash|concurrency|crash-concurrency
//              [--iterations N] [--seed S] [--bug NAME] [--keep-going] [--harness H]
//              [--time-budget 10m] [--shard I/N] [--shards N] [--results DIR] [--jobs N]
//              [--sequence I] [--determinism-check-every K] [--json]
//              [--report FILE.html] [--junit FILE.xml] [--coverage]
//     conformance, crash: [--max-ops N] [--swarm on|off] [--minimize on|off]
//     concurrency: [--strategy portfolio|random|pct|dfs|ipb|delay] [--depth D]
//                  [--schedule SCHED --program-seed P] [--stop-at-first]
//     crash-concurrency: [--strategy portfolio|random|pct|dfs] [--depth D] [--minimize on|off]
//                        (harnesses clients, reclaim-compact, chunk-writers)
//   shardcheck merge DIR|FILE... [--allow-mixed-commits] [--json] [--report F] [--junit F]
//   shardcheck report FILE -o report.html
//   shardcheck replay TOKEN [--json] [--report FILE.html] [--junit FILE.xml]
//   shardcheck bugs [--json]
//   shardcheck linearize FILE --model register|kv [--lenient] [--time-budget 60s]
//                        [--states-max N] [--memory-mib M] [--json] [--report FILE.html]
//
// A suite's run is one shard of a campaign (docs/running-a-campaign.md): a function of (seed,
// shard, commit). merge exits 0 clean, 1 findings, 2 bad input.
// Exit status: 0 no violation, 1 a violation (minimized case, replay token and GoogleTest
// printed), 2 bad usage or unreadable input, 3 (linearize) unknown: a budget ran out. With --json
// the last thing on stdout is one JSON object and the readable report goes to stderr.
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <utility>

#include "shardstore/assert.h"
#include "shardstore/checker/campaign.h"
#include "shardstore/checker/campaign_report.h"
#include "shardstore/checker/concurrency_suite.h"
#include "shardstore/checker/conformance.h"
#include "shardstore/checker/crash_concurrency_check.h"
#include "shardstore/checker/crash_concurrency_suite.h"
#include "shardstore/checker/jobs.h"
#include "shardstore/checker/linearizability.h"
#include "shardstore/checker/merge.h"
#include "shardstore/checker/report.h"
#include "shardstore/checker/run_output.h"
#include "shardstore/sim/seeded_bug.h"

namespace shardstore::checker {
namespace {

using nlohmann::json;

constexpr int kExitViolation = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnknown = 3;  // linearize: a budget ran out before a verdict

json OutcomeJson(const Outcome& outcome) {
  return json{{"steps", outcome.steps},
              {"violation", outcome.violation ? json(*outcome.violation) : json(nullptr)}};
}

int ParseBug(const std::string& name, seeded::Bug* bug) {
  if (name.empty()) return 0;
  const std::optional<seeded::BugInfo> info = seeded::FindBug(name);
  if (!info) {
    std::cerr << "shardcheck: unknown seeded bug '" << name << "' (see `shardcheck bugs`)\n";
    return kExitUsage;
  }
  if (!seeded::CompiledIn()) {
    std::cerr << "shardcheck: this build has no seeded bugs; configure with "
                 "-DSHARDSTORE_SEEDED_BUGS=ON (the debug and release presets do)\n";
    return kExitUsage;
  }
  *bug = info->bug;
  return 0;
}

// Prints what a library suite returned: the report (stderr with --json), the JSON last.
int Print(const SuiteOutput& out, bool as_json) {
  (as_json || out.exit_code == kExitUsage ? std::cerr : std::cout) << out.human;
  if (as_json && !out.json.empty()) std::cout << out.json << std::endl;
  return out.exit_code;
}

// A replayed case as a one-sequence run of its suite: the finding (if it failed) drawn as the
// HTML report and the JUnit XML.
Status WriteReplayFiles(const RunFiles& files, const Case& c, const Outcome& outcome,
                        const std::string& token) {
  if (files.report_path.empty() && files.junit_path.empty()) return Status::Ok();
  std::vector<FindingRecord> findings;
  if (!outcome.ok()) findings.push_back(ReplayFinding(c, outcome, token));
  SummaryRecord summary;
  summary.suite = findings.empty() ? (c.explore ? "crash" : "conformance") : findings[0].suite;
  summary.bug = std::string(seeded::BugName(c.bug));
  summary.build = ThisBuild();
  summary.iterations = 1;
  summary.stopped_by = findings.empty() ? "iterations" : "finding";
  summary.findings = findings.size();
  HarnessTotals& totals = summary.harnesses[std::string(HarnessName(c.harness))];
  totals.sequences = 1;
  totals.ops = c.ops.size();
  totals.findings = findings.size();
  return WriteRunFiles(files, RunDocument(summary, findings), summary, findings);
}

int Replay(const std::string& token, bool as_json, const RunFiles& files) {
  if (std::string_view(token).starts_with(kJointTokenPrefix)) {
    return Print(ReplayCrashConcurrency(token, as_json, files), as_json);
  }
  const StatusOr<Case> c = ParseToken(token);
  if (!c.ok()) {
    std::cerr << "shardcheck: not a valid replay token: " << c.status().message() << "\n";
    return kExitUsage;
  }
  if (c->bug != seeded::Bug::kNone && !seeded::CompiledIn()) {
    std::cerr << "shardcheck: the token needs seeded bug " << seeded::BugName(c->bug)
              << ", which this build lacks; configure with -DSHARDSTORE_SEEDED_BUGS=ON\n";
    return kExitUsage;
  }
  const Outcome outcome = RunCase(*c);
  if (const Status written = WriteReplayFiles(files, *c, outcome, token); !written.ok()) {
    std::cerr << "shardcheck: " << written.message() << "\n";
    return kExitUsage;
  }
  std::ostream& human = as_json ? std::cerr : std::cout;
  human << "replay[" << HarnessName(c->harness) << "]"
        << (c->bug == seeded::Bug::kNone
                ? ""
                : " with seeded bug " + std::string(seeded::BugName(c->bug)))
        << ", " << c->ops.size() << " ops:\n"
        << outcome.Describe() << (outcome.ok() ? "no violation\n" : "");
  if (!files.report_path.empty()) human << "report: " << files.report_path << "\n";
  if (!files.junit_path.empty()) human << "junit: " << files.junit_path << "\n";
  if (as_json) {
    json out = OutcomeJson(outcome);
    out["suite"] = "replay";
    out["result"] = outcome.ok() ? "pass" : "violation";
    out["harness"] = HarnessName(c->harness);
    out["replay"] = "shardcheck replay " + token;
    out["shrunk_ops"] = c->ops.size();
    std::cout << out.dump() << std::endl;
  }
  return outcome.ok() ? 0 : kExitViolation;
}

// "90", "90s", "10m", "2h": seconds; nullopt when malformed.
std::optional<double> ParseDuration(const std::string& text) {
  double value = 0;
  size_t used = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const std::string unit = text.substr(used);
  const double scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : 0;
  if (scale == 0 || !(value > 0)) return std::nullopt;
  return value * scale;
}

// The flags every suite takes.
struct SuiteArgs {
  std::string suite;
  uint64_t iterations = 1000;  // per harness, over every shard
  uint64_t seed = 1;
  std::string bug;
  std::string harness = "all";
  int max_ops = 50;  // conformance and crash
  std::string time_budget;
  std::string shard;    // I/N
  uint32_t shards = 0;  // the count, where the batch engine gives only an index
  std::string results;  // a folder
  std::optional<uint64_t> sequence;
  std::optional<uint32_t> jobs;
  uint32_t determinism_check_every = 20;
  std::string swarm = "off";    // conformance and crash: on or off (docs/running-a-campaign.md)
  std::string minimize = "on";  // conformance, crash and crash-concurrency
  bool as_json = false;
  RunFiles files;  // --report, --junit
  bool full_coverage = false;
  // concurrency and crash-concurrency
  std::string strategy = "portfolio";
  uint32_t depth = 3;
  std::string schedule;
  std::optional<uint64_t> program_seed;
  bool stop_at_first = false;
  bool keep_going = false;
};

// A systematic search or a replay: the flags resolved, the run in concurrency_suite.h.
int ConcurrencyWhole(const SuiteArgs& args) {
  ConcurrencySuiteArgs run;
  if (int rc = ParseBug(args.bug, &run.bug)) return rc;
  if (!args.time_budget.empty()) {
    const std::optional<double> budget = ParseDuration(args.time_budget);
    if (!budget) {
      std::cerr << "shardcheck: --time-budget takes a positive duration (90, 90s, 10m, 2h), not '"
                << args.time_budget << "'\n";
      return kExitUsage;
    }
    run.time_budget_seconds = *budget;
  }
  run.iterations = args.iterations;
  run.seed = args.seed;
  run.harness = args.harness;
  run.strategy = args.strategy;
  run.depth = args.depth;
  run.schedule = args.schedule;
  run.program_seed = args.program_seed;
  run.stop_at_first = args.stop_at_first;
  run.as_json = args.as_json;
  ConcurrencySuiteResult result = RunConcurrencySuite(run);
  if (result.output.exit_code != kExitUsage) {
    // The same records as the campaign path: --report and --junit draw them.
    if (const Status written =
            WriteRunFiles(args.files, result.document, result.summary, result.findings);
        !written.ok()) {
      std::cerr << "shardcheck: " << written.message() << "\n";
      return kExitUsage;
    }
    if (!args.files.report_path.empty()) {
      result.output.human += "report: " + args.files.report_path + "\n";
    }
    if (!args.files.junit_path.empty()) {
      result.output.human += "junit: " + args.files.junit_path + "\n";
    }
    if (!args.results.empty()) {
      // One shard of one: `merge` reads it beside the sharded strategies' files.
      StatusOr<ResultsWriter> writer =
          ResultsWriter::Open(args.results, "concurrency", Shard{}, args.seed);
      Status written = writer.ok() ? Status::Ok() : writer.status();
      for (const FindingRecord& f : result.findings) {
        if (written.ok()) written = writer->Write(f);
      }
      if (written.ok()) written = writer->Close(result.summary);
      if (!written.ok()) {
        std::cerr << "shardcheck: " << written.message() << "\n";
        return kExitUsage;
      }
      result.output.human += "results: " + writer->path() + "\n";
    }
  }
  return Print(result.output, args.as_json);
}

int Merge(const std::vector<std::string>& paths, bool allow_mixed_commits, bool as_json,
          const RunFiles& files = {}) {
  const MergeReport report = MergeResults(paths, {.allow_mixed_commits = allow_mixed_commits});
  if (const Status written = WriteMergeFiles(files, report); !written.ok()) {
    std::cerr << "shardcheck: " << written.message() << "\n";
    return kExitUsage;
  }
  if (as_json) {
    std::cerr << DescribeMerge(report);
    std::cout << MergeJson(report).dump() << std::endl;
  } else {
    std::cout << DescribeMerge(report);
  }
  if (!report.ok()) return kExitUsage;
  return report.findings.empty() ? 0 : kExitViolation;
}

// The arguments a shard process of `--jobs` gets: this run's, less --jobs, --shard, --results.
std::vector<std::string> ShardArguments(const SuiteArgs& args) {
  std::vector<std::string> out = {args.suite,
                                  "--seed",
                                  std::to_string(args.seed),
                                  "--harness",
                                  args.harness,
                                  "--determinism-check-every",
                                  std::to_string(args.determinism_check_every)};
  auto add = [&](const char* flag, const std::string& value) {
    out.push_back(flag);
    out.push_back(value);
  };
  // 0: a time budget alone (each shard then takes no --iterations either).
  if (args.iterations != 0) add("--iterations", std::to_string(args.iterations));
  if (!args.bug.empty()) add("--bug", args.bug);
  if (args.keep_going) out.push_back("--keep-going");
  if (!args.time_budget.empty()) add("--time-budget", args.time_budget);
  if (args.suite == "concurrency") {
    add("--strategy", args.strategy);
    add("--depth", std::to_string(args.depth));
    if (args.stop_at_first) out.push_back("--stop-at-first");
  } else if (args.suite == "crash-concurrency") {
    add("--strategy", args.strategy);
    add("--depth", std::to_string(args.depth));
    add("--minimize", args.minimize);
  } else {
    add("--max-ops", std::to_string(args.max_ops));
    add("--swarm", args.swarm);
    add("--minimize", args.minimize);
  }
  return out;
}

int RunJobsAndMerge(const SuiteArgs& args, const CampaignOptions& options) {
  std::string dir = args.results;
  std::optional<std::filesystem::path> temporary;
  if (dir.empty()) {
    char pattern[] = "/tmp/shardcheck-jobs-XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
      std::cerr << "shardcheck: cannot make a folder for the shards' results: "
                << std::strerror(errno) << "\n";
      return kExitUsage;
    }
    dir = pattern;
    temporary = dir;
  }
  JobsOptions jobs;
  jobs.executable = "/proc/self/exe";
  jobs.arguments = ShardArguments(args);
  jobs.suite = args.suite;
  jobs.jobs = *args.jobs;
  jobs.results_dir = dir;
  jobs.progress = isatty(STDERR_FILENO) != 0;
  jobs.expected = options.iterations * options.harnesses.size();
  jobs.time_budget_seconds = options.time_budget_seconds;
  const JobsResult result = RunJobs(jobs);
  if (!result.error.empty()) {
    std::cerr << "shardcheck: " << result.error << "\n";
    return kExitUsage;
  }
  std::vector<std::string> files;
  int rc = 0;
  for (uint32_t i = 0; i < jobs.jobs; ++i) {
    const Shard shard{i, jobs.jobs, "--jobs"};
    files.push_back((std::filesystem::path(dir) / ResultsFileName(args.suite, shard)).string());
    if (result.exit_codes[i] > kExitViolation) {
      std::cerr << "shardcheck: shard " << shard.ToString() << " exited " << result.exit_codes[i]
                << "; its log: " << files.back().substr(0, files.back().size() - 6) << ".log\n";
      rc = kExitUsage;
    }
  }
  const int merged = Merge(files, false, args.as_json, args.files);
  if (temporary) {
    std::error_code ignored;
    std::filesystem::remove_all(*temporary, ignored);
  } else {
    std::cerr << "results: " << dir << "\n";
  }
  return rc != 0 ? rc : merged;
}

// Every suite: one shard (or, with --jobs, every shard on this machine).
int RunSuite(SuiteArgs args, bool iterations_given) {
  const Suite suite = *ParseSuite(args.suite);
  CampaignOptions options;
  options.suite = suite;
  options.seed = args.seed;
  if (int rc = ParseBug(args.bug, &options.bug)) return rc;
  const std::optional<std::vector<std::string>> harnesses = SuiteHarnesses(suite, args.harness);
  if (!harnesses) {
    std::cerr << "shardcheck: unknown harness '" << args.harness << "' ("
              << SuiteHarnessChoices(suite) << ")\n";
    return kExitUsage;
  }
  options.harnesses = *harnesses;
  if (!args.time_budget.empty()) {
    const std::optional<double> budget = ParseDuration(args.time_budget);
    if (!budget) {
      std::cerr << "shardcheck: --time-budget takes a positive duration (90, 90s, 10m, 2h), not '"
                << args.time_budget << "'\n";
      return kExitUsage;
    }
    options.time_budget_seconds = *budget;
    if (!iterations_given) args.iterations = 0;  // the budget alone decides
  }
  options.iterations = args.iterations;
  options.max_ops = args.max_ops;
  options.sequence = args.sequence;
  options.determinism_check_every = args.determinism_check_every;
  if (args.swarm != "on" && args.swarm != "off") {
    std::cerr << "shardcheck: --swarm takes on or off, not '" << args.swarm << "'\n";
    return kExitUsage;
  }
  options.swarm = args.swarm == "on" && !IsScheduledSuite(args.suite);
  if (args.minimize != "on" && args.minimize != "off") {
    std::cerr << "shardcheck: --minimize takes on or off, not '" << args.minimize << "'\n";
    return kExitUsage;
  }
  options.minimize = args.minimize == "on";
  options.strategy = args.strategy;
  options.depth = args.depth;
  options.stop_at_first = args.stop_at_first;
  options.keep_going = args.keep_going;
  const ShardOrError shard = ResolveShard(args.shard, args.shards, [](const char* name) {
    return static_cast<const char*>(std::getenv(name));
  });
  if (!shard.shard) {
    std::cerr << "shardcheck: " << shard.error << "\n";
    return kExitUsage;
  }
  options.shard = *shard.shard;
  if (suite == Suite::kConcurrency) {
    const std::string& strategy = args.strategy;
    const bool whole =
        !args.schedule.empty() || strategy == "dfs" || strategy == "ipb" || strategy == "delay";
    if (whole) {
      // A systematic search (or a replay) covers one program whole: nothing to cut in shards.
      if (options.shard.count > 1 || args.jobs || args.sequence) {
        std::cerr << "shardcheck: --strategy " << strategy
                  << (args.schedule.empty() ? "" : " with --schedule")
                  << " searches one program whole; it takes no --shard, --jobs or --sequence "
                     "(random, pct and portfolio do)\n";
        return kExitUsage;
      }
      return ConcurrencyWhole(args);
    }
    if (strategy != "portfolio" && strategy != "random" && strategy != "pct") {
      std::cerr << "shardcheck: unknown strategy '" << strategy
                << "' (portfolio, random, pct, dfs, ipb or delay)\n";
      return kExitUsage;
    }
  }
  if (suite == Suite::kCrashConcurrency) {
    if (!IsJointStrategy(args.strategy)) {
      std::cerr << "shardcheck: unknown strategy '" << args.strategy
                << "' (portfolio, random, pct or dfs)\n";
      return kExitUsage;
    }
    if (args.strategy == "dfs" &&
        (options.shard.count > 1 || args.jobs || args.sequence || args.keep_going)) {
      std::cerr << "shardcheck: --strategy dfs searches the seed's program whole; it takes no "
                   "--shard, --jobs, --sequence or --keep-going (random, pct and portfolio do)\n";
      return kExitUsage;
    }
  }
  if (args.jobs) {
    if (!args.shard.empty() || options.shard.count > 1 || args.sequence) {
      std::cerr << "shardcheck: --jobs runs the shards itself; it takes no --shard or --sequence "
                   "(and no batch-engine array index)\n";
      return kExitUsage;
    }
    if (*args.jobs == 0) args.jobs = AvailableCores();
    return RunJobsAndMerge(args, options);
  }
  std::optional<ResultsWriter> writer;
  if (!args.results.empty()) {
    StatusOr<ResultsWriter> opened =
        ResultsWriter::Open(args.results, args.suite, options.shard, options.seed);
    if (!opened.ok()) {
      std::cerr << "shardcheck: " << opened.status().message() << "\n";
      return kExitUsage;
    }
    writer.emplace(std::move(*opened));
  }
  std::ostream& human = args.as_json ? std::cerr : std::cout;
  const bool terminal = isatty(STDERR_FILENO) != 0;
  options.on_progress = [&](uint64_t done) {
    ReportProgress(done);
    if (terminal && done % 25 == 0) {
      std::fprintf(stderr, "\r%s shard %s: %llu done", args.suite.c_str(),
                   options.shard.ToString().c_str(), static_cast<unsigned long long>(done));
    }
  };
  bool write_failed = false;
  const CampaignReport report = RunCampaign(options, [&](const FindingRecord& finding) {
    if (writer && !writer->Write(finding).ok()) write_failed = true;
  });
  if (terminal) std::fprintf(stderr, "\r\033[K");
  uint64_t done = 0;
  for (const auto& [name, totals] : report.summary.harnesses) done += totals.sequences;
  ReportProgress(done, /*final=*/true);
  PrintSummary(human, report.summary, args.full_coverage);
  if (!report.error.empty()) human << "  " << report.error << "\n";
  if (const Status written =
          WriteRunFiles(args.files, CampaignJson(report), report.summary, report.findings);
      !written.ok()) {
    std::cerr << "shardcheck: " << written.message() << "\n";
    return kExitUsage;
  }
  for (const FindingRecord& f : report.findings) PrintFinding(human, f, args.files.report_path);
  if (writer) {
    const Status closed = writer->Close(report.summary);
    if (write_failed || !closed.ok()) {
      std::cerr << "shardcheck: " << (closed.ok() ? "a finding was not written" : closed.message())
                << "\n";
      return kExitUsage;
    }
  }
  if (args.as_json) std::cout << CampaignJson(report).dump() << std::endl;
  if (!report.findings.empty()) return kExitViolation;
  return report.error.empty() ? 0 : kExitUsage;
}

struct LinearizeArgs {
  std::string path;
  std::string model = "kv";
  bool lenient = false;  // ignore (and name) unknown fields instead of refusing them
  std::string time_budget = "60s";
  uint64_t states_max = 0;     // 0: none
  uint64_t memory_mib = 2048;  // the search cache's budget
  bool as_json = false;
  std::string report_path;  // --report
};

// Exit 0: linearizable; 1: not (the key and a minimal non-linearizable sub-history printed);
// 2: the file cannot be read or parsed, or bad usage; 3: unknown (a budget ran out first).
int Linearize(const LinearizeArgs& args) {
  const std::optional<LinearizabilityModel> model = ParseLinearizabilityModel(args.model);
  if (!model) {
    std::cerr << "shardcheck: unknown model '" << args.model << "' (register or kv)\n";
    return kExitUsage;
  }
  const std::optional<double> seconds_max = ParseDuration(args.time_budget);
  if (!seconds_max) {
    std::cerr << "shardcheck: --time-budget takes a positive duration (90, 90s, 10m, 2h), not '"
              << args.time_budget << "'\n";
    return kExitUsage;
  }
  struct stat st {};
  if (::stat(args.path.c_str(), &st) != 0) {
    std::cerr << "shardcheck: cannot read " << args.path << ": " << std::strerror(errno) << "\n";
    return kExitUsage;
  }
  if (!S_ISREG(st.st_mode)) {
    std::cerr << "shardcheck: " << args.path << " is not a regular file (a history is a file of "
              << "JSON lines)\n";
    return kExitUsage;
  }
  std::ifstream in(args.path);
  if (!in) {
    std::cerr << "shardcheck: cannot read " << args.path << ": " << std::strerror(errno) << "\n";
    return kExitUsage;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> ignored;
  StatusOr<History> history =
      // Keys and values are arbitrary bytes: those that are not UTF-8 are carried as stand-ins.
      ParseHistory(ToValidUtf8(text.str()), {.strict = !args.lenient, .ignored_fields = &ignored});
  if (!history.ok()) {
    std::cerr << "shardcheck: " << args.path << ": " << history.status().message()
              << (args.lenient ? "" : " (--lenient ignores unknown fields)") << "\n";
    return kExitUsage;
  }
  for (const std::string& field : ignored) {
    std::cerr << "shardcheck: warning: ignored the unknown field \"" << field << "\"\n";
  }
  if (history->empty()) {
    std::cerr << "shardcheck: " << args.path << " holds no events\n";
    return kExitUsage;
  }
  LinearizabilityOptions options;
  options.seconds_max = *seconds_max;
  options.states_max = args.states_max;
  options.cache_entries_max = args.memory_mib * (1 << 20) / 48;  // about 48 bytes an entry
  const bool terminal = isatty(STDERR_FILENO) != 0;
  if (terminal) {
    options.progress = [](uint64_t states, const std::string& key) {
      std::cerr << "\rlinearize: " << states << " states, key " << key.substr(0, 40) << "   "
                << std::flush;
    };
  }
  const auto start = std::chrono::steady_clock::now();
  const LinearizabilityReport report = CheckLinearizability(*history, *model, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (terminal) std::cerr << "\r\033[K";
  std::ostream& human = args.as_json ? std::cerr : std::cout;
  const char* verdict = report.verdict == Verdict::kLinearizable      ? "linearizable"
                        : report.verdict == Verdict::kNotLinearizable ? "NOT linearizable"
                                                                      : "unknown";
  human << "linearize[" << args.model << "]: " << report.operations << " operations on "
        << report.keys << (report.keys == 1 ? " key" : " keys") << ", " << report.states
        << " search states in " << seconds << " s: " << verdict;
  if (report.verdict == Verdict::kUnknown) {
    human << ": " << report.unknown_reason << " on key " << report.key
          << " (raise --time-budget, --states-max or --memory-mib)";
  }
  human << "\n";
  if (report.verdict == Verdict::kNotLinearizable) {
    human << "key " << report.key << ": a minimal non-linearizable sub-history ("
          << report.minimal.size() << " events):\n"
          << FormatHistory(report.minimal);
  }
  if (args.as_json || !args.report_path.empty()) {
    json out{{"suite", "linearize"},
             {"result", report.verdict == Verdict::kLinearizable      ? "pass"
                        : report.verdict == Verdict::kNotLinearizable ? "violation"
                                                                      : "unknown"},
             {"model", args.model},
             {"operations", report.operations},
             {"keys", report.keys},
             {"states", report.states},
             {"seconds", seconds}};
    if (report.verdict == Verdict::kNotLinearizable) {
      json minimal = json::array();
      std::istringstream lines(FormatHistory(report.minimal));
      for (std::string line; std::getline(lines, line);) minimal.push_back(json::parse(line));
      out["key"] = report.key;
      out["minimal"] = minimal;
      out["minimal_positions"] = report.minimal_positions;
      out["longest_partial"] = report.longest_partial;
      out["unplaced"] = report.unplaced;
      out["history"] = HistoryJson(*history);
    } else if (report.verdict == Verdict::kUnknown) {
      out["key"] = report.key;
      out["reason"] = report.unknown_reason;
    }
    out["commit"] = ThisBuild().commit;
    if (!args.report_path.empty()) {
      const Status written = WriteTextFile(args.report_path,
                                           RenderReport(*ReportInputFromJson(out)));
      if (!written.ok()) {
        std::cerr << "shardcheck: " << written.message() << "\n";
        return kExitUsage;
      }
      human << "report: " << args.report_path << "\n";
    }
    if (args.as_json) std::cout << out.dump() << std::endl;
  }
  return report.verdict == Verdict::kLinearizable      ? 0
         : report.verdict == Verdict::kNotLinearizable ? kExitViolation
                                                       : kExitUnknown;
}

// Exit 0: written; 2: the input is not checker output, or a file cannot be read or written.
int Report(const std::string& in, const std::string& out) {
  StatusOr<ReportInput> input = ReadReportInput(in);
  Status status = input.ok() ? WriteTextFile(out, RenderReport(*input)) : input.status();
  if (!status.ok()) {
    std::cerr << "shardcheck: " << status.message() << "\n";
    return kExitUsage;
  }
  std::cout << "report: " << out << " (" << ReportKindName(input->kind) << ")\n";
  return 0;
}

int Bugs(bool as_json) {
  json list = json::array();
  for (const seeded::BugInfo& info : seeded::AllBugs()) {
    if (as_json) {
      list.push_back({{"name", info.name},
                      {"class", seeded::BugClassName(info.bug_class)},
                      {"description", info.description}});
    } else {
      std::cout << info.name << "  " << seeded::BugClassName(info.bug_class) << "  "
                << info.description << "\n";
    }
  }
  if (as_json) {
    std::cout << json{{"compiled_in", seeded::CompiledIn()}, {"bugs", list}}.dump() << std::endl;
  } else if (!seeded::CompiledIn()) {
    std::cerr << "(this build has none compiled in: configure with -DSHARDSTORE_SEEDED_BUGS=ON)\n";
  }
  return 0;
}

int Main(int argc, char** argv) {
  SetAssertMode(AssertMode::kThrow);  // an engine assertion becomes a violation to shrink
  CLI::App app{"shardcheck: the shardstore checkers"};
  app.require_subcommand(1);

  bool as_json = false;
  // conformance, crash and concurrency share their campaign flags.
  SuiteArgs sargs;
  auto add_suite = [&](const char* name, const char* help, const char* harnesses) {
    CLI::App* sub = app.add_subcommand(name, help);
    sub->add_option("--iterations", sargs.iterations,
                    "sequences (concurrency: schedules) per harness, over every shard")
        ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
    sub->add_option("--seed,--campaign-seed", sargs.seed,
                    "the campaign seed: a run is a function of (seed, shard, commit)");
    sub->add_option("--bug", sargs.bug, "turn on a seeded bug (see `shardcheck bugs`)");
    sub->add_option("--harness", sargs.harness, harnesses);
    sub->add_option("--time-budget", sargs.time_budget,
                    "stop once this much time is spent (90s, 10m, 2h); alone, no iteration limit");
    sub->add_option("--shard", sargs.shard,
                    "run shard I of N (I/N); else from SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX "
                    "or AWS_BATCH_JOB_ARRAY_INDEX");
    sub->add_option("--shards", sargs.shards,
                    "the shard count where the batch engine gives only an index "
                    "(also SHARDCHECK_SHARDS)")
        ->check(CLI::Range(1u, kShardsMax));
    sub->add_option("--results", sargs.results,
                    "write this shard's findings and summary to DIR/<suite>-shard-I-of-N.jsonl");
    sub->add_option("--jobs", sargs.jobs,
                    "run N shard processes here and merge them (0: one per core)")
        ->check(CLI::Range(0u, 1024u));
    sub->add_option("--sequence", sargs.sequence, "run only this sequence of each harness");
    sub->add_option("--determinism-check-every", sargs.determinism_check_every,
                    "run one sequence in this many twice and compare their traces (0: never)");
    sub->add_flag("--keep-going", sargs.keep_going,
                  "go on past findings (each kind minimized once per shard; the rest counted)");
    sub->add_flag("--json", sargs.as_json, "one JSON object on stdout, last");
    sub->add_option("--report", sargs.files.report_path,
                    "write the run as one self-contained HTML page (shardcheck report)");
    sub->add_option("--junit", sargs.files.junit_path,
                    "write JUnit XML: a test case per harness, a failure per finding");
    sub->add_flag("--coverage", sargs.full_coverage,
                  "print every coverage counter (default: the summary and the blind spots)");
    return sub;
  };
  CLI::App* conformance =
      add_suite("conformance", "random op sequences against the reference models",
                "store, index, chunk or all");
  conformance->add_option("--max-ops", sargs.max_ops, "longest sequence")
      ->check(CLI::Range(1, 10000));
  conformance->add_option("--minimize", sargs.minimize,
                          "off: report a failure as found, unshrunk (time-to-find benchmarks)");
  conformance->add_option("--swarm", sargs.swarm,
                          "on: each block of sequences draws a random subset of the ops");

  std::string token;
  CLI::App* replay = app.add_subcommand("replay", "rerun one case from its replay token");
  replay->add_option("token", token, "as printed by a failing run")->required();
  replay->add_flag("--json", as_json, "one JSON object on stdout, last");
  RunFiles replay_files;
  replay->add_option("--report", replay_files.report_path,
                     "write the case (its finding, if it fails) as an HTML page");
  replay->add_option("--junit", replay_files.junit_path, "write JUnit XML: one test case");

  CLI::App* crash =
      add_suite("crash", "the crash explorer: every disk flush of every sequence is a crash point",
                "chunk, store or all");
  crash->add_option("--max-ops", sargs.max_ops, "longest sequence")->check(CLI::Range(1, 10000));
  crash->add_option("--minimize", sargs.minimize,
                    "off: report a failure as found, unshrunk (time-to-find benchmarks)");
  crash->add_option("--swarm", sargs.swarm,
                    "on: each block of sequences draws a random subset of the ops");

  SuiteArgs& cargs = sargs;
  CLI::App* concurrency = add_suite(
      "concurrency", "the store under the deterministic scheduler, checked for linearizability",
      "clients, reclaim-compact, list-delete, readers-reset, durable-flush, chunk-flush or all");
  concurrency->add_option("--strategy", cargs.strategy,
                          "portfolio (random and pct at depths 1-3 in turn), random, pct, dfs, "
                          "ipb (dfs with bound 0, 1, ... depth) or delay (delay bounding)");
  concurrency
      ->add_option("--depth", cargs.depth,
                   "pct: bug depth; dfs, ipb: preemption bound; delay: delay bound")
      ->check(CLI::Range(0, 64));
  concurrency->add_option("--schedule", cargs.schedule, "replay one schedule (as printed)");
  concurrency->add_option("--program-seed", cargs.program_seed,
                          "with --schedule (or dfs, ipb, delay): the program's seed, as printed "
                          "(default: --seed)");
  concurrency->add_flag("--stop-at-first", cargs.stop_at_first,
                        "stop at the first failure, a livelock included");

  std::vector<std::string> merge_paths;
  bool allow_mixed_commits = false;
  CLI::App* merge = app.add_subcommand(
      "merge", "add up shards' results files: totals, coverage, findings deduplicated");
  merge->add_option("paths", merge_paths, "results files or folders of them")->required();
  merge->add_flag("--allow-mixed-commits", allow_mixed_commits,
                  "merge shards of different commits (with a warning)");
  merge->add_flag("--json", as_json, "one JSON object on stdout, last");
  RunFiles merge_files;
  merge->add_option("--report", merge_files.report_path, "write the campaign as an HTML page");
  merge->add_option("--junit", merge_files.junit_path, "write JUnit XML");

  std::string report_in, report_out;
  CLI::App* report = app.add_subcommand(
      "report", "draw a finding, a run's --json, a results file or a merge as one HTML page");
  report->add_option("file", report_in, "checker output: --json, a results file, merge --json")
      ->required();
  report->add_option("-o,--output", report_out, "the HTML file to write")->required();

  CLI::App* joint = add_suite(
      "crash-concurrency", "power cuts at scheduling points of concurrent clients, then recovery",
      "clients, reclaim-compact, chunk-writers or all");
  joint->add_option("--strategy", sargs.strategy,
                    "portfolio (random and pct at depths 1-3 in turn), random, pct or dfs "
                    "(the seed's program whole, crash points included)");
  joint->add_option("--depth", sargs.depth, "pct: bug depth; dfs: preemption bound")
      ->check(CLI::Range(0, 64));
  joint->add_option("--minimize", sargs.minimize,
                    "off: report a failure as found, unshrunk (time-to-find benchmarks)");

  LinearizeArgs largs;
  CLI::App* linearize =
      app.add_subcommand("linearize", "check a recorded history (JSON lines) for linearizability");
  linearize->add_option("file", largs.path, "one event a line (see docs)")->required();
  linearize->add_option("--model", largs.model, "register or kv");
  linearize->add_flag("--lenient", largs.lenient, "ignore unknown fields (named on stderr)");
  linearize->add_option("--time-budget", largs.time_budget,
                        "give up with 'unknown' (exit 3) after this long (default 60s)");
  linearize->add_option("--states-max", largs.states_max,
                        "give up with 'unknown' after this many search states (0: no limit)");
  linearize->add_option("--memory-mib", largs.memory_mib, "the search cache's budget (MiB)")
      ->check(CLI::Range(1, 1 << 20));
  linearize->add_flag("--json", largs.as_json, "one JSON object on stdout, last");
  linearize->add_option("--report", largs.report_path,
                        "write the verdict, the history's bars and what failed as an HTML page");

  CLI::App* bugs = app.add_subcommand("bugs", "list the seeded bugs");
  bugs->add_flag("--json", as_json, "as one JSON object");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "shardcheck: " << e.what() << "\n" << app.help();
    return kExitUsage;
  }
  for (CLI::App* suite : {conformance, crash, concurrency, joint}) {
    if (!suite->parsed()) continue;
    sargs.suite = suite->get_name();
    return RunSuite(sargs, suite->count("--iterations") > 0);
  }
  if (replay->parsed()) return Replay(token, as_json, replay_files);
  if (linearize->parsed()) return Linearize(largs);
  if (merge->parsed()) return Merge(merge_paths, allow_mixed_commits, as_json, merge_files);
  if (report->parsed()) return Report(report_in, report_out);
  if (bugs->parsed()) return Bugs(as_json);
  return kExitUsage;
}

}  // namespace
}  // namespace shardstore::checker

int main(int argc, char** argv) { return shardstore::checker::Main(argc, argv); }
