// SalvagePlan: what salvage does with each key, decided from an ImageCensus. This is the
// policy; SalvageImage (store/salvage.cc) carries it out.
//
// Evidence, per key: the versions its data chunks carry (intact, or damaged with a verified
// header), tombstones and versions named by every index run that survived whole (live or
// dead), and the newest *complete* index: the newest metadata chunk whose every run is intact at
// the locators it lists. That index is the engine's own record of every key up to its
// *horizon*, the highest sequence it holds: any change with a lower sequence was in the memtable
// or the runs when it was written. So for a key whose evidence all lies at or below the horizon,
// the complete index decides: its entry (the value, if every part is intact), or deleted (a
// tombstone, or no entry: compaction dropped it). Above the horizon, or with no complete index,
// the newest version any evidence names decides: a tombstone deletes the key; a data version is
// recovered if every part is intact and all copies agree, and otherwise the key is unrecoverable
// — never an older version, which the newest may have overwritten.
//
// Thread-safety: pure, apart from reading the disk to compare two copies of one part.
#pragma once

#include <cstdint>

#include "index/index_entry.h"
#include "shardstore/disk.h"
#include "shardstore/salvage.h"
#include "store/image_census.h"

namespace shardstore {

struct SalvagePlan {
  SalvageReport report;      // keys, counts and notes; nothing about writing
  RunEntries entries;        // the rebuilt index: recovered values, and tombstones for deleted keys
                             // whose data chunks remain
  uint64_t next_run_id = 1;  // above every run id seen, intact or damaged
  uint64_t metadata_version = 0;  // the highest metadata version seen
  uint64_t max_sequence = 0;      // the highest sequence any chunk or run entry carries
};

// REQUIRES: census.superblock (the extents were scanned). `disk` is read only to compare two
// intact copies of one part byte for byte.
SalvagePlan PlanSalvage(const ImageCensus& census, Disk* disk);

}  // namespace shardstore
