#include "store/salvage_plan.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "chunk/frame_read.h"
#include "index/lsm_metadata.h"
#include "index/run_format.h"
#include "shardstore/limits.h"

namespace shardstore {
namespace {

// One intact frame holding a part of a version.
struct PartCopy {
  Locator locator;
  uint32_t payload_bytes = 0;
  uint64_t body_checksum = 0;
};

// A damaged frame whose verified header names a part of a version.
struct DamagedCopy {
  uint64_t body_checksum = 0;
  std::string error;
};

struct VersionEvidence {
  std::optional<uint32_t> part_count;
  bool part_counts_disagree = false;
  std::map<uint32_t, std::vector<PartCopy>> intact;  // by part
  std::map<uint32_t, DamagedCopy> damaged;           // by part: the first damaged copy seen
};

struct KeyEvidence {
  std::map<uint64_t, VersionEvidence> data;  // by sequence
  std::optional<uint64_t> tombstone;         // the newest surviving delete
  std::set<uint64_t> named_by_runs;          // data versions a surviving run names
};

using Evidence = std::map<std::string, KeyEvidence>;

// The newest metadata whose every run is intact where it says: the engine's own record of
// every key up to `horizon`.
struct CompleteIndex {
  uint64_t version = 0;
  uint64_t next_run_id = 0;  // every run written after it has an id at least this
  uint64_t horizon = 0;
  std::map<std::string, IndexEntry> newest;  // per key, the first entry in newest-first runs
};

VersionEvidence& VersionOf(Evidence* evidence, const std::string& key, const ChunkHeader& header) {
  VersionEvidence& version = (*evidence)[key].data[header.sequence];
  if (!version.part_count) version.part_count = header.part_count;
  if (*version.part_count != header.part_count) version.part_counts_disagree = true;
  return version;
}

void AddTombstone(KeyEvidence* key, uint64_t sequence) {
  key->tombstone = std::max(key->tombstone.value_or(0), sequence);
}

void AddRunEntries(const RunEntries& entries, Evidence* evidence) {
  for (const auto& [key, entry] : entries) {
    KeyEvidence& known = (*evidence)[key];
    if (entry.tombstone) {
      AddTombstone(&known, entry.sequence);
    } else {
      known.named_by_runs.insert(entry.sequence);
    }
  }
}

std::string PartName(uint32_t part, uint32_t part_count) {
  return "part " + std::to_string(part) + " of " + std::to_string(part_count);
}

// Every index run found whole in the index extents, by run id. A run id's chunks must agree:
// two different runs under one id (an id reused after a crash) make it unusable.
std::map<uint64_t, RunEntries> AssembleRuns(const ImageCensus& census, SalvageReport* report,
                                            std::vector<uint64_t>* unusable) {
  struct Pieces {
    std::optional<uint32_t> part_count;
    std::map<uint32_t, const CensusChunk*> parts;
    std::string problem;
  };
  std::map<uint64_t, Pieces> by_id;
  for (const CensusChunk& chunk : census.chunks) {
    if (chunk.header.kind != ChunkKind::kIndexRun || chunk.owner != ExtentOwner::kIndex) continue;
    Pieces& pieces = by_id[chunk.header.sequence];
    if (!pieces.part_count) pieces.part_count = chunk.header.part_count;
    if (*pieces.part_count != chunk.header.part_count) {
      pieces.problem = "its chunks disagree on the part count";
    }
    auto [at, fresh] = pieces.parts.emplace(chunk.header.part_index, &chunk);
    if (!fresh && at->second->payload != chunk.payload) {
      pieces.problem = "two different chunks claim " +
                       PartName(chunk.header.part_index, chunk.header.part_count);
    }
  }
  for (const CensusDamage& damage : census.damage) {
    if (damage.kind == CensusDamage::Kind::kFrame && damage.header.kind == ChunkKind::kIndexRun &&
        damage.owner == ExtentOwner::kIndex) {
      by_id[damage.header.sequence];  // a run seen, even if none of it survived
    }
  }
  std::map<uint64_t, RunEntries> usable;
  for (const auto& [id, pieces] : by_id) {
    std::string problem = pieces.problem;
    if (problem.empty() && (!pieces.part_count || pieces.parts.size() != *pieces.part_count)) {
      const uint32_t count = pieces.part_count.value_or(0);
      problem = count == 0 ? "no chunk of it is intact"
                           : std::to_string(count - pieces.parts.size()) + " of its " +
                                 std::to_string(count) + " chunks are damaged or missing";
    }
    if (problem.empty()) {
      Bytes payload;
      for (const auto& [part, chunk] : pieces.parts) {
        payload.insert(payload.end(), chunk->payload.begin(), chunk->payload.end());
      }
      StatusOr<RunEntries> entries = DecodeRun(payload);
      if (entries.ok()) {
        usable.emplace(id, std::move(entries).value());
        continue;
      }
      problem = entries.status().ToString();
    }
    unusable->push_back(id);
    ++report->index_runs_unusable;
    report->notes.push_back("index run " + std::to_string(id) + " cannot be used: " + problem);
  }
  report->index_runs_usable = usable.size();
  return usable;
}

// The runs `metadata` lists, read from exactly the locators it names; nullopt unless every one
// is intact, of the right run and part, and decodes to the entry count it records.
std::optional<std::vector<RunEntries>> RunsListedBy(
    const LsmMetadata& metadata, const std::map<Locator, const CensusChunk*>& run_chunks) {
  std::vector<RunEntries> runs;
  for (const RunDescriptor& run : metadata.runs) {
    Bytes payload;
    const auto part_count = static_cast<uint32_t>(run.chunks.size());
    for (uint32_t part = 0; part < part_count; ++part) {
      auto at = run_chunks.find(run.chunks[part]);
      if (at == run_chunks.end()) return std::nullopt;
      const ChunkHeader& header = at->second->header;
      if (header.sequence != run.id || header.part_index != part ||
          header.part_count != part_count) {
        return std::nullopt;
      }
      payload.insert(payload.end(), at->second->payload.begin(), at->second->payload.end());
    }
    StatusOr<RunEntries> entries = DecodeRun(payload);
    if (!entries.ok() || entries->size() != run.entry_count) return std::nullopt;
    runs.push_back(std::move(entries).value());
  }
  return runs;
}

std::optional<CompleteIndex> NewestCompleteIndex(const ImageCensus& census) {
  std::map<Locator, const CensusChunk*> run_chunks;
  std::map<uint64_t, std::vector<const CensusChunk*>, std::greater<>> metadata_by_version;
  for (const CensusChunk& chunk : census.chunks) {
    if (chunk.header.kind == ChunkKind::kIndexRun && chunk.owner == ExtentOwner::kIndex) {
      run_chunks.emplace(chunk.locator, &chunk);
    }
    if (chunk.header.kind == ChunkKind::kIndexMetadata && chunk.owner == ExtentOwner::kMetadata) {
      metadata_by_version[chunk.header.sequence].push_back(&chunk);
    }
  }
  for (const auto& [version, copies] : metadata_by_version) {
    // Two different metadata under one version (a version reused after a crash): neither is
    // known to be the later. (No lambda over a structured binding: clang refuses it.)
    const Bytes& first = copies[0]->payload;
    if (std::any_of(copies.begin(), copies.end(),
                    [&first](const CensusChunk* c) { return c->payload != first; })) {
      continue;
    }
    StatusOr<LsmMetadata> metadata = DecodeLsmMetadata(copies[0]->payload);
    if (!metadata.ok() || metadata->version != version) continue;
    std::optional<std::vector<RunEntries>> runs = RunsListedBy(*metadata, run_chunks);
    if (!runs) continue;
    CompleteIndex complete;
    complete.version = version;
    complete.next_run_id = metadata->next_run_id;
    for (const RunEntries& run : *runs) {  // newest first: the first entry per key wins
      for (const auto& [key, entry] : run) {
        complete.newest.emplace(key, entry);
        complete.horizon = std::max(complete.horizon, entry.sequence);
      }
    }
    return complete;
  }
  return std::nullopt;
}

// The payload of the intact frame at `locator`, read again from the disk.
StatusOr<Bytes> ReadPayload(Disk* disk, const Locator& locator) {
  Bytes pages;
  SS_ASSIGN_OR_RETURN(const ByteView frame,
                      ReadSpan(disk, locator.extent, locator.offset, locator.length, &pages));
  SS_ASSIGN_OR_RETURN(ChunkView chunk, DecodeChunk(frame));
  return Bytes(chunk.payload.begin(), chunk.payload.end());
}

// Why the copies of one part cannot be trusted to hold one value, or nullopt when they agree:
// intact copies byte for byte, a damaged copy by the body checksum its header recorded.
std::optional<std::string> CopiesDisagree(const std::vector<PartCopy>& copies,
                                          const DamagedCopy* damaged, Disk* disk) {
  for (const PartCopy& copy : copies) {
    if (copy.body_checksum != copies[0].body_checksum)
      return "is stored twice with different bytes";
  }
  if (damaged != nullptr && damaged->body_checksum != copies[0].body_checksum) {
    return "has a damaged copy that was written with different bytes";
  }
  if (copies.size() == 1) return std::nullopt;
  StatusOr<Bytes> first = ReadPayload(disk, copies[0].locator);
  for (size_t i = 1; i < copies.size(); ++i) {
    StatusOr<Bytes> other = ReadPayload(disk, copies[i].locator);
    if (!first.ok() || !other.ok()) {
      return "has copies that could not be read again to compare them: " +
             (first.ok() ? other.status() : first.status()).ToString();
    }
    if (*first != *other) return "is stored twice with different bytes";
  }
  return std::nullopt;
}

struct Recovery {
  std::vector<Locator> parts;
  uint64_t value_bytes = 0;
  std::string problem;  // empty when recovered
};

// Version `sequence` of `key`, if every part is intact and all its copies agree.
Recovery RecoverVersion(const KeyEvidence& known, uint64_t sequence, Disk* disk) {
  Recovery recovery;
  auto found = known.data.find(sequence);
  if (found == known.data.end()) {
    recovery.problem =
        "an index run names version " + std::to_string(sequence) + ", but no chunk of it survived";
    return recovery;
  }
  const VersionEvidence& version = found->second;
  const std::string name = "version " + std::to_string(sequence);
  if (version.part_counts_disagree) {
    recovery.problem = "the chunks of " + name + " disagree on its part count";
    return recovery;
  }
  const uint32_t part_count = *version.part_count;
  for (uint32_t part = 0; part < part_count; ++part) {
    auto intact = version.intact.find(part);
    auto damaged = version.damaged.find(part);
    const DamagedCopy* damaged_copy = damaged == version.damaged.end() ? nullptr : &damaged->second;
    if (intact == version.intact.end()) {
      recovery.problem = PartName(part, part_count) + " of " + name +
                         (damaged_copy ? " is damaged: " + damaged_copy->error : " is missing");
      return recovery;
    }
    if (std::optional<std::string> why = CopiesDisagree(intact->second, damaged_copy, disk)) {
      recovery.problem = PartName(part, part_count) + " of " + name + " " + *why;
      return recovery;
    }
    recovery.parts.push_back(intact->second[0].locator);
    recovery.value_bytes += intact->second[0].payload_bytes;
  }
  return recovery;
}

uint64_t NewestSequence(const KeyEvidence& known) {
  uint64_t newest = known.tombstone.value_or(0);
  if (!known.data.empty()) newest = std::max(newest, known.data.rbegin()->first);
  if (!known.named_by_runs.empty()) newest = std::max(newest, *known.named_by_runs.rbegin());
  return newest;
}

// One key's fate. Appends what the rebuilt index holds for it to `entries`.
SalvagedKey Decide(const std::string& key, const KeyEvidence& known,
                   const std::optional<CompleteIndex>& complete, Disk* disk, RunEntries* entries) {
  SalvagedKey fate;
  fate.key = key;
  const uint64_t newest = NewestSequence(known);
  if (key.empty() || key.size() > kKeyBytesMax) {  // the format allows it; the index does not
    fate.fate = SalvagedKey::Fate::kUnrecoverable;
    fate.sequence = newest;
    fate.reason = "a key of " + std::to_string(key.size()) + " bytes cannot be indexed";
    return fate;
  }
  std::optional<IndexEntry> decided;  // the entry that decides, if an index does
  std::string decided_by;
  if (complete && newest <= complete->horizon) {
    decided_by = "the complete index of metadata version " + std::to_string(complete->version);
    auto entry = complete->newest.find(key);
    if (entry == complete->newest.end()) {
      fate.fate = SalvagedKey::Fate::kDeleted;
      fate.sequence = newest;
      fate.reason = "absent from " + decided_by + ", which holds every change up to sequence " +
                    std::to_string(complete->horizon);
      if (!known.data.empty()) entries->emplace_back(key, IndexEntry{complete->horizon, true, {}});
      return fate;
    }
    decided = entry->second;
  } else if (known.tombstone && *known.tombstone == newest) {
    decided = IndexEntry{newest, true, {}};
    decided_by = "a surviving index run";
  }
  if (decided && decided->tombstone) {
    fate.fate = SalvagedKey::Fate::kDeleted;
    fate.sequence = decided->sequence;
    fate.reason =
        "a tombstone at sequence " + std::to_string(decided->sequence) + " in " + decided_by;
    if (known.data.count(decided->sequence) > 0) {
      fate.fate = SalvagedKey::Fate::kUnrecoverable;
      fate.reason =
          "a tombstone and a data chunk share sequence " + std::to_string(decided->sequence);
      return fate;
    }
    if (!known.data.empty()) {
      entries->emplace_back(key, IndexEntry{std::max(decided->sequence, newest), true, {}});
    }
    return fate;
  }
  fate.sequence = decided ? decided->sequence : newest;
  Recovery recovery = RecoverVersion(known, fate.sequence, disk);
  if (!recovery.problem.empty()) {
    fate.fate = SalvagedKey::Fate::kUnrecoverable;
    fate.reason = recovery.problem;
    if (!decided && known.data.size() > 1) {
      fate.reason += "; an older version survives but is not returned: the newer one overwrote it";
    }
    return fate;
  }
  fate.fate = SalvagedKey::Fate::kRecovered;
  fate.parts = static_cast<uint32_t>(recovery.parts.size());
  fate.value_bytes = recovery.value_bytes;
  fate.confirmed = decided.has_value() || known.named_by_runs.count(fate.sequence) > 0;
  entries->emplace_back(key, IndexEntry{fate.sequence, false, std::move(recovery.parts)});
  return fate;
}

// Evidence from the data extents: versions, damaged parts, tombstone chunks.
void GatherDataEvidence(const ImageCensus& census, Evidence* evidence, SalvageReport* report) {
  for (const CensusChunk& chunk : census.chunks) {
    if (chunk.owner != ExtentOwner::kData) continue;
    if (chunk.header.kind == ChunkKind::kData) {
      VersionOf(evidence, chunk.key, chunk.header)
          .intact[chunk.header.part_index]
          .push_back({chunk.locator, chunk.header.payload_bytes, chunk.body_checksum});
      ++report->data_chunks_intact;
    } else if (chunk.header.kind == ChunkKind::kTombstone) {
      AddTombstone(&(*evidence)[chunk.key], chunk.header.sequence);
    }
  }
  uint64_t unattributed_bytes = 0;
  for (const CensusDamage& damage : census.damage) {
    if (damage.owner != ExtentOwner::kData) continue;
    if (damage.kind != CensusDamage::Kind::kFrame) {
      unattributed_bytes += damage.range.length;
      continue;
    }
    if (damage.header.kind == ChunkKind::kData) {
      VersionOf(evidence, damage.key, damage.header)
          .damaged.emplace(damage.header.part_index,
                           DamagedCopy{damage.body_checksum, damage.error.ToString()});
      ++report->data_chunks_damaged;
    } else if (damage.header.kind == ChunkKind::kTombstone) {
      AddTombstone(&(*evidence)[damage.key], damage.header.sequence);
    }
  }
  if (unattributed_bytes > 0) {
    report->notes.push_back(
        std::to_string(unattributed_bytes) +
        " bytes of data extents hold no frame whose header verifies (or cannot be read): a key "
        "whose newest version lay only there, above any complete index, may come back with an "
        "older version or be left out");
  }
}

// Run ids, metadata versions and sequences the rebuilt index must stay above.
void NoteHighWaterMarks(const ImageCensus& census, SalvagePlan* plan) {
  auto note = [&](const ChunkHeader& header) {
    if (header.kind == ChunkKind::kIndexRun) {
      plan->next_run_id = std::max(plan->next_run_id, header.sequence + 1);
    } else if (header.kind == ChunkKind::kIndexMetadata) {
      plan->metadata_version = std::max(plan->metadata_version, header.sequence);
    } else {
      plan->max_sequence = std::max(plan->max_sequence, header.sequence);
    }
  };
  for (const CensusChunk& chunk : census.chunks) {
    note(chunk.header);
    if (chunk.header.kind != ChunkKind::kIndexMetadata) continue;
    if (StatusOr<LsmMetadata> metadata = DecodeLsmMetadata(chunk.payload); metadata.ok()) {
      plan->next_run_id = std::max(plan->next_run_id, metadata->next_run_id);
    }
  }
  for (const CensusDamage& damage : census.damage) {
    if (damage.kind == CensusDamage::Kind::kFrame) note(damage.header);
  }
}

// Whether some of the index written after `complete` (all of it, when there is none) is lost:
// a newer metadata chunk or run that cannot be used, or index pages that hold no frame.
bool DeletesMayBeLost(const ImageCensus& census, const std::optional<CompleteIndex>& complete,
                      uint64_t newest_metadata_version, const std::vector<uint64_t>& unusable) {
  if (!complete || newest_metadata_version > complete->version) return true;
  if (std::any_of(unusable.begin(), unusable.end(),
                  [&](uint64_t id) { return id >= complete->next_run_id; })) {
    return true;
  }
  return std::any_of(census.damage.begin(), census.damage.end(), [](const CensusDamage& d) {
    return d.kind != CensusDamage::Kind::kFrame &&
           (d.owner == ExtentOwner::kIndex || d.owner == ExtentOwner::kMetadata);
  });
}

}  // namespace

SalvagePlan PlanSalvage(const ImageCensus& census, Disk* disk) {
  SS_ASSERT(census.superblock.has_value());
  SalvagePlan plan;
  SalvageReport& report = plan.report;
  report.extents_scanned = census.extents_scanned;
  NoteHighWaterMarks(census, &plan);
  Evidence evidence;
  GatherDataEvidence(census, &evidence, &report);
  std::vector<uint64_t> unusable_runs;
  for (const auto& [id, entries] : AssembleRuns(census, &report, &unusable_runs)) {
    AddRunEntries(entries, &evidence);
    for (const auto& [key, entry] : entries) {
      plan.max_sequence = std::max(plan.max_sequence, entry.sequence);
    }
  }
  const std::optional<CompleteIndex> complete = NewestCompleteIndex(census);
  report.deletes_may_be_lost =
      DeletesMayBeLost(census, complete, plan.metadata_version, unusable_runs);
  if (complete) {
    report.complete_index_version = complete->version;
    report.complete_index_horizon = complete->horizon;
    for (const auto& [key, entry] : complete->newest) {
      AddRunEntries({{key, entry}}, &evidence);
    }
    report.notes.push_back("index metadata version " + std::to_string(complete->version) +
                           " survived with every run it lists: it decides every key up to "
                           "sequence " +
                           std::to_string(complete->horizon) + ", deletes included");
  } else {
    report.notes.push_back(
        "no complete index survived: each key takes its newest surviving version, and a delete "
        "is known only if its tombstone survived in some index run");
  }
  for (const auto& [key, known] : evidence) {
    SalvagedKey fate = Decide(key, known, complete, disk, &plan.entries);
    switch (fate.fate) {
      case SalvagedKey::Fate::kRecovered:
        ++report.recovered;
        if (!fate.confirmed) ++report.recovered_unconfirmed;
        break;
      case SalvagedKey::Fate::kDeleted:
        ++report.deleted;
        break;
      case SalvagedKey::Fate::kUnrecoverable:
        ++report.unrecoverable;
        break;
    }
    report.keys.push_back(std::move(fate));
  }
  if (report.deletes_may_be_lost) {
    report.notes.push_back(
        std::string(complete ? "index changes after the complete index" : "index changes") +
        " are known only from the runs that survived whole: a key deleted there whose "
        "tombstone did not survive comes back with its last value");
  }
  if (report.recovered_unconfirmed > 0) {
    report.notes.push_back(std::to_string(report.recovered_unconfirmed) +
                           " recovered keys are known from their data chunks alone (no "
                           "surviving index names their version)");
  }
  return plan;
}

}  // namespace shardstore
