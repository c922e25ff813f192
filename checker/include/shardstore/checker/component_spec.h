// ComponentSpec: a stateful conformance check for any component, written beside it.
//
// A spec names a model type (small, pure: a map or two), a system-under-test type (the
// component, with whatever it runs over), and a list of operations. Each operation draws its
// arguments from the model's state, applies them to the model (which says what the component
// must return) and to the component, compares the two results, and shows itself as one readable
// step. Invariants are checked after every step. A crash hook turns on power cuts: the component
// runs over a MemDisk (shardstore/sim/mem_disk.h; the component itself sees only a Disk), a
// "crash" step cuts the power keeping any subset of the unflushed pages, the component is
// reopened over what survived, and the hook judges what it recovered against the model.
//
//   ComponentSpec<Model, Fixture> MakeSpec() {
//     ComponentSpec<Model, Fixture> spec("wal", [] { return Model{}; },
//                                        [] { return std::make_unique<Fixture>(); });
//     spec.AddOp<PutArgs, Status>({.name = "put", .generate = ..., .model = ..., .sut = ...,
//                                  .show = ...});
//     spec.SetCrash({.disk = ..., .reopen = ..., .recover = ...});
//     return spec;
//   }
//   SS_SPEC_TEST(WalSpec, Conforms, MakeSpec)  // a GoogleTest, run by RapidCheck
//
// A run draws a sequence of steps (at most max_steps) with RapidCheck, so a failure is shrunk:
// steps are dropped and arguments simplified while the run still fails. The report of the
// smallest failure shows its steps, the violation, and — when every operation in it can print
// its arguments as C++ (`code`) — a GoogleTest to paste that replays it with ReplaySpec;
// RapidCheck adds the RC_PARAMS="reproduce=..." string that reruns the whole search case. A run
// is a function of RapidCheck's seed (RC_PARAMS="seed=..."): operations must not read clocks or
// unseeded randomness.
//
// Thread-safety: a spec is immutable once built; runs are sequential (for concurrency, see
// concurrency_check.h and linearizability.h).
#pragma once

#include <rapidcheck.h>

#include <any>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "shardstore/limits.h"
#include "shardstore/sim/mem_disk.h"

namespace shardstore::checker {

namespace spec_detail {
// A result as the report shows it: RapidCheck's toString, and "none" or the value for an
// optional (which RapidCheck does not show).
template <typename T>
std::string Show(const T& value) {
  return rc::toString(value);
}
template <typename T>
std::string Show(const std::optional<T>& value) {
  return value ? Show(*value) : std::string("none");
}
}  // namespace spec_detail

// A reason a step broke the spec, or nullopt.
using SpecViolation = std::optional<std::string>;

// One step of a replayed case: an operation's name and its arguments (of the operation's Args
// type; "crash" takes a MemDisk::CrashPlan).
struct SpecStep {
  std::string op;
  std::any args;
};

template <typename Model, typename Sut>
class ComponentSpec {
 public:
  // An operation whose arguments are `Args` and whose observable result is `Result`.
  template <typename Args, typename Result>
  struct Op {
    std::string name;
    // Draws arguments given the model's state (bias them: a small key pool, sizes at
    // boundaries).
    std::function<rc::Gen<Args>(const Model&)> generate;
    // Applies the step to the model; returns what the component must return.
    std::function<Result(Model&, const Args&)> model;
    // Applies the step to the component; returns what it returned.
    std::function<Result(Sut&, const Args&)> sut;
    // One readable line: "Put(a, 3 bytes)".
    std::function<std::string(const Args&)> show;
    // Empty: the results must be equal (shown with RapidCheck's toString; optionals as "none"
    // or their value).
    std::function<SpecViolation(const Result& expected, const Result& actual)> compare = {};
    // Empty: always enabled; else drawn only in model states where it returns true.
    std::function<bool(const Model&)> enabled = {};
    // C++ that constructs `Args` ("PutArgs{\"a\", 3}"), for the pasted GoogleTest; empty: none.
    std::function<std::string(const Args&)> code = {};
  };

  // Power cuts over the MemDisk under the component.
  struct Crash {
    std::function<MemDisk&(Sut&)> disk;
    // After the power cut: drop the component's volatile state and recover it from the disk.
    std::function<void(Sut&)> reopen;
    // Is what the component recovered a state the crash may leave? Then make the model match it.
    std::function<SpecViolation(Model&, Sut&)> recover;
  };

  ComponentSpec(std::string name, std::function<Model()> make_model,
                std::function<std::unique_ptr<Sut>()> make_sut)
      : name_(std::move(name)),
        make_model_(std::move(make_model)),
        make_sut_(std::move(make_sut)) {}

  template <typename Args, typename Result>
  ComponentSpec& AddOp(Op<Args, Result> op) {
    ops_.push_back(Erase(std::move(op)));
    return *this;
  }
  // Checked after every step.
  ComponentSpec& AddInvariant(std::string name,
                              std::function<SpecViolation(const Model&, Sut&)> check) {
    invariants_.push_back({std::move(name), std::move(check)});
    return *this;
  }
  // Adds the "crash" operation.
  ComponentSpec& SetCrash(Crash crash) {
    crash_ = std::move(crash);
    return *this;
  }
  ComponentSpec& SetMaxSteps(uint32_t steps) {
    max_steps_ = steps;
    return *this;
  }

  const std::string& name() const { return name_; }

  // One case inside a RapidCheck property: draws the steps, runs them, and fails the property
  // (RC_FAIL) with the report at the first violation. `factory`: the C++ expression that makes
  // this spec, for the pasted GoogleTest.
  void RunCase(const std::string& factory) const {
    const size_t kinds = ops_.size() + (crash_ ? 1 : 0);
    RC_PRE(kinds > 0);
    // inRange scales with RapidCheck's size: pin it to full range, so every operation (the
    // crash included) is drawn at every size; the size bounds only the sequence's length.
    const auto choices =
        *rc::gen::resize(max_steps_, rc::gen::container<std::vector<size_t>>(
                                         rc::gen::resize(100, rc::gen::inRange<size_t>(0, kinds))));
    Run run(*this);
    for (size_t choice : choices) {
      if (choice == ops_.size()) {
        const MemDisk::CrashPlan plan = *GenCrashPlan();
        if (run.Step(kCrashOp, plan)) break;
        continue;
      }
      const ErasedOp& op = ops_[choice];
      if (op.enabled && !op.enabled(run.model)) continue;
      if (run.Step(op.name, *op.generate(run.model))) break;
    }
    if (run.violation) RC_FAIL(run.Report(factory));
  }

  // Runs fixed steps (a pasted GoogleTest); the report of the first violation, or nullopt.
  std::optional<std::string> Replay(const std::vector<SpecStep>& steps,
                                    const std::string& factory) const {
    Run run(*this);
    for (const SpecStep& step : steps) {
      if (run.Step(step.op, step.args)) break;
    }
    if (!run.violation) return std::nullopt;
    return run.Report(factory);
  }

 private:
  static constexpr const char* kCrashOp = "crash";

  struct ErasedOp {
    std::string name;
    std::function<rc::Gen<std::any>(const Model&)> generate;
    std::function<bool(const Model&)> enabled;
    // Applies to both; the violation, if any.
    std::function<SpecViolation(Model&, Sut&, const std::any&)> apply;
    std::function<std::string(const std::any&)> show;
    std::function<std::string(const std::any&)> code;  // empty: none
  };

  template <typename Args, typename Result>
  static ErasedOp Erase(Op<Args, Result> op) {
    auto shared = std::make_shared<Op<Args, Result>>(std::move(op));
    ErasedOp erased;
    erased.name = shared->name;
    erased.enabled = shared->enabled;
    erased.generate = [shared](const Model& model) {
      return rc::gen::map(shared->generate(model), [](Args args) { return std::any(args); });
    };
    erased.apply = [shared](Model& model, Sut& sut, const std::any& any) -> SpecViolation {
      const Args& args = std::any_cast<const Args&>(any);
      const Result expected = shared->model(model, args);
      const Result actual = shared->sut(sut, args);
      if (shared->compare) return shared->compare(expected, actual);
      if (expected == actual) return std::nullopt;
      return "expected " + spec_detail::Show(expected) + ", got " + spec_detail::Show(actual);
    };
    erased.show = [shared](const std::any& any) {
      return shared->show(std::any_cast<const Args&>(any));
    };
    if (shared->code) {
      erased.code = [shared](const std::any& any) {
        return shared->code(std::any_cast<const Args&>(any));
      };
    }
    return erased;
  }

  // Mostly power cuts that keep a few pages whole; sometimes one page torn at a sector, or
  // inside one.
  static rc::Gen<MemDisk::CrashPlan> GenCrashPlan() {
    return rc::gen::resize(
        100,
        rc::gen::apply(
            [](uint64_t keep_mask, uint32_t torn_page, uint8_t torn_sectors, uint16_t torn_bytes) {
              return MemDisk::CrashPlan{keep_mask, torn_page, torn_sectors, torn_bytes};
            },
            rc::gen::arbitrary<uint64_t>(),
            rc::gen::weightedOneOf<uint32_t>(
                {{3, rc::gen::just<uint32_t>(0)}, {1, rc::gen::inRange<uint32_t>(1, 9)}}),
            rc::gen::inRange<uint8_t>(0, MemDisk::kPageWhole),
            rc::gen::weightedOneOf<uint16_t>({{3, rc::gen::just<uint16_t>(0)},
                                              {1, rc::gen::inRange<uint16_t>(1, kSectorBytes)}})));
  }

  static std::string ShowPlan(const MemDisk::CrashPlan& plan) {
    std::ostringstream os;
    os << "Crash(keep_mask=0x" << std::hex << plan.keep_mask << std::dec;
    if (plan.torn_page > 0) {
      os << ", page " << plan.torn_page - 1 << " torn after " << int{plan.torn_sectors}
         << " sectors + " << plan.torn_bytes << " bytes";
    }
    return os.str() + ")";
  }

  static std::string PlanCode(const MemDisk::CrashPlan& plan) {
    std::ostringstream os;
    os << "shardstore::MemDisk::CrashPlan{0x" << std::hex << plan.keep_mask << std::dec << "ull, "
       << plan.torn_page << ", " << int{plan.torn_sectors} << ", " << plan.torn_bytes << "}";
    return os.str();
  }

  // One run: a fresh model and component, steps applied in turn.
  struct Run {
    explicit Run(const ComponentSpec& spec)
        : spec(spec), model(spec.make_model_()), sut(spec.make_sut_()) {}

    // Applies one step; true when it (or an invariant after it) broke the spec. An exception
    // out of the component, the model or a hook breaks it too, and is reported with the steps.
    bool Step(const std::string& op_name, const std::any& args) {
      try {
        return StepUnguarded(op_name, args);
      } catch (const std::exception& e) {
        return Fail(std::string("threw: ") + e.what());
      }
    }

    bool StepUnguarded(const std::string& op_name, const std::any& args) {
      if (op_name == kCrashOp) {
        const auto& plan = std::any_cast<const MemDisk::CrashPlan&>(args);
        RecordStep(ShowPlan(plan), PlanCode(plan), op_name);
        if (!spec.crash_) return Fail("this spec has no crash hook");
        spec.crash_->disk(*sut).Crash(plan);
        spec.crash_->reopen(*sut);
        if (SpecViolation v = spec.crash_->recover(model, *sut))
          return Fail("after the crash: " + *v);
      } else {
        const ErasedOp* op = spec.Find(op_name);
        if (op == nullptr) return Fail("no operation named '" + op_name + "'");
        RecordStep(op->show(args), op->code ? op->code(args) : std::string(), op_name);
        if (SpecViolation v = op->apply(model, *sut, args)) return Fail(*v);
      }
      for (const auto& [name, check] : spec.invariants_) {
        if (SpecViolation v = check(model, *sut)) return Fail("invariant " + name + ": " + *v);
      }
      return false;
    }

    void RecordStep(std::string shown, std::string code, const std::string& op_name) {
      shown_.push_back(std::move(shown));
      if (code.empty()) all_coded_ = false;
      codes_.push_back("{\"" + op_name + "\", " + code + "}");
    }

    bool Fail(std::string why) {
      violation = std::move(why);
      return true;
    }

    std::string Report(const std::string& factory) const {
      std::ostringstream os;
      os << "VIOLATION in spec " << spec.name_ << " at step " << shown_.size() << ": " << *violation
         << "\nsteps:\n";
      for (size_t i = 0; i < shown_.size(); ++i) os << "  " << i + 1 << ". " << shown_[i] << "\n";
      if (all_coded_) {
        os << "\nGoogleTest to paste:\nTEST(" << spec.name_ << "Regress, Case) {\n"
           << "  EXPECT_SPEC_REPLAY(" << factory << ", {\n";
        for (const std::string& code : codes_) os << "      " << code << ",\n";
        os << "  });\n}\n";
      }
      return os.str();
    }

    const ComponentSpec& spec;
    Model model;
    std::unique_ptr<Sut> sut;
    SpecViolation violation;
    std::vector<std::string> shown_;
    std::vector<std::string> codes_;
    bool all_coded_ = true;
  };

  const ErasedOp* Find(const std::string& name) const {
    for (const ErasedOp& op : ops_) {
      if (op.name == name) return &op;
    }
    return nullptr;
  }

  std::string name_;
  std::function<Model()> make_model_;
  std::function<std::unique_ptr<Sut>()> make_sut_;
  std::vector<ErasedOp> ops_;
  std::vector<std::pair<std::string, std::function<SpecViolation(const Model&, Sut&)>>> invariants_;
  std::optional<Crash> crash_;
  uint32_t max_steps_ = 40;
};

}  // namespace shardstore::checker

// A GoogleTest that runs the spec `make_spec()` under RapidCheck: 100 cases by default
// (RC_PARAMS="max_success=N seed=S" sets them), a failure shrunk and reported with its steps,
// the replay string and a GoogleTest to paste. Needs <rapidcheck/gtest.h> and GoogleTest.
#define SS_SPEC_TEST(suite, name, make_spec) \
  RC_GTEST_PROP(suite, name, ()) { make_spec().RunCase(#make_spec "()"); }

// Replays steps (as a failing run printed them) in a GoogleTest; fails it with the report.
#define EXPECT_SPEC_REPLAY(spec, ...)                                                   \
  do {                                                                                  \
    const auto shardstore_report =                                                      \
        (spec).Replay(std::vector<::shardstore::checker::SpecStep> __VA_ARGS__, #spec); \
    EXPECT_FALSE(shardstore_report.has_value()) << shardstore_report.value_or("");      \
  } while (false)
