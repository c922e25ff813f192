// KvLog against its model with shardstore's generic conformance check (component_spec.h):
// Put, Get and Sync drawn by RapidCheck, every result compared with the model's, failures
// shrunk; and the same with power cuts over the MemDisk under the log.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <memory>
#include <string>

#include "kv_log.h"
#include "kv_log_model.h"
#include "shardstore/checker/component_spec.h"
#include "shardstore/sim/mem_disk.h"

namespace kvlog {
namespace {

using shardstore::MemDisk;
using shardstore::Status;
using shardstore::checker::ComponentSpec;
using shardstore::checker::SpecViolation;

constexpr shardstore::DiskGeometry kGeometry{8, 64 << 10};  // 128 records

// The component as the spec runs it: the disk, and the log opened over it.
struct Fixture {
  MemDisk disk{kGeometry};
  std::unique_ptr<KvLog> log = Reopen();
  std::unique_ptr<KvLog> Reopen() { return std::move(KvLog::Open(&disk)).value(); }
};

struct PutArgs {
  std::string key;
  std::string value;
};
struct GetArgs {
  std::string key;
};
struct SyncArgs {};

std::string Code(const Status& status) { return std::string(StatusCodeName(status.code())); }

rc::Gen<std::string> GenKey() {
  return rc::gen::weightedOneOf<std::string>(
      {{8, rc::gen::element<std::string>("a", "b", "c")},
       {1, rc::gen::element<std::string>("", std::string(kKeyBytesMax + 1, 'k'))}});
}

std::string Quote(const std::string& text) {
  return text.size() > 8 ? "std::string(" + std::to_string(text.size()) + ", '" + text[0] + "')"
                         : "\"" + text + "\"";
}

ComponentSpec<KvLogModel, Fixture> MakeSpec(bool crashes) {
  ComponentSpec<KvLogModel, Fixture> spec(
      crashes ? "KvLogCrash" : "KvLog",
      [] { return KvLogModel{.slots = uint64_t{kGeometry.extent_count} * 16}; },
      [] { return std::make_unique<Fixture>(); });
  spec.AddOp<PutArgs, std::string>(
      {.name = "put",
       .generate =
           [](const KvLogModel&) {
             return rc::gen::apply(
                 [](std::string key, std::string value) {
                   return PutArgs{std::move(key), std::move(value)};
                 },
                 GenKey(), rc::gen::container<std::string>(rc::gen::inRange('a', 'e')));
           },
       .model =
           [](KvLogModel& m, const PutArgs& a) {
             if (a.key.empty() || a.key.size() > kKeyBytesMax)
               return std::string("InvalidArgument");
             if (m.records == m.slots) return std::string("NoSpace");
             m.pending.emplace_back(a.key, a.value);
             ++m.records;
             return std::string("OK");
           },
       .sut = [](Fixture& f, const PutArgs& a) { return Code(f.log->Put(a.key, a.value)); },
       .show = [](const PutArgs& a) { return "Put(" + Quote(a.key) + ", " + Quote(a.value) + ")"; },
       .code =
           [](const PutArgs& a) {
             return "kvlog::PutArgs{" + Quote(a.key) + ", " + Quote(a.value) + "}";
           }});
  spec.AddOp<GetArgs, std::optional<std::string>>(
      {.name = "get",
       .generate =
           [](const KvLogModel&) {
             return rc::gen::map(GenKey(), [](std::string key) { return GetArgs{std::move(key)}; });
           },
       .model = [](KvLogModel& m, const GetArgs& a) -> std::optional<std::string> {
         const auto current = m.Current();
         auto it = current.find(a.key);
         if (it == current.end()) return std::nullopt;
         return it->second;
       },
       .sut = [](Fixture& f, const GetArgs& a) { return f.log->Get(a.key); },
       .show = [](const GetArgs& a) { return "Get(" + Quote(a.key) + ")"; },
       .code = [](const GetArgs& a) { return "kvlog::GetArgs{" + Quote(a.key) + "}"; }});
  spec.AddOp<SyncArgs, std::string>(
      {.name = "sync",
       .generate = [](const KvLogModel&) { return rc::gen::just(SyncArgs{}); },
       .model =
           [](KvLogModel& m, const SyncArgs&) {
             m.durable = m.Current();
             m.pending.clear();
             return std::string("OK");
           },
       .sut = [](Fixture& f, const SyncArgs&) { return Code(f.log->Sync()); },
       .show = [](const SyncArgs&) { return std::string("Sync()"); },
       .code = [](const SyncArgs&) { return std::string("kvlog::SyncArgs{}"); }});
  spec.AddInvariant("contents", [](const KvLogModel& m, Fixture& f) -> SpecViolation {
    if (f.log->Contents() == m.Current()) return std::nullopt;
    return "the log's map differs from the model's";
  });
  if (crashes) {
    spec.SetCrash({.disk = [](Fixture& f) -> MemDisk& { return f.disk; },
                   .reopen = [](Fixture& f) { f.log = f.Reopen(); },
                   .recover = [](KvLogModel& m, Fixture& f) -> SpecViolation {
                     const std::optional<size_t> kept = m.RecoveredAs(f.log->Contents());
                     if (!kept) {
                       return "recovered a state no crash may leave: not the synced Puts plus a "
                              "prefix of the later ones";
                     }
                     m.durable = m.WithPending(*kept);
                     m.records -= m.pending.size() - *kept;
                     m.pending.clear();
                     return std::nullopt;
                   }});
  }
  return spec;
}

ComponentSpec<KvLogModel, Fixture> KvLogSpec() { return MakeSpec(false); }
ComponentSpec<KvLogModel, Fixture> KvLogCrashSpec() { return MakeSpec(true); }

}  // namespace

// Conformance: sequences of Put, Get and Sync.
SS_SPEC_TEST(KvLogSpecTest, ConformsToModel, KvLogSpec)
// Crash: the same, with power cuts that keep any subset of the unsynced pages.
SS_SPEC_TEST(KvLogSpecTest, RecoversWhatACrashMayLeave, KvLogCrashSpec)

// A pinned case, as a failing run prints it: an overwrite, read back.
TEST(KvLogSpecRegress, OverwriteReadsBack) {
  EXPECT_SPEC_REPLAY(KvLogSpec(), {
                                      {"put", PutArgs{"a", "x"}},
                                      {"put", PutArgs{"a", "y"}},
                                      {"get", GetArgs{"a"}},
                                  });
}

}  // namespace kvlog
