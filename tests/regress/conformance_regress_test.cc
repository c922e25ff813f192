// Engine bugs the conformance checker found on the clean engine, as printed by shardcheck
// (shardcheck replay <token> reruns each).
#include <gtest/gtest.h>

#include "shardstore/checker/replay.h"

namespace shardstore::checker {
namespace {

// ss1:store:-:X0,0,1.P0,0,0.B — recovery read superblock slot 0 with an injected error and
// recovered from slot 1, the older one: a transient read error rolled the store back to before
// the Put. A slot that cannot be read now fails the open with IOError (and the next open works).
TEST(ConformanceRegress, UnreadableSuperblockSlotNeverRollsTheStoreBack) {
  const Case c{HarnessKind::kStore,
               shardstore::seeded::Bug::kNone,
               {
                   op::FailDiskOnce(0, FaultIo::kRead, 1),  // FailDiskOnce(#0, read, skip 1)
                   op::Put(0, 0, 0),                        // Put(a, 0 bytes, fill 0)
                   op::Reboot(),                            // Reboot
               }};
  const Outcome outcome = RunCase(c);
  EXPECT_TRUE(outcome.ok()) << outcome.Describe();
}

// ss1:store:-:P2,24583,0.F.R0.P0,4000,0.R0.R2.P0,8193,0.P3,0,0.C.R0.P3,24583,0.P4,49155,0.P0,16288,0.P2,24583,0.D4.P0,0,0
// Put returned NoSpace with 110,592 bytes of values on a disk with 262,144 usable: reclamation
// counted as live the chunks of a run entry shadowed by a durable tombstone in the memtable, so
// it had to move them and found no room; and background reclamation gave up after that first
// extent instead of trying the next one.
TEST(ConformanceRegress, PutFindsRoomWhenMostOfTheDiskIsDead) {
  const Case c{HarnessKind::kStore,
               shardstore::seeded::Bug::kNone,
               {
                   op::Put(2, 24583, 0),
                   op::IndexFlush(),
                   op::Reclaim(0),
                   op::Put(0, 4000, 0),
                   op::Reclaim(0),
                   op::Reclaim(2),
                   op::Put(0, 8193, 0),
                   op::Put(3, 0, 0),
                   op::Compact(),
                   op::Reclaim(0),
                   op::Put(3, 24583, 0),
                   op::Put(4, 49155, 0),
                   op::Put(0, 16288, 0),
                   op::Put(2, 24583, 0),
                   op::Delete(4),
                   op::Put(0, 0, 0),
               }};
  const Outcome outcome = RunCase(c);
  EXPECT_TRUE(outcome.ok()) << outcome.Describe();
}

// ss1:store:-:X0,1,2.P0,0,0.R0.F.F.R0 — the superblock write recording a reset failed, and
// every later append to the reset extent waited on that failed write: they all failed, so the
// evacuation in the last Reclaim (and any Put landing there) failed for good. Appends now wait
// on the next superblock instead, which records the reset too.
TEST(ConformanceRegress, AFailedResetCommitDoesNotPoisonTheExtent) {
  const Case c{HarnessKind::kStore,
               shardstore::seeded::Bug::kNone,
               {
                   op::FailDiskOnce(0, FaultIo::kWrite, 2),  // FailDiskOnce(#0, write, skip 2)
                   op::Put(0, 0, 0),                         // Put(a, 0 bytes, fill 0)
                   op::Reclaim(0),                           // Reclaim(#0)  → extent 1
                   op::IndexFlush(), op::IndexFlush(),
                   op::Reclaim(0),  // Reclaim(#0)  → extent 2
               }};
  const Outcome outcome = RunCase(c);
  EXPECT_TRUE(outcome.ok()) << outcome.Describe();
}

// ss1:store:-:P1023,4096,0.R0.P1,24577,0.C.P2,0,0.P0,0,0.P1024,49155,0.B.P0,49155,0.P0,0,0.F.
// K2,4,1,0,1.R0.R4.C — after a power cut and two reclamations the index held the last free
// extents while three extents held nothing live, and Compact returned NoSpace: its merged run
// is written before the runs it replaces die, so it needs index room a flush does not, and
// nothing reclaimed the dead extents for it. Compact now reclaims when few extents are free, as
// a Put does. (Found once the key pool reached kKeyBytesMax.)
TEST(ConformanceRegress, CompactionReclaimsDeadExtentsBeforeItNeedsRoom) {
  const Case c{HarnessKind::kStore,
               shardstore::seeded::Bug::kNone,
               {
                   op::Put(1023, 4096, 0),   // Put(k1023, 4096 bytes, fill 0)
                   op::Reclaim(0),           // Reclaim(#0)
                   op::Put(1, 24577, 0),     // Put(b, 24577 bytes, fill 0)
                   op::Compact(),            // Compact
                   op::Put(2, 0, 0),         // Put(c, 0 bytes, fill 0)
                   op::Put(0, 0, 0),         // Put(a, 0 bytes, fill 0)
                   op::Put(1024, 49155, 0),  // Put(k1024, 49155 bytes, fill 0)
                   op::Reboot(),             // Reboot
                   op::Put(0, 49155, 0),     // Put(a, 49155 bytes, fill 0)
                   op::Put(0, 0, 0),         // Put(a, 0 bytes, fill 0)
                   op::IndexFlush(),         // IndexFlush
                   // DirtyReboot(during next ops, barrier 4, keep pending pages 0)
                   op::DirtyReboot(RebootType::kDuringNextOp, 4, 1, 0, 1),
                   op::Reclaim(0),  // Reclaim(#0)
                   op::Reclaim(4),  // Reclaim(#4)
                   op::Compact(),   // Compact
               }};
  const Outcome outcome = RunCase(c);
  EXPECT_TRUE(outcome.ok()) << outcome.Describe();
}

// ss1:store:-:P3,16385,0.P1023,7074,0.F.P3,0,0.P1,49155,0.P3,49155,0.F.P0,20384,0.X0,1,0.D3.P0,0,0
// A superblock write failed during a Delete, so its tombstone stayed in the memtable; the next
// Put found two extents free (the reserve), and every candidate for reclamation held chunks the
// undurable tombstone and overwrites still kept live, with no room to copy them: NoSpace with
// 126,976 bytes of values on 262,144 usable. A Put that finds no room now flushes the index
// first, which makes those chunks dead, then reclaims.
TEST(ConformanceRegress, PutAtTheReserveFlushesTheIndexBeforeItGivesUp) {
  const Case c{HarnessKind::kStore,
               shardstore::seeded::Bug::kNone,
               {
                   op::Put(3, 16385, 0),                     // Put(d, 16385 bytes, fill 0)
                   op::Put(1023, 7074, 0),                   // Put(k1023, 7074 bytes, fill 0)
                   op::IndexFlush(),                         // IndexFlush
                   op::Put(3, 0, 0),                         // Put(d, 0 bytes, fill 0)
                   op::Put(1, 49155, 0),                     // Put(b, 49155 bytes, fill 0)
                   op::Put(3, 49155, 0),                     // Put(d, 49155 bytes, fill 0)
                   op::IndexFlush(),                         // IndexFlush
                   op::Put(0, 20384, 0),                     // Put(a, 20384 bytes, fill 0)
                   op::FailDiskOnce(0, FaultIo::kWrite, 0),  // FailDiskOnce(#0, write, skip 0)
                   op::Delete(3),                            // Delete(d)
                   op::Put(0, 0, 0),                         // Put(a, 0 bytes, fill 0)
               }};
  const Outcome outcome = RunCase(c);
  EXPECT_TRUE(outcome.ok()) << outcome.Describe();
}

// ss1:store:-:P0,16385,0.V0,0.P0,0,0.V5,0.K0,1,0,0,0 — a checker bug, not the engine's: a flip
// in the old value's chunk, then one in the newer superblock slot, then a power cut. The store
// opened from the older slot and held the old value, whose damaged chunk made Get return
// Corruption; the harness knew the flipped chunk's value but accepted it only if the model
// allowed it, not if the key held it before the older slot's time, so it kept the new value and
// then miscounted the live bytes.
TEST(ConformanceRegress, DamagedValueFromTheOlderSlotIsAdopted) {
  const std::optional<Case> c = DecodeToken("ss1:store:-:P0,16385,0.V0,0.P0,0,0.V5,0.K0,1,0,0,0");
  ASSERT_TRUE(c.has_value());
  const Outcome outcome = RunCase(*c);
  EXPECT_TRUE(outcome.ok()) << outcome.Describe();
}

}  // namespace
}  // namespace shardstore::checker
