// Counterexamples found by the property tests, shrunk and pinned. Each test names the property
// that found it and the bug it caught.
#include <gtest/gtest.h>

#include "chunkstore/chunk_store.h"
#include "shardstore/limits.h"
#include "shardstore/sim/mem_disk.h"

namespace shardstore {
namespace {

// ChunkStoreConformance, shrunk to 5 steps: [Append(k0, 4001 bytes), Reset(#0),
// Append(k0, 0 bytes), Append(k0, 3999 bytes), Read(#0)]. A read at the reset chunk's old
// locator spanned two queued (unissued) appends; it read the disk, which still held the old
// chunk, and returned its bytes. Reads now lay queued writes over the disk's bytes.
TEST(ChunkStoreRegress, ReadAcrossQueuedAppendsAfterResetNeverReturnsTheOldChunk) {
  MemDisk disk({10, 16 * kPageBytes});
  auto store = ChunkStore::Open({&disk, 1, /*format_if_blank=*/true});
  ASSERT_TRUE(store.ok());
  ChunkHeader header;
  auto old = (*store)->Append(ExtentOwner::kData, header, "k0", Bytes(4001, 0), {});
  ASSERT_TRUE(old.ok());
  ASSERT_TRUE((*store)->Flush().ok());
  ASSERT_TRUE((*store)->Reset(old->locator.extent).ok());
  ASSERT_TRUE((*store)->Append(ExtentOwner::kData, header, "k0", Bytes(), {}).ok());
  ASSERT_TRUE((*store)->Append(ExtentOwner::kData, header, "k0", Bytes(3999, 0), {}).ok());
  EXPECT_FALSE((*store)->Read(old->locator).ok());
}

}  // namespace
}  // namespace shardstore
