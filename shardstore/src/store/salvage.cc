// SalvageImage: census, plan, then the rebuilt index written as the engine writes one.
#include "shardstore/salvage.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "chunkstore/chunk_store.h"
#include "index/lsm_index.h"
#include "io/write_node.h"
#include "shardstore/limits.h"
#include "shardstore/store.h"
#include "store/image_census.h"
#include "store/salvage_plan.h"

namespace shardstore {
namespace {

uint32_t RunChunkBytes(const SalvageOptions& options, const DiskGeometry& geometry) {
  if (options.chunk_payload_bytes_max != 0) return options.chunk_payload_bytes_max;
  return std::min(kChunkPayloadBytesDefault, geometry.extent_bytes / 4);
}

StoreOptions ReadOnlyStore(Disk* disk) {
  StoreOptions options;
  options.disk = disk;
  options.read_only = true;
  return options;
}

// Appends the plan's entries as the whole index, after a boot commit, and makes it durable:
// runs, metadata, and a superblock naming it. Everything goes at the write pointers, so a crash
// before the last superblock leaves the image as it was.
Status WriteIndex(const SalvageOptions& options, SalvagePlan plan) {
  ChunkStoreOptions chunk_options;
  chunk_options.disk = options.disk;
  chunk_options.seed = options.seed;
  SS_ASSIGN_OR_RETURN(std::unique_ptr<ChunkStore> chunks, ChunkStore::Open(chunk_options));
  // Chunks appended past the persisted write pointers carry sequences the superblock's counter
  // has not reached: the rebuilt index's superblock must hand out only later ones.
  chunks->SequenceAbove(plan.max_sequence);
  LsmOptions lsm;
  lsm.chunk_payload_bytes_max = RunChunkBytes(options, options.disk->geometry());
  auto index =
      std::make_unique<LsmIndex>(chunks.get(), lsm, std::make_shared<internal::DriverLink>());
  const Status rebuilt =
      index->Rebuild(std::move(plan.entries), plan.next_run_id, plan.metadata_version);
  index.reset();
  const Status flushed = chunks->Flush();
  SS_RETURN_IF_ERROR(rebuilt.WithContext("writing the rebuilt index"));
  return flushed;
}

// The rebuilt image must open as any other and hold exactly the recovered keys.
Status VerifyRebuilt(Disk* disk, const SalvageReport& report) {
  SS_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(ReadOnlyStore(disk)));
  SS_RETURN_IF_ERROR(store->Verify());
  SS_ASSIGN_OR_RETURN(std::vector<std::string> keys, store->List());
  if (keys.size() != report.recovered) {
    return Status::Corruption("the rebuilt index lists " + std::to_string(keys.size()) +
                              " keys, salvage recovered " + std::to_string(report.recovered));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<SalvageReport> SalvageImage(const SalvageOptions& options) {
  SS_ASSERT_MSG(options.disk != nullptr, "SalvageOptions.disk is required");
  SS_ASSIGN_OR_RETURN(ImageCensus census, TakeImageCensus(options.disk));
  if (!census.superblock) {
    return Status::InvalidArgument(
        "no valid superblock (slot 0: " + census.slot_status[0].ToString() +
        "; slot 1: " + census.slot_status[1].ToString() +
        "): salvage needs one to know which extents hold data and how far they were written");
  }
  SalvagePlan plan = PlanSalvage(census, options.disk);
  SalvageReport& report = plan.report;
  report.index_loaded = Store::Open(ReadOnlyStore(options.disk)).ok();
  if (report.index_loaded && !options.force) {
    report.notes.push_back(
        "the index loads as it is: nothing rebuilt (it is the better record, deletes included; "
        "force a rebuild to replace it anyway)");
    return std::move(report);
  }
  if (options.dry_run) return std::move(report);
  SalvageReport written = report;
  SS_RETURN_IF_ERROR(WriteIndex(options, std::move(plan)));
  SS_RETURN_IF_ERROR(VerifyRebuilt(options.disk, written).WithContext("after salvage"));
  written.rebuilt = true;
  return written;
}

}  // namespace shardstore
