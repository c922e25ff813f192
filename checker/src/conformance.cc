#include "shardstore/checker/conformance.h"

#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <chrono>
#include <iostream>
#include <memory>

#include "shardstore/assert.h"
#include "shardstore/checker/generators.h"
#include "shardstore/checker/minimize.h"
#include "shardstore/checker/shard.h"
#include "shardstore/sim/coverage.h"

namespace shardstore::checker {
namespace {

using Command = rc::state::Command<GenState, Harness>;

// One rc::state command per op: RapidCheck generates, orders and shrinks them; the harness
// runs them and judges. Each step's op and what it resolved to are folded into `trace`.
class OpCommand final : public Command {
 public:
  OpCommand(Op op, uint64_t* trace) : op_(op), trace_(trace) {}
  void apply(GenState& state) const override { state.Apply(op_); }
  void run(const GenState&, Harness& harness) const override {
    std::optional<std::string> violation = harness.Run(op_);
    *trace_ = HashText(Encode(op_) + "|" + harness.note(), *trace_);
    if (violation) RC_FAIL(*violation);
  }
  void show(std::ostream& os) const override { os << Show(op_); }

 private:
  const Op op_;
  uint64_t* const trace_;
};

// RapidCheck announces its own default configuration (a random seed this checker never uses)
// on first use; load it once with stderr muted so it does not read as the run's seed.
void LoadRapidCheckConfigurationQuietly() {
  static const bool loaded = [] {
    std::streambuf* saved = std::cerr.rdbuf(nullptr);
    rc::detail::configuration();
    std::cerr.rdbuf(saved);
    std::cerr.clear();
    return true;
  }();
  (void)loaded;
}

// The case that replays a failure RapidCheck's search ended on: its ops, and for a crash state
// the explorer found, a power cut at the same flush with the same plan — in place of a failing
// power cut during a flush (whose own cut would replace the armed one), else just before the
// failing step. When that case passes (the finding depends on more than the op carries: when
// the engine reported a write persistent, say), the ops run under the explorer again, which
// judges exactly what the search judged. nullopt when neither fails.
std::optional<Case> ReproducingCase(const ConformanceOptions& options, const std::vector<Op>& ops,
                                    const std::optional<Op>& repro) {
  Case plain{options.harness, options.bug, ops};
  if (repro && !plain.ops.empty()) {
    Op& failing = plain.ops.back();
    if (failing.kind == OpKind::kDirtyReboot &&
        static_cast<RebootType>(failing.key) == RebootType::kDuringFlush) {
      failing = *repro;
      failing.key = static_cast<uint32_t>(RebootType::kDuringFlush);
    } else {
      plain.ops.insert(plain.ops.end() - 1, *repro);
    }
  }
  if (!RunCase(plain).ok()) return plain;
  if (options.explore_crashes) {
    Case explored{options.harness, options.bug, ops, /*explore=*/true};
    if (!RunCase(explored).ok()) return explored;
  }
  return std::nullopt;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool Failed(const rc::detail::CaseDescription& description) {
  return description.result.type == rc::detail::CaseResult::Type::Failure;
}

// RapidCheck's own shrinking (as rc::detail::shrinkTestCase does it): take the first smaller
// case that still fails, then look for smaller ones of it, until none fails.
rc::Shrinkable<rc::detail::CaseDescription> ShrinkCase(
    rc::Shrinkable<rc::detail::CaseDescription> failing, int* shrinks) {
  rc::Seq<rc::Shrinkable<rc::detail::CaseDescription>> candidates = failing.shrinks();
  while (rc::Maybe<rc::Shrinkable<rc::detail::CaseDescription>> candidate = candidates.next()) {
    if (!Failed(candidate->value())) continue;
    ++*shrinks;
    failing = std::move(*candidate);
    candidates = failing.shrinks();
  }
  return failing;
}

// What a search learned about one sequence as it ran.
struct SequenceTrace {
  uint64_t hash = 0;
  std::vector<Op> executed;
  std::optional<Op> repro;  // the explorer's power cut, when it found the failure
  std::array<uint64_t, kOpKindCount> op_counts{};
  uint64_t crash_states = 0;
};

void AddCoverage(std::map<std::string, uint64_t>* total,
                 const std::map<std::string, uint64_t>& delta) {
  for (const auto& [path, hits] : delta) (*total)[path] += hits;
}

void FinishCounterexample(const ConformanceOptions& options, bool minimize,
                          const SequenceTrace& minimal, const std::string& description,
                          Counterexample* found) {
  // Only a case that fails again is minimized and printed as a replay and a test.
  if (std::optional<Case> reproducing = ReproducingCase(options, minimal.executed, minimal.repro)) {
    const Minimized further = minimize ? Minimize(*reproducing) : Minimized{*reproducing, 0, 0};
    found->minimized = further.minimized;
    found->shrinks += further.edits;
    found->replayed = RunCase(found->minimized);
    SS_ASSERT(!found->replayed.ok());  // Minimize keeps only edits that still fail
    found->token = EncodeToken(found->minimized);
    found->gtest =
        GTestFor(found->minimized,
                 std::string(HarnessName(options.harness)) + "Seed" + std::to_string(options.seed),
                 *found->replayed.violation);
  } else {
    found->minimized = Case{options.harness, options.bug, minimal.executed};
    found->replayed = RunCase(found->minimized);
    found->replayed.violation.reset();
    found->search_violation = description;
  }
}

}  // namespace

std::string SequenceStream(HarnessKind harness, bool explore_crashes) {
  return std::string(explore_crashes ? "crash/" : "conformance/") +
         std::string(HarnessName(harness));
}

ConformanceReport RunConformance(const ConformanceOptions& options) {
  LoadRapidCheckConfigurationQuietly();
  const seeded::Scope bug(options.bug);
  ConformanceReport report;
  report.harness = options.harness;
  report.seed = options.seed;
  const std::string stream = SequenceStream(options.harness, options.explore_crashes.has_value());
  const auto start = std::chrono::steady_clock::now();
  SequenceTrace trace;  // of the property's last evaluation

  const rc::detail::Property property = rc::detail::toProperty([&] {
    GenState state;
    std::unique_ptr<Harness> harness =
        MakeHarness(options.harness, options.explore_crashes, options.check_reclamation_cost);
    const CrashExplorer* explorer = harness->crash_explorer();
    trace = SequenceTrace{};
    if (options.on_sequence_start) options.on_sequence_start();
    auto record = [&] {
      trace.executed = harness->executed();
      trace.op_counts = harness->op_counts();
      trace.repro = explorer ? explorer->repro() : std::nullopt;
      trace.crash_states = explorer ? explorer->states() : 0;
    };
    try {
      rc::state::check(state, *harness, [&](const GenState& s) {
        rc::Gen<Op> ops = GenOp(options.harness, s, options.explore_crashes.has_value());
        if (options.swarm_ops) {
          ops = rc::gen::suchThat(std::move(ops), [&](const Op& op) {
            return (*options.swarm_ops)[static_cast<int>(op.kind)];
          });
        }
        return rc::gen::map(std::move(ops), [&](Op op) -> std::shared_ptr<const Command> {
          return std::make_shared<const OpCommand>(op, &trace.hash);
        });
      });
      if (std::optional<std::string> violation = harness->Finish()) RC_FAIL(*violation);
      record();
    } catch (...) {
      record();
      throw;
    }
  });

  const int sizes = std::max(1, options.max_ops);  // rc::state draws 1..size+1 commands
  for (int n = 0; n < options.iterations; ++n) {
    if (options.should_stop && options.should_stop()) {
      report.stopped = true;
      break;
    }
    const uint64_t index = options.first_sequence + static_cast<uint64_t>(n);
    const uint64_t seed = SequenceSeed(options.seed, stream, index);
    const rc::Shrinkable<rc::detail::CaseDescription> sequence =
        property(rc::Random(seed), static_cast<int>(seed % static_cast<uint64_t>(sizes)));
    const std::map<std::string, uint64_t> before = coverage::Snapshot();
    const rc::detail::CaseDescription outcome = sequence.value();
    const std::map<std::string, uint64_t> delta = coverage::Delta(before, coverage::Snapshot());
    AddCoverage(&report.coverage, delta);
    ++report.sequences;
    for (int k = 0; k < kOpKindCount; ++k) report.op_counts[k] += trace.op_counts[k];
    report.ops += trace.executed.size();
    report.crash_states += trace.crash_states;
    if (options.on_progress) options.on_progress(report.sequences);
    if (outcome.result.type == rc::detail::CaseResult::Type::Discard) {
      report.error = "RapidCheck discarded a sequence: " + outcome.result.description;
      break;
    }
    if (Failed(outcome)) {
      report.failing_sequence = index;
      report.failing_seed = seed;
      report.search_seconds = SecondsSince(start);
      report.search_violation = outcome.result.description;
      const bool minimize = options.minimize &&
                            (!options.minimize_if || options.minimize_if(report.search_violation));
      report.minimized = minimize;
      Counterexample found;
      found.original_ops = trace.executed.size();
      const rc::Shrinkable<rc::detail::CaseDescription> shrunk =
          minimize ? ShrinkCase(sequence, &found.shrinks) : sequence;
      // ShrinkCase's last evaluation may have passed: run the adopted case once more so the
      // trace is the minimized one's.
      const rc::detail::CaseDescription minimal = shrunk.value();
      found.rapidcheck_ops = trace.executed.size();
      FinishCounterexample(options, minimize, trace, minimal.result.description, &found);
      report.counterexample = std::move(found);
      report.shrink_seconds = SecondsSince(start) - report.search_seconds;
      return report;
    }
    if (options.determinism_check_every != 0 &&
        Mix64(seed) % options.determinism_check_every == 0) {
      // The same sequence again: the same ops, notes and engine paths, or the harness is not a
      // function of its seed here.
      const uint64_t first_hash = trace.hash;
      const std::vector<Op> first_ops = trace.executed;
      const std::map<std::string, uint64_t> again_before = coverage::Snapshot();
      const rc::detail::CaseDescription again = sequence.value();
      const std::map<std::string, uint64_t> again_delta =
          coverage::Delta(again_before, coverage::Snapshot());
      ++report.determinism_checks;
      std::string difference;
      if (Failed(again)) {
        difference = "it failed the second time: " + again.result.description;
      } else if (trace.executed != first_ops) {
        difference = "it generated other ops the second time";
      } else if (trace.hash != first_hash) {
        difference = "a step resolved differently the second time";
      } else if (again_delta != delta) {
        difference = "it reached other engine paths the second time";
      }
      if (!difference.empty()) {
        report.failing_sequence = index;
        report.failing_seed = seed;
        report.nondeterminism = "the harness is not deterministic here: sequence " +
                                std::to_string(index) + " ran twice, and " + difference;
        report.nondeterministic_case =
            Case{options.harness, options.bug, first_ops, options.explore_crashes.has_value()};
        break;
      }
    }
  }
  report.search_seconds = SecondsSince(start);
  return report;
}

}  // namespace shardstore::checker
