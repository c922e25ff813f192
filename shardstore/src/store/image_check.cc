// CheckImage: the census's damage, then what the index (if it loads) says about each place.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "shardstore/salvage.h"
#include "shardstore/store.h"
#include "store/image_census.h"
#include "store/store_impl.h"

namespace shardstore {
namespace {

ChunkKind KindOf(LiveChunk::Kind kind) {
  switch (kind) {
    case LiveChunk::Kind::kData:
      return ChunkKind::kData;
    case LiveChunk::Kind::kIndexRun:
      return ChunkKind::kIndexRun;
    case LiveChunk::Kind::kIndexMetadata:
      return ChunkKind::kIndexMetadata;
  }
  SS_ASSERT_MSG(false, "unknown LiveChunk kind");
  return ChunkKind::kData;
}

ExtentOwner OwnerFor(ChunkKind kind) {
  switch (kind) {
    case ChunkKind::kData:
    case ChunkKind::kTombstone:
      return ExtentOwner::kData;
    case ChunkKind::kIndexRun:
      return ExtentOwner::kIndex;
    case ChunkKind::kIndexMetadata:
      return ExtentOwner::kMetadata;
  }
  return ExtentOwner::kFree;
}

ImageDamage FromCensus(const CensusDamage& damage) {
  ImageDamage out;
  out.extent = damage.range.extent;
  out.offset = damage.range.offset;
  out.bytes = damage.range.length;
  switch (damage.kind) {
    case CensusDamage::Kind::kFrame:
      out.kind = ChunkKindName(damage.header.kind);
      out.key =
          damage.header.kind == ChunkKind::kData || damage.header.kind == ChunkKind::kTombstone
              ? damage.key
              : "";
      break;
    case CensusDamage::Kind::kNoFrame:
      out.kind = "no frame";
      break;
    case CensusDamage::Kind::kUnreadable:
      out.kind = "unreadable";
      break;
  }
  out.what = damage.error.ToString();
  if (damage.kind == CensusDamage::Kind::kFrame) {
    out.what += " (sequence " + std::to_string(damage.header.sequence) + ", part " +
                std::to_string(damage.header.part_index) + " of " +
                std::to_string(damage.header.part_count) + ")";
  }
  return out;
}

// Damage the label, slots and extent walk found, in extent and offset order.
void ReportCensus(const ImageCensus& census, Disk* disk, CheckReport* report) {
  const uint32_t extent_count = disk->geometry().extent_count;
  for (int slot : {0, 1}) {
    const Status& status = census.slot_status[static_cast<size_t>(slot)];
    if (status.ok()) {
      ++report->superblock_slots_valid;
      continue;
    }
    report->damage.push_back({0, SuperblockSlotOffset(extent_count, slot),
                              SuperblockSlotBytes(extent_count),
                              "superblock slot " + std::to_string(slot), "", status.ToString(),
                              ImageDamage::Need::kUnknown});
  }
  if (!census.superblock) {
    report->damage.push_back({0, 0, 0, "superblock", "",
                              "no valid superblock: no extent could be scanned",
                              ImageDamage::Need::kLive});
    return;
  }
  report->superblock_sequence = census.superblock->sequence;
  report->extents_scanned = census.extents_scanned;
  report->bytes_scanned = census.bytes_scanned;
  report->chunks_intact = census.chunks.size();
  for (const CensusDamage& damage : census.damage) report->damage.push_back(FromCensus(damage));
  for (const CensusChunk& chunk : census.chunks) {
    if (OwnerFor(chunk.header.kind) == chunk.owner) continue;
    report->damage.push_back({chunk.locator.extent, chunk.locator.offset, chunk.locator.length,
                              ChunkKindName(chunk.header.kind), "",
                              "an intact " + ChunkKindName(chunk.header.kind) + " in " +
                                  std::string(ExtentOwnerName(chunk.owner)) +
                                  " extent, where the engine never writes one",
                              ImageDamage::Need::kUnknown});
  }
  std::stable_sort(report->damage.begin(), report->damage.end(),
                   [](const ImageDamage& a, const ImageDamage& b) {
                     return std::pair(a.extent, a.offset) < std::pair(b.extent, b.offset);
                   });
}

// With the index loaded: marks each damaged place needed or dead, and reports every chunk the
// index needs that is neither intact nor already reported.
void ReportLiveChunks(const ImageCensus& census, Store* store, CheckReport* report) {
  const std::vector<LiveChunk> live = StoreInternals(*store).LiveChunks();
  std::map<std::pair<uint32_t, uint32_t>, const LiveChunk*> by_place;
  for (const LiveChunk& chunk : live) {
    by_place.emplace(std::pair(chunk.locator.extent, chunk.locator.offset), &chunk);
  }
  std::map<Locator, const CensusChunk*> intact;
  for (const CensusChunk& chunk : census.chunks) intact.emplace(chunk.locator, &chunk);
  std::vector<bool> covered(live.size(), false);
  for (ImageDamage& damage : report->damage) {
    if (damage.extent == 0 || damage.bytes == 0) continue;
    damage.need = ImageDamage::Need::kDead;
    // Live chunks overlapping [offset, offset + bytes): the one starting at or before it, then
    // those starting inside it.
    auto at = by_place.upper_bound(std::pair(damage.extent, damage.offset));
    if (at != by_place.begin()) --at;
    for (; at != by_place.end() && at->first.first == damage.extent &&
           at->first.second < uint64_t{damage.offset} + damage.bytes;
         ++at) {
      if (at->second->locator.end() <= damage.offset) continue;
      damage.need = ImageDamage::Need::kLive;
      if (damage.key.empty()) damage.key = at->second->key;
      covered[static_cast<size_t>(at->second - live.data())] = true;
    }
  }
  for (size_t i = 0; i < live.size(); ++i) {
    const LiveChunk& chunk = live[i];
    auto found = intact.find(chunk.locator);
    const bool whole = found != intact.end() && found->second->header.kind == KindOf(chunk.kind) &&
                       (chunk.kind != LiveChunk::Kind::kData || found->second->key == chunk.key);
    if (whole || covered[i]) continue;
    report->damage.push_back({chunk.locator.extent, chunk.locator.offset, chunk.locator.length,
                              ChunkKindName(KindOf(chunk.kind)), chunk.key,
                              "the index names a chunk here, but no intact frame of that kind "
                              "and key starts at this place",
                              ImageDamage::Need::kLive});
  }
}

}  // namespace

StatusOr<CheckReport> CheckImage(Disk* disk) {
  SS_ASSERT(disk != nullptr);
  SS_ASSIGN_OR_RETURN(ImageCensus census, TakeImageCensus(disk));
  CheckReport report;
  report.geometry = disk->geometry();
  ReportCensus(census, disk, &report);
  if (!census.superblock) return report;
  StoreOptions options;
  options.disk = disk;
  options.read_only = true;  // writes nothing: no boot commit, no flush
  StatusOr<std::unique_ptr<Store>> store = Store::Open(options);
  if (!store.ok()) {
    report.damage.push_back(
        {0, 0, 0, "index", "",
         store.status().ToString() + "; salvage can rebuild the index from the data chunks",
         ImageDamage::Need::kLive});
    return report;
  }
  report.index_loaded = true;
  report.keys = (*store)->Stat().keys;
  ReportLiveChunks(census, store->get(), &report);
  const bool live_damage =
      std::any_of(report.damage.begin(), report.damage.end(),
                  [](const ImageDamage& d) { return d.need == ImageDamage::Need::kLive; });
  // Verify also checks what the frames hold against the index (sequence, part): a mismatch no
  // frame check sees.
  if (Status verified = (*store)->Verify(); !verified.ok() && !live_damage) {
    report.damage.push_back({0, 0, 0, "index", "", verified.ToString(), ImageDamage::Need::kLive});
  }
  (*store)->Shutdown().IgnoreError();  // read-only: only refuses further calls
  return report;
}

}  // namespace shardstore
