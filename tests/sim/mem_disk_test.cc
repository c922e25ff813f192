#include "shardstore/sim/mem_disk.h"

#include <gtest/gtest.h>

#include "shardstore/limits.h"

namespace shardstore {
namespace {

constexpr DiskGeometry kGeometry{4, 16 * kPageBytes};

Bytes Page(uint8_t fill) { return Bytes(kPageBytes, fill); }

Bytes ReadPage(MemDisk& disk, uint32_t extent, uint32_t offset) {
  Bytes out(kPageBytes);
  EXPECT_TRUE(disk.Read(extent, offset, out).ok());
  return out;
}

TEST(MemDiskTest, UnwrittenReadsAsZeros) {
  MemDisk disk(kGeometry);
  EXPECT_EQ(ReadPage(disk, 3, 15 * kPageBytes), Page(0));
}

TEST(MemDiskTest, ReadsSeeUnflushedWrites) {
  MemDisk disk(kGeometry);
  ASSERT_TRUE(disk.Write(1, 0, Page(7)).ok());
  EXPECT_EQ(ReadPage(disk, 1, 0), Page(7));
  EXPECT_EQ(disk.PendingPages().size(), 1u);
}

TEST(MemDiskTest, CrashLosesUnflushedAndKeepsFlushed) {
  MemDisk disk(kGeometry);
  ASSERT_TRUE(disk.Write(1, 0, Page(1)).ok());
  ASSERT_TRUE(disk.Flush().ok());
  ASSERT_TRUE(disk.Write(1, 0, Page(2)).ok());
  ASSERT_TRUE(disk.Write(1, kPageBytes, Page(3)).ok());
  disk.CrashLosingAll();
  EXPECT_EQ(ReadPage(disk, 1, 0), Page(1));
  EXPECT_EQ(ReadPage(disk, 1, kPageBytes), Page(0));
  EXPECT_TRUE(disk.PendingPages().empty());
}

TEST(MemDiskTest, CrashKeepsAChosenSubsetAndTearsAtSectors) {
  MemDisk disk(kGeometry);
  Bytes two_pages = Page(5);
  two_pages.resize(2 * kPageBytes, 6);
  ASSERT_TRUE(disk.Write(2, 0, two_pages).ok());
  ASSERT_TRUE(disk.Write(2, 2 * kPageBytes, Page(9)).ok());
  const auto pending = disk.PendingPages();
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_EQ(pending[1].offset, kPageBytes);
  const MemDisk::SectorsKept plan[] = {MemDisk::kPageWhole, 3, MemDisk::kPageLost};
  disk.Crash(plan);
  EXPECT_EQ(ReadPage(disk, 2, 0), Page(5));
  Bytes torn = ReadPage(disk, 2, kPageBytes);
  for (uint32_t i = 0; i < kPageBytes; ++i) {
    ASSERT_EQ(torn[i], i < 3 * kSectorBytes ? 6 : 0) << "byte " << i;
  }
  EXPECT_EQ(ReadPage(disk, 2, 2 * kPageBytes), Page(0));
}

TEST(MemDiskTest, CrashPlanCanTearASectorInItsMiddle) {
  MemDisk disk(kGeometry);
  ASSERT_TRUE(disk.Write(2, 0, Page(4)).ok());
  ASSERT_TRUE(disk.Flush().ok());
  ASSERT_TRUE(disk.Write(2, 0, Page(6)).ok());
  ASSERT_TRUE(disk.Write(2, kPageBytes, Page(9)).ok());
  // The first page keeps one sector and 64 bytes of the next, new; the rest stays old.
  disk.Crash(
      MemDisk::CrashPlan{.keep_mask = 0, .torn_page = 1, .torn_sectors = 1, .torn_bytes = 64});
  const Bytes torn = ReadPage(disk, 2, 0);
  for (uint32_t i = 0; i < kPageBytes; ++i) {
    ASSERT_EQ(torn[i], i < kSectorBytes + 64 ? 6 : 4) << "byte " << i;
  }
  EXPECT_EQ(ReadPage(disk, 2, kPageBytes), Page(0));
  EXPECT_TRUE(disk.PendingPages().empty());
}

TEST(MemDiskTest, InjectedFaultsFailOnceAndAreTagged) {
  MemDisk disk(kGeometry);
  disk.FailNext(1, IoKind::kWrite, /*skip=*/1);
  EXPECT_TRUE(disk.Write(1, 0, Page(1)).ok());
  const Status failed = disk.Write(1, kPageBytes, Page(1));
  EXPECT_TRUE(failed.IsIOError());
  EXPECT_EQ(failed.message().rfind("injected:", 0), 0u);
  EXPECT_TRUE(disk.Write(1, kPageBytes, Page(1)).ok());
  disk.FailNext(3, IoKind::kRead);
  Bytes out(kPageBytes);
  EXPECT_TRUE(disk.Read(2, 0, out).ok());  // another extent is unaffected
  EXPECT_TRUE(disk.Read(3, 0, out).IsIOError());
  EXPECT_TRUE(disk.Read(3, 0, out).ok());
}

TEST(MemDiskTest, EventLogRecordsOrder) {
  MemDisk disk(kGeometry);
  disk.RecordEvents(true);
  ASSERT_TRUE(disk.Write(1, 0, Page(1)).ok());
  ASSERT_TRUE(disk.Flush().ok());
  const auto events = disk.Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, MemDisk::Event::Kind::kWrite);
  EXPECT_EQ(events[1].kind, MemDisk::Event::Kind::kFlush);
}

TEST(MemDiskTest, MisalignedAccessIsAProgrammerError) {
  MemDisk disk(kGeometry);
  Bytes half(kPageBytes / 2);
  EXPECT_THROW(disk.Write(1, 0, half).IgnoreError(), AssertionFailure);
  EXPECT_THROW(disk.Write(4, 0, Page(0)).IgnoreError(), AssertionFailure);
  EXPECT_THROW(disk.Write(1, 16 * kPageBytes, Page(0)).IgnoreError(), AssertionFailure);
}

}  // namespace
}  // namespace shardstore
