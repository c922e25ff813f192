#include "index/lsm_index.h"

#include <gtest/gtest.h>

#include "shardstore/limits.h"
#include "shardstore/sim/mem_disk.h"

namespace shardstore {
namespace {

class LsmIndexTest : public ::testing::Test {
 protected:
  LsmIndexTest() : disk_({16, 64 * kPageBytes}) { Reopen(); }

  void Reopen() {
    index_.reset();
    chunks_.reset();
    auto chunks = ChunkStore::Open({&disk_, 1, /*format_if_blank=*/true});
    ASSERT_TRUE(chunks.ok()) << chunks.status().ToString();
    chunks_ = std::move(chunks).value();
    index_ = std::make_unique<LsmIndex>(chunks_.get(), LsmOptions{8192, 4096, 6},
                                        std::make_shared<internal::DriverLink>());
    ASSERT_TRUE(index_->Recover(chunks_->index_root()).ok());
  }

  void Put(const std::string& key, uint64_t sequence) {
    index_->Insert(key, IndexEntry{sequence, false, {{1, 0, kPageBytes}}}, Dependency());
  }

  MemDisk disk_;
  std::unique_ptr<ChunkStore> chunks_;
  std::unique_ptr<LsmIndex> index_;
};

TEST_F(LsmIndexTest, FlushedEntriesSurviveReopenAndNewerRunsWin) {
  Put("a", 1);
  Put("b", 2);
  ASSERT_TRUE(index_->Flush().ok());
  Put("a", 3);
  index_->Insert("b", IndexEntry{4, true, {}}, Dependency());
  ASSERT_TRUE(index_->Flush().ok());
  Reopen();
  EXPECT_EQ(index_->Lookup("a")->sequence, 3u);
  EXPECT_TRUE(index_->Lookup("b")->tombstone);
  ASSERT_EQ(index_->Levels().size(), 1u);
  EXPECT_EQ(index_->Levels()[0].runs, 2u);
}

// A compaction whose superblock write fails is abandoned: a later superblock (here, one that
// records an extent reset) must name the previous root, not the abandoned one.
TEST_F(LsmIndexTest, AbandonedRootIsNeverCommittedLater) {
  Put("a", 1);
  ASSERT_TRUE(index_->Flush().ok());
  Put("b", 2);
  ASSERT_TRUE(index_->Flush().ok());
  const std::optional<Locator> durable_root = chunks_->index_root();
  disk_.FailNext(0, IoKind::kWrite);
  EXPECT_FALSE(index_->Compact().ok());
  EXPECT_EQ(index_->Levels()[0].runs, 2u);  // rolled back
  // A superblock with no new root of its own.
  auto spare = chunks_->Append(ExtentOwner::kData, ChunkHeader{}, "x", Bytes(10, 0), {});
  ASSERT_TRUE(spare.ok());
  chunks_->Flush().IgnoreError();  // reports the failed compaction write once
  ASSERT_TRUE(spare->dependency.Wait().ok());
  Reopen();
  EXPECT_EQ(chunks_->index_root(), durable_root);
  EXPECT_EQ(index_->Levels()[0].runs, 2u);
}

}  // namespace
}  // namespace shardstore
