#include "shardstore/checker/campaign.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>

#include "shardstore/checker/concurrency_finding.h"
#include "shardstore/checker/conformance.h"
#include "shardstore/checker/crash_concurrency_check.h"
#include "shardstore/checker/store_concurrency.h"
#include "shardstore/checker/swarm.h"
#include "shardstore/sim/coverage.h"

namespace shardstore::checker {
namespace {

// The scheduled suites run whole blocks: the one holding --sequence, or every block this shard
// owns, while `run_block(first, count)` says go on.
void RunScheduledBlocks(const CampaignOptions& options,
                        const std::function<bool(uint64_t, uint64_t)>& run_block) {
  if (options.sequence) {
    run_block(*options.sequence / kSequencesPerBlock * kSequencesPerBlock, kSequencesPerBlock);
    return;
  }
  ForEachOwnedBlock(options.shard, options.iterations == 0 ? UINT64_MAX : options.iterations,
                    run_block);
}

std::vector<HarnessKind> ConformanceKinds(Suite suite) {
  // The crash explorer needs power cuts in the alphabet: the chunk store's and the store's.
  if (suite == Suite::kCrash) return {HarnessKind::kChunkStore, HarnessKind::kStore};
  return {HarnessKind::kStore, HarnessKind::kIndex, HarnessKind::kChunkStore};
}

class Clock {
 public:
  explicit Clock(double budget_seconds)
      : start_(std::chrono::steady_clock::now()), budget_(budget_seconds) {}
  double Elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  bool Spent() const { return budget_ > 0 && Elapsed() >= budget_; }
  double Left() const { return budget_ - Elapsed(); }

 private:
  std::chrono::steady_clock::time_point start_;
  double budget_;
};

std::string Shape(const std::vector<Op>& ops) {
  std::string shape;
  for (const Op& op : ops) {
    if (!shape.empty()) shape += ".";
    shape += OpKindName(op.kind);
  }
  return shape;
}

FindingRecord BaseFinding(const CampaignOptions& options, std::string harness) {
  FindingRecord f;
  f.suite = std::string(SuiteName(options.suite));
  f.harness = std::move(harness);
  f.campaign_seed = options.seed;
  f.shard = options.shard;
  f.bug = std::string(seeded::BugName(options.bug));
  f.build = ThisBuild();
  return f;
}

// The command that reruns one sequence of the campaign (for a finding without a token).
std::string SequenceCommand(const CampaignOptions& options, std::string_view harness,
                            uint64_t sequence) {
  return "shardcheck " + std::string(SuiteName(options.suite)) + " --harness " +
         std::string(harness) + " --seed " + std::to_string(options.seed) + " --sequence " +
         std::to_string(sequence) + " --max-ops " + std::to_string(options.max_ops) +
         (options.bug == seeded::Bug::kNone
              ? ""
              : " --bug " + std::string(seeded::BugName(options.bug))) +
         (options.swarm ? " --swarm on" : " --swarm off");
}

FindingRecord ConformanceFinding(const CampaignOptions& options, const ConformanceReport& r) {
  FindingRecord f = BaseFinding(options, std::string(HarnessName(r.harness)));
  f.sequence = r.failing_sequence;
  f.seed = r.failing_seed;
  if (r.nondeterminism) {
    f.kind = "nondeterminism";
    f.violation = *r.nondeterminism;
    f.token = EncodeToken(r.nondeterministic_case);
    f.replay = SequenceCommand(options, f.harness, f.sequence);
    f.found_length = f.minimized_length = r.nondeterministic_case.ops.size();
    for (const Op& op : r.nondeterministic_case.ops) f.steps.push_back(Show(op));
    f.shape = Shape(r.nondeterministic_case.ops);
  } else {
    const Counterexample& c = *r.counterexample;
    f.kind = options.suite == Suite::kCrash ? "crash-consistency" : "assertion";
    f.violation = c.replayed.violation.value_or(c.search_violation);
    f.token = c.reproduces() ? c.token : "";
    f.replay = c.reproduces() ? "shardcheck replay " + c.token
                              : SequenceCommand(options, f.harness, f.sequence);
    f.steps = c.replayed.steps;
    AddReplayDetail(c.replayed, &f);
    f.found_length = c.original_ops;
    f.minimized_length = c.minimized.ops.size();
    f.gtest = c.gtest;
    f.shape = Shape(c.minimized.ops);
  }
  f.signature = FindingSignature(f);
  return f;
}

void AddCoverage(std::map<std::string, uint64_t>* total,
                 const std::map<std::string, uint64_t>& delta) {
  for (const auto& [name, hits] : delta) (*total)[name] += hits;
}

void RunConformanceSuite(const CampaignOptions& options, const Clock& clock, CampaignReport* out,
                         const std::function<void(const FindingRecord&)>& on_finding) {
  SummaryRecord& summary = out->summary;
  std::vector<HarnessKind> kinds;
  for (const std::string& name : options.harnesses) kinds.push_back(*ParseHarness(name));
  for (HarnessKind kind : kinds) summary.harnesses[std::string(HarnessName(kind))];
  for (const auto& [path, hits] : coverage::Snapshot()) summary.path_coverage[path];
  uint64_t done = 0;
  std::set<std::string> seen;  // harness + normalized violation, with --keep-going
  auto seen_key = [](HarnessKind kind, const std::string& violation) {
    return std::string(HarnessName(kind)) + ":" + NormalizeViolation(violation);
  };
  // Runs sequences [first, end) of `kind`; false when the shard is to stop.
  auto run_range = [&](HarnessKind kind, uint64_t first, uint64_t end) {
    ConformanceOptions conformance;
    conformance.harness = kind;
    conformance.seed = options.seed;
    conformance.first_sequence = first;
    conformance.iterations = static_cast<int>(end - first);
    conformance.max_ops = options.max_ops;
    conformance.bug = options.bug;
    conformance.determinism_check_every = options.determinism_check_every;
    conformance.minimize = options.minimize;
    if (options.keep_going) {
      conformance.minimize_if = [&](const std::string& violation) {
        return seen.count(seen_key(kind, violation)) == 0;
      };
    }
    if (options.suite == Suite::kCrash) conformance.explore_crashes = CrashExploration{};
    if (options.swarm) {
      conformance.swarm_ops =
          SwarmOps(kind, options.seed, SequenceStream(kind, options.suite == Suite::kCrash),
                   first / kSequencesPerBlock);
    }
    // Every harness gets a turn whatever the budget: one that has not run a sequence yet runs
    // one before the budget stops it.
    uint64_t ran = summary.harnesses[std::string(HarnessName(kind))].sequences;
    conformance.should_stop = [&] { return clock.Spent() && ran > 0; };
    conformance.on_progress = [&](int) {
      ++ran;
      ++done;
      if (options.on_progress) options.on_progress(done);
    };
    const ConformanceReport report = RunConformance(conformance);
    HarnessTotals& totals = summary.harnesses[std::string(HarnessName(kind))];
    totals.sequences += static_cast<uint64_t>(report.sequences);
    totals.ops += report.ops;
    totals.crash_states += report.crash_states;
    totals.determinism_checks += report.determinism_checks;
    totals.seconds += report.search_seconds + report.shrink_seconds;
    AddCoverage(&summary.path_coverage, report.coverage);
    for (int k = 0; k < kOpKindCount; ++k) {
      if (report.op_counts[k] > 0) {
        summary.op_coverage[std::string(OpKindName(static_cast<OpKind>(k)))] += report.op_counts[k];
      }
    }
    if (report.counterexample && options.keep_going && !report.minimized && options.minimize) {
      ++totals.repeats;  // like one found before: counted, not minimized again
      return std::optional<uint64_t>(report.failing_sequence + 1);
    }
    if (report.counterexample || report.nondeterminism) {
      out->findings.push_back(ConformanceFinding(options, report));
      FindingRecord& f = out->findings.back();
      if (conformance.swarm_ops) f.swarm["ops"] = DescribeOps(kind, *conformance.swarm_ops);
      f.found_after_sequences = done;
      f.found_after_seconds = clock.Elapsed() - report.shrink_seconds;
      ++totals.findings;
      if (on_finding) on_finding(out->findings.back());
      if (report.counterexample) seen.insert(seen_key(kind, report.search_violation));
      if (options.keep_going && report.counterexample) {
        return std::optional<uint64_t>(report.failing_sequence + 1);
      }
      summary.stopped_by = "finding";
      return std::optional<uint64_t>();
    }
    if (!report.error.empty()) {
      out->error = report.error;
      summary.stopped_by = "error";
      return std::optional<uint64_t>();
    }
    if (report.stopped) {
      summary.stopped_by = "time-budget";
      return std::optional<uint64_t>();
    }
    return std::optional<uint64_t>(end);
  };
  auto run_block = [&](uint64_t first, uint64_t count) {
    bool budget_left = true;
    for (HarnessKind kind : kinds) {
      // With the budget spent, only a harness that never had a turn still runs (one sequence).
      if (!budget_left && summary.harnesses[std::string(HarnessName(kind))].sequences > 0) {
        continue;
      }
      for (uint64_t next = first; next < first + count;) {
        const std::optional<uint64_t> resume = run_range(kind, next, first + count);
        if (!resume) {
          if (summary.stopped_by != "time-budget") return false;
          budget_left = false;
          break;
        }
        next = *resume;
      }
    }
    return budget_left;
  };
  if (options.sequence) {
    run_block(*options.sequence, 1);
    return;
  }
  ForEachOwnedBlock(options.shard, options.iterations == 0 ? UINT64_MAX : options.iterations,
                    run_block);
}

// The determinism self-check of a concurrency block: one seeded random schedule of the program,
// run twice; the scheduling points, the schedule's length and the engine paths must agree.
std::optional<std::string> RunTwice(const Body& body, uint64_t program_seed) {
  struct Trace {
    uint64_t steps = 0;
    std::optional<std::string> failure;
    std::map<std::string, uint64_t> paths;
  };
  auto run = [&] {
    const std::map<std::string, uint64_t> before = coverage::Snapshot();
    const ConcurrencyReport report = CheckRandom(body, 1, Mix64(program_seed));
    return Trace{report.steps_total, report.failure, coverage::Delta(before, coverage::Snapshot())};
  };
  const Trace first = run();
  const Trace second = run();
  if (first.failure != second.failure) {
    return "one random schedule of the program ran twice, and failed only once";
  }
  if (first.steps != second.steps) {
    return "one random schedule of the program ran twice, in " + std::to_string(first.steps) +
           " and " + std::to_string(second.steps) + " scheduling points";
  }
  if (first.paths != second.paths) {
    return "one random schedule of the program ran twice, and reached other engine paths";
  }
  return std::nullopt;
}

void RunConcurrencySuite(const CampaignOptions& options, const Clock& clock, CampaignReport* out,
                         const std::function<void(const FindingRecord&)>& on_finding) {
  SummaryRecord& summary = out->summary;
  std::vector<StoreWorkload> workloads;
  for (const std::string& name : options.harnesses) workloads.push_back(*FindStoreWorkload(name));
  for (StoreWorkload w : workloads) summary.harnesses[std::string(StoreWorkloadName(w))];
  for (const auto& [path, hits] : coverage::Snapshot()) summary.path_coverage[path];
  std::vector<bool> done(workloads.size(), false);
  std::vector<std::vector<FailureKind>> kinds_found(workloads.size());
  uint64_t schedules_done = 0;
  auto run_block = [&](uint64_t first, uint64_t count) {
    bool ran = false;
    for (size_t w = 0; w < workloads.size(); ++w) {
      if (done[w]) continue;
      if (clock.Spent()) {
        summary.stopped_by = "time-budget";
        return false;
      }
      ran = true;
      const std::string name(StoreWorkloadName(workloads[w]));
      // One program per block, searched under `count` schedules; both drawn from the block's
      // own seed, so the block is the same whichever shard runs it, and whenever.
      const uint64_t program_seed =
          SequenceSeed(options.seed, "concurrency/" + name, first / kSequencesPerBlock);
      CheckOptions check;
      check.stop_at_first = options.stop_at_first;
      if (options.time_budget_seconds > 0) check.time_budget_seconds = clock.Left();
      const Body body = StoreConcurrencyBody(workloads[w], program_seed);
      const std::map<std::string, uint64_t> before = coverage::Snapshot();
      const ConcurrencyReport report =
          options.strategy == "pct"      ? CheckPct(body, count, options.depth, program_seed, check)
          : options.strategy == "random" ? CheckRandom(body, count, program_seed, check)
                                         : CheckPortfolio(body, count, program_seed, check);
      AddCoverage(&summary.path_coverage, coverage::Delta(before, coverage::Snapshot()));
      HarnessTotals& totals = summary.harnesses[name];
      if (options.determinism_check_every != 0 && report.ok() &&
          Mix64(program_seed) % options.determinism_check_every == 0) {
        ++totals.determinism_checks;
        if (std::optional<std::string> difference = RunTwice(body, program_seed)) {
          FindingRecord f = BaseFinding(options, name);
          f.kind = "nondeterminism";
          f.violation = "the harness is not deterministic here: " + *difference;
          f.sequence = first;
          f.seed = program_seed;
          f.length_unit = "steps";
          f.replay = "shardcheck concurrency --harness " + name + " --program-seed " +
                     std::to_string(program_seed) + " --strategy random --iterations 1";
          f.shape = f.kind;
          f.signature = FindingSignature(f);
          ++totals.findings;
          out->findings.push_back(std::move(f));
          if (on_finding) on_finding(out->findings.back());
          summary.stopped_by = "finding";
          return false;
        }
      }
      totals.sequences += report.schedules;
      totals.steps += report.steps_total;
      totals.seconds += report.seconds;
      schedules_done += report.schedules;
      bool stop = false;
      for (const FoundFailure& found : report.failures) {
        if (std::find(kinds_found[w].begin(), kinds_found[w].end(), found.failure.kind) !=
            kinds_found[w].end()) {
          continue;
        }
        kinds_found[w].push_back(found.failure.kind);
        FindingRecord base = BaseFinding(options, name);
        base.sequence = first + found.schedule_index - 1;
        FindingRecord f = ConcurrencyFinding(std::move(base), workloads[w], program_seed, found);
        f.found_after_sequences = schedules_done - report.schedules + found.schedule_index;
        f.found_after_seconds = clock.Elapsed();
        ++totals.findings;
        out->findings.push_back(std::move(f));
        if (on_finding) on_finding(out->findings.back());
        if (options.stop_at_first ||
            (!options.keep_going && found.failure.kind != FailureKind::kLivelock)) {
          stop = true;
        }
      }
      if (report.budget_spent) {
        summary.stopped_by = "time-budget";
        return false;
      }
      if (stop) {
        summary.stopped_by = "finding";
        return false;
      }
    }
    if (options.on_progress) options.on_progress(schedules_done);
    return ran;
  };
  RunScheduledBlocks(options, run_block);
}

// One program per block (the block's own seeded search, minimized when it fails); dfs: the
// campaign seed's program searched whole, in shard 0 only.
void RunCrashConcurrencySuite(const CampaignOptions& options, const Clock& clock,
                              CampaignReport* out,
                              const std::function<void(const FindingRecord&)>& on_finding) {
  SummaryRecord& summary = out->summary;
  std::vector<JointWorkload> workloads;
  for (const std::string& name : options.harnesses) workloads.push_back(*FindJointWorkload(name));
  for (JointWorkload w : workloads) summary.harnesses[std::string(JointWorkloadName(w))];
  for (const auto& [path, hits] : coverage::Snapshot()) summary.path_coverage[path];
  const bool systematic = options.strategy == "dfs";
  std::vector<bool> done(workloads.size(), false);
  std::set<std::string> seen;  // harness + kind, with --keep-going
  uint64_t schedules_done = 0;
  // Searches `count` schedules of harness w from `first`; false when the shard is to stop.
  auto search = [&](size_t w, uint64_t first, uint64_t count, uint64_t seed) {
    const std::string name(JointWorkloadName(workloads[w]));
    JointSearchOptions joint;
    joint.workload = workloads[w];
    joint.bug = options.bug;
    joint.strategy = options.strategy;
    joint.depth = options.depth;
    joint.seed = seed;
    joint.iterations = count;
    joint.minimize = options.minimize;
    if (options.time_budget_seconds > 0) joint.time_budget_seconds = std::max(clock.Left(), 1e-9);
    const std::map<std::string, uint64_t> before = coverage::Snapshot();
    const JointReport report = SearchJoint(joint);
    AddCoverage(&summary.path_coverage, coverage::Delta(before, coverage::Snapshot()));
    HarnessTotals& totals = summary.harnesses[name];
    totals.sequences += report.schedules;
    totals.steps += report.steps;
    totals.crash_states += report.cuts_with_pending;
    totals.seconds += report.seconds;
    schedules_done += report.schedules;
    if (report.exhausted) done[w] = true;
    if (report.finding) {
      const JointFinding& found = *report.finding;
      // One record per harness and kind, as the concurrency suite keeps: the violation names
      // keys, locators and crash plans that differ from one find of a bug to the next.
      const std::string key = name + ":" + std::string(FailureKindName(found.failure.kind));
      if (options.keep_going && seen.count(key) > 0) {
        ++totals.repeats;
      } else {
        FindingRecord base = BaseFinding(options, name);
        base.sequence = first + found.schedule_index - 1;
        base.seed = seed;
        out->findings.push_back(CrashConcurrencyFinding(std::move(base), found));
        FindingRecord& f = out->findings.back();
        f.found_after_sequences = schedules_done - report.schedules + found.schedule_index;
        f.found_after_seconds = clock.Elapsed() - found.minimized.seconds;
        ++totals.findings;
        seen.insert(key);
        if (on_finding) on_finding(f);
        if (!options.keep_going) {
          summary.stopped_by = "finding";
          return false;
        }
      }
    }
    if (report.budget_spent || (clock.Spent() && !report.finding)) {
      summary.stopped_by = "time-budget";
      return false;
    }
    return true;
  };
  if (systematic) {
    if (options.shard.index != 0) return;
    for (size_t w = 0; w < workloads.size(); ++w) {
      const uint64_t count = options.iterations == 0 ? UINT64_MAX : options.iterations;
      if (!search(w, 0, count, options.seed)) return;
      if (options.on_progress) options.on_progress(schedules_done);
    }
    return;
  }
  auto run_block = [&](uint64_t first, uint64_t count) {
    bool ran = false;
    for (size_t w = 0; w < workloads.size(); ++w) {
      if (done[w]) continue;
      if (clock.Spent() &&
          summary.harnesses[std::string(JointWorkloadName(workloads[w]))].sequences > 0) {
        summary.stopped_by = "time-budget";
        return false;
      }
      ran = true;
      const std::string stream =
          "crash-concurrency/" + std::string(JointWorkloadName(workloads[w]));
      const uint64_t seed = SequenceSeed(options.seed, stream, first / kSequencesPerBlock);
      if (!search(w, first, count, seed)) return false;
    }
    if (options.on_progress) options.on_progress(schedules_done);
    return ran;
  };
  RunScheduledBlocks(options, run_block);
}

}  // namespace

bool IsScheduledSuite(std::string_view suite) {
  return suite == "concurrency" || suite == "crash-concurrency";
}

std::string_view SuiteName(Suite suite) {
  switch (suite) {
    case Suite::kConformance:
      return "conformance";
    case Suite::kCrash:
      return "crash";
    case Suite::kConcurrency:
      return "concurrency";
    case Suite::kCrashConcurrency:
      return "crash-concurrency";
  }
  return "?";
}

std::optional<Suite> ParseSuite(std::string_view name) {
  for (Suite suite :
       {Suite::kConformance, Suite::kCrash, Suite::kConcurrency, Suite::kCrashConcurrency}) {
    if (SuiteName(suite) == name) return suite;
  }
  return std::nullopt;
}

std::optional<std::vector<std::string>> SuiteHarnesses(Suite suite, std::string_view name) {
  std::vector<std::string> all;
  if (suite == Suite::kConcurrency) {
    for (StoreWorkload w : AllStoreWorkloads()) all.emplace_back(StoreWorkloadName(w));
  } else if (suite == Suite::kCrashConcurrency) {
    for (JointWorkload w : AllJointWorkloads()) all.emplace_back(JointWorkloadName(w));
  } else {
    for (HarnessKind kind : ConformanceKinds(suite)) all.emplace_back(HarnessName(kind));
  }
  if (name == "all") return all;
  if (std::find(all.begin(), all.end(), name) != all.end()) {
    return std::vector<std::string>{std::string(name)};
  }
  return std::nullopt;
}

std::string SuiteHarnessChoices(Suite suite) {
  std::string text;
  const std::vector<std::string> all = SuiteHarnesses(suite, "all").value();
  for (const std::string& name : all) text += name + ", ";
  return text + "or all";
}

CampaignReport RunCampaign(const CampaignOptions& options,
                           const std::function<void(const FindingRecord&)>& on_finding) {
  CampaignReport out;
  SummaryRecord& summary = out.summary;
  summary.suite = std::string(SuiteName(options.suite));
  summary.shard = options.shard;
  summary.campaign_seed = options.seed;
  summary.bug = std::string(seeded::BugName(options.bug));
  summary.build = ThisBuild();
  summary.iterations = options.iterations;
  summary.time_budget_seconds = options.time_budget_seconds;
  summary.stopped_by = "iterations";
  const bool scheduled = IsScheduledSuite(SuiteName(options.suite));
  if (options.swarm && !scheduled) summary.swarm["mode"] = "per-block";
  const Clock clock(options.time_budget_seconds);
  if (options.suite == Suite::kConcurrency) {
    const seeded::Scope scope(options.bug);
    RunConcurrencySuite(options, clock, &out, on_finding);
  } else if (options.suite == Suite::kCrashConcurrency) {
    RunCrashConcurrencySuite(options, clock, &out, on_finding);  // SearchJoint scopes the bug
  } else {
    RunConformanceSuite(options, clock, &out, on_finding);
  }
  summary.findings = out.findings.size();
  summary.seconds = clock.Elapsed();
  return out;
}

}  // namespace shardstore::checker
