// Harness: runs a sequence of Ops on one real component and on its reference model side by
// side, and says after each step whether what the component did was allowed.
//
// A harness owns everything one sequence needs (an in-memory disk, the component, the model)
// and starts from a freshly formatted disk. Step() runs one op on both, compares every
// observable result, then checks the component's invariants; the first difference is a
// violation, described in words. Finish() runs the checks that are too costly after every step
// (reading every live chunk back from the disk). A harness never special-cases a seeded bug: it
// only knows what the component promises.
//
// Engine assertions are turned into violations (SS_ASSERT throws in checker processes), so a
// broken invariant inside the engine is shrunk like any other failure.
//
// Writing one for a new component is the tutorial in docs/writing-a-harness.md.
//
// Thread-safety: not thread-safe; one harness per sequence.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shardstore/checker/crash_explorer.h"
#include "shardstore/checker/op.h"
#include "shardstore/status.h"
#include "shardstore/types.h"

namespace shardstore::checker {

enum class HarnessKind : uint8_t { kStore, kIndex, kChunkStore };

std::string_view HarnessName(HarnessKind kind);  // "store", "index", "chunk"
std::optional<HarnessKind> ParseHarness(std::string_view name);

class Harness {
 public:
  virtual ~Harness() = default;

  // Runs `op` (which must belong to this harness's alphabet) and records it. Returns the
  // violation, if any; after one, the harness must not be stepped again.
  std::optional<std::string> Run(const Op& op);
  // The end-of-sequence checks.
  std::optional<std::string> Finish();

  // What the last step resolved at run time ("extent 5"), or empty.
  const std::string& note() const { return note_; }
  const std::vector<Op>& executed() const { return executed_; }
  const std::array<uint64_t, kOpKindCount>& op_counts() const { return op_counts_; }
  // The crash explorer, when this harness runs one.
  virtual const CrashExplorer* crash_explorer() const { return nullptr; }
  // The disk under the component, when it is a MemDisk (its power cuts are reported).
  virtual const MemDisk* mem_disk() const { return nullptr; }
  // What the last step read, the engine's answer beside the model's ("4096 bytes", "no value");
  // both empty when the step reads nothing back.
  const std::string& engine_result() const { return engine_result_; }
  const std::string& model_result() const { return model_result_; }

 protected:
  virtual std::optional<std::string> Step(const Op& op) = 0;
  virtual std::optional<std::string> FinishChecks() = 0;
  void SetNote(std::string note) { note_ = std::move(note); }
  void SetResults(std::string engine, std::string model) {
    engine_result_ = std::move(engine);
    model_result_ = std::move(model);
  }
  // The violation of a step whose call failed where the model allows only success: "<what>
  // failed: <status>", with the status as the engine's answer beside the model's "OK".
  std::string Failed(std::string_view what, const Status& status);

 private:
  std::vector<Op> executed_;
  std::array<uint64_t, kOpKindCount> op_counts_{};
  std::string note_;
  std::string engine_result_;
  std::string model_result_;
};

// With `explore` (harnesses with power cuts: store and chunk), every disk flush is also explored
// as a crash point. `check_reclamation_cost` (store only): see StoreHarness.
std::unique_ptr<Harness> MakeHarness(HarnessKind kind,
                                     const std::optional<CrashExploration>& explore = {},
                                     bool check_reclamation_cost = true);

// The bytes of a value or payload of `size` bytes generated from `fill`.
Bytes ValueBytes(uint32_t size, uint8_t fill);

// Which kinds a harness accepts.
bool InAlphabet(HarnessKind harness, OpKind kind);

}  // namespace shardstore::checker
