// StoreImpl::ReplayTails: recovery of the Puts and Deletes made durable after the last index
// flush. A Put is durable once its chunks are (ChunkStore follows each data extent's chain past
// its persisted write pointer at open); the index learns of it later. Each data extent's replay
// floor (persisted in the superblock, moved by every index flush) marks where the chunks the
// index does not hold yet begin, so recovery scans from there to the write pointer (the chain's
// end) and puts what it finds into the memtable.
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "chunkstore/chunk_store.h"
#include "hooks/coverage_site.h"
#include "hooks/seeded_bug_site.h"
#include "index/lsm_index.h"
#include "store/store_impl.h"

namespace shardstore {
namespace {

SS_COVERAGE_POINT(kReplayedValue, "recovery replayed a value appended after the index flush");
SS_COVERAGE_POINT(kReplayedTombstone, "recovery replayed a delete's tombstone");
SS_COVERAGE_POINT(kReplayedOverRunEntry, "a replayed version replaced the one the runs hold");
SS_COVERAGE_POINT(kReplaySkippedOlder, "recovery skipped a version older than the index's");
SS_COVERAGE_POINT(kReplaySkippedPartial, "recovery skipped a value missing some of its parts");

// One version of a key found past the floors: a value's parts, or a tombstone.
struct TailVersion {
  std::string key;
  uint64_t sequence = 0;
  bool tombstone = false;
  uint32_t part_count = 0;
  // Parts as found, by part index. Only what the scan met: a hostile header's part count never
  // sizes anything.
  std::map<uint32_t, Locator> parts;
};

}  // namespace

Status StoreImpl::ReplayTails() {
  // In scan order: extents ascending, offsets ascending. Keyed by (key, sequence), so that the
  // parts of a value (and a relocated copy of one) land in the same version.
  std::vector<TailVersion> versions;
  std::map<std::pair<std::string, uint64_t>, size_t, std::less<>> by_version;
  Status damaged;
  uint64_t sequence_max = 0;
  for (const uint32_t extent : chunks_->ExtentsOwnedBy(ExtentOwner::kData)) {
    const uint32_t from = chunks_->replay_from(extent);
    const auto visit = [&](const Locator& locator, const ChunkView& chunk) {
      const ChunkHeader& h = chunk.header;
      const bool wanted = h.kind == ChunkKind::kData || (h.kind == ChunkKind::kTombstone &&
                                                         !SS_SEEDED_BUG(kReplayIgnoresTombstones));
      if (!wanted) return;
      sequence_max = std::max(sequence_max, h.sequence);
      auto [it, fresh] = by_version.try_emplace(std::make_pair(std::string(chunk.key), h.sequence),
                                                versions.size());
      if (fresh) {
        TailVersion version;
        version.key = std::string(chunk.key);
        version.sequence = h.sequence;
        version.tombstone = h.kind == ChunkKind::kTombstone;
        version.part_count = version.tombstone ? 0 : h.part_count;
        versions.push_back(std::move(version));
      }
      TailVersion& version = versions[it->second];
      const bool tombstone = h.kind == ChunkKind::kTombstone;
      if (tombstone != version.tombstone || (!tombstone && h.part_count != version.part_count)) {
        if (damaged.ok()) {
          damaged = Status::Corruption("chunks of " + version.key + " at sequence " +
                                       std::to_string(h.sequence) + " disagree on their kind or " +
                                       "part count (" + locator.ToString() + ")");
        }
        return;
      }
      if (tombstone) return;
      // A relocated copy of a part serves as well as the original.
      version.parts[h.part_index] = locator;
    };
    const auto damage = [&](const Locator& locator, const ChunkHeader& header, std::string_view key,
                            const Status& status) {
      if (damaged.ok()) {
        damaged = Status::Corruption(
            "the chunk at " + locator.ToString() + " (key " + std::string(key) + ", sequence " +
            std::to_string(header.sequence) +
            ") was appended after the last index flush and is damaged, " +
            "so a durable Put or Delete may be lost: " + status.ToString() + "; salvage the disk");
      }
    };
    SS_RETURN_IF_ERROR(chunks_->Scan(extent, visit, damage, from));
  }
  SS_RETURN_IF_ERROR(damaged);
  chunks_->SequenceAbove(sequence_max);

  // Newest sequence wins, whatever the scan order: extents are reused in any order, and a
  // reclamation copies old versions past newer ones.
  std::set<std::string, std::less<>> replayed;  // only the seeded bug looks at it
  for (TailVersion& version : versions) {
    if (version.parts.size() != version.part_count) {
      // A crash took the rest: the Put was never durable, and its chunks are garbage.
      SS_COVER(kReplaySkippedPartial);
      continue;
    }
    const std::optional<IndexEntry> current = index_->Lookup(version.key);
    if (SS_SEEDED_BUG(kReplayKeepsFirstVersionScanned)
            ? replayed.contains(version.key)
            : current && current->sequence >= version.sequence) {
      SS_COVER(kReplaySkippedOlder);
      continue;
    }
    if (current && !index_->InMemtable(version.key)) SS_COVER(kReplayedOverRunEntry);
    if (version.tombstone) {
      SS_COVER(kReplayedTombstone);
    } else {
      SS_COVER(kReplayedValue);
    }
    replayed.insert(version.key);
    // Durable already: the entry's data dependency is met.
    std::vector<Locator> parts;  // in part order: the map's keys are 0 .. part_count - 1
    parts.reserve(version.parts.size());
    for (const auto& [index, locator] : version.parts) parts.push_back(locator);
    index_->Insert(version.key, IndexEntry{version.sequence, version.tombstone, std::move(parts)},
                   Dependency());
  }
  return Status::Ok();
}

}  // namespace shardstore
