#include "shardstore/checker/conformance.h"

#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <chrono>
#include <iostream>
#include <memory>

#include "shardstore/assert.h"
#include "shardstore/checker/generators.h"
#include "shardstore/checker/minimize.h"
#include "shardstore/coverage.h"

namespace shardstore::checker {
namespace {

using Command = rc::state::Command<GenState, Harness>;

// One rc::state command per op: RapidCheck generates, orders and shrinks them; the harness
// runs them and judges.
class OpCommand final : public Command {
 public:
  explicit OpCommand(Op op) : op_(op) {}
  void apply(GenState& state) const override { state.Apply(op_); }
  void run(const GenState&, Harness& harness) const override {
    if (std::optional<std::string> violation = harness.Run(op_)) RC_FAIL(*violation);
  }
  void show(std::ostream& os) const override { os << Show(op_); }

 private:
  const Op op_;
};

class Listener final : public rc::detail::TestListener {
 public:
  explicit Listener(const std::function<void(int)>& on_progress) : on_progress_(on_progress) {}
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {
    ++cases_;
    if (on_progress_) on_progress_(cases_);
  }
  void onShrinkTried(const rc::detail::CaseDescription&, bool accepted) override {
    if (accepted) ++shrinks_;
  }
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
  int cases() const { return cases_; }
  int shrinks() const { return shrinks_; }

 private:
  const std::function<void(int)>& on_progress_;
  int cases_ = 0;
  int shrinks_ = 0;
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

}  // namespace

ConformanceReport RunConformance(const ConformanceOptions& options) {
  LoadRapidCheckConfigurationQuietly();
  const seeded::Scope bug(options.bug);
  ConformanceReport report;
  report.harness = options.harness;
  report.seed = options.seed;

  const auto start = std::chrono::steady_clock::now();
  const std::map<std::string, uint64_t> coverage_before = coverage::Snapshot();
  bool searching = true;  // false once the first failure starts the shrinking
  std::vector<Op> last_failure;
  std::optional<Op> last_repro;  // the explorer's power cut, when it found the last failure
  size_t original_ops = 0;

  auto property = [&] {
    GenState state;
    std::unique_ptr<Harness> harness = MakeHarness(options.harness, options.explore_crashes);
    const CrashExplorer* explorer = harness->crash_explorer();
    auto account = [&] {
      if (!searching) return;
      for (int k = 0; k < kOpKindCount; ++k) report.op_counts[k] += harness->op_counts()[k];
      report.ops += harness->executed().size();
      if (explorer) report.crash_states += explorer->states();
    };
    try {
      rc::state::check(state, *harness, [&](const GenState& s) {
        return rc::gen::map(GenOp(options.harness, s, options.explore_crashes.has_value()),
                            [](Op op) -> std::shared_ptr<const Command> {
                              return std::make_shared<const OpCommand>(op);
                            });
      });
      if (std::optional<std::string> violation = harness->Finish()) RC_FAIL(*violation);
      account();
    } catch (...) {
      account();
      if (searching) {
        searching = false;
        original_ops = harness->executed().size();
        report.search_seconds = SecondsSince(start);
        report.coverage = coverage::Delta(coverage_before, coverage::Snapshot());
      }
      // RapidCheck adopts each smaller case that still fails, so the last one recorded is the
      // minimized case.
      last_failure = harness->executed();
      last_repro = explorer ? explorer->repro() : std::nullopt;
      throw;
    }
  };

  rc::detail::TestParams params;
  params.seed = options.seed;
  params.maxSuccess = options.iterations;
  params.maxSize = std::max(0, options.max_ops - 1);  // rc::state draws 1..size+1 commands
  Listener listener(options.on_progress);
  const rc::detail::TestResult result = rc::detail::checkTestable(
      property, rc::detail::TestMetadata{"conformance", ""}, params, listener);

  rc::detail::FailureResult failure;
  rc::detail::GaveUpResult gave_up;
  rc::detail::Error error;
  if (result.match(failure)) {
    report.sequences = failure.numSuccess + 1;
    report.shrink_seconds = SecondsSince(start) - report.search_seconds;
    Counterexample found;
    found.original_ops = original_ops;
    found.rapidcheck_ops = last_failure.size();
    found.shrinks = listener.shrinks();
    // Only a case that fails again is minimized and printed as a replay and a test.
    if (std::optional<Case> reproducing = ReproducingCase(options, last_failure, last_repro)) {
      const Minimized further = Minimize(*reproducing);
      found.minimized = further.minimized;
      found.shrinks += further.edits;
      found.replayed = RunCase(found.minimized);
      SS_ASSERT(!found.replayed.ok());  // Minimize keeps only edits that still fail
      found.token = EncodeToken(found.minimized);
      found.gtest = GTestFor(
          found.minimized,
          std::string(HarnessName(options.harness)) + "Seed" + std::to_string(options.seed),
          *found.replayed.violation);
    } else {
      found.minimized = Case{options.harness, options.bug, last_failure};
      found.replayed = RunCase(found.minimized);
      found.replayed.violation.reset();
      found.search_violation = failure.description;
    }
    report.counterexample = std::move(found);
  } else {
    report.sequences = listener.cases();
    report.search_seconds = SecondsSince(start);
    report.coverage = coverage::Delta(coverage_before, coverage::Snapshot());
    if (result.match(gave_up)) report.error = "RapidCheck gave up: " + gave_up.description;
    if (result.match(error)) report.error = "RapidCheck error: " + error.description;
  }
  return report;
}

}  // namespace shardstore::checker
