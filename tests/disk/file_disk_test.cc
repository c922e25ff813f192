#include "shardstore/file_disk.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "shardstore/limits.h"

namespace shardstore {
namespace {

class FileDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("shardstore-file-disk-" + std::to_string(::getpid()) + ".img"))
                .string();
    std::filesystem::remove(path_);
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::string path_;
  const DiskGeometry geometry_{4, 16 * kPageBytes};
};

TEST_F(FileDiskTest, WriteFlushReadAcrossReopen) {
  {
    auto disk = FileDisk::Open(path_, {geometry_, /*create=*/true, false});
    ASSERT_TRUE(disk.ok()) << disk.status().ToString();
    Bytes data(2 * kPageBytes);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
    ASSERT_TRUE((*disk)->Write(3, 14 * kPageBytes, data).ok());
    ASSERT_TRUE((*disk)->Flush().ok());
  }
  EXPECT_EQ(*FileDisk::DeviceBytes(path_), geometry_.total_bytes());
  auto disk = FileDisk::Open(path_, {geometry_, false, false});
  ASSERT_TRUE(disk.ok());
  Bytes out(2 * kPageBytes);
  ASSERT_TRUE((*disk)->Read(3, 14 * kPageBytes, out).ok());
  for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], static_cast<uint8_t>(i * 7));
}

TEST_F(FileDiskTest, TruncatedImageIsRefused) {
  {
    auto disk = FileDisk::Open(path_, {geometry_, true, false});
    ASSERT_TRUE(disk.ok());
  }
  std::filesystem::resize_file(path_, geometry_.total_bytes() - kPageBytes);
  auto disk = FileDisk::Open(path_, {geometry_, false, false});
  EXPECT_TRUE(disk.status().IsInvalidArgument()) << disk.status().ToString();
}

TEST_F(FileDiskTest, MissingFileIsAnError) {
  auto disk = FileDisk::Open(path_, {geometry_, false, false});
  EXPECT_TRUE(disk.status().IsIOError());
}

TEST_F(FileDiskTest, DirectIoWorksOrIsRefusedClearly) {
  auto disk = FileDisk::Open(path_, {geometry_, true, /*direct_io=*/true});
  if (!disk.ok()) {
    // tmpfs and some overlay file systems refuse O_DIRECT.
    EXPECT_TRUE(disk.status().IsInvalidArgument()) << disk.status().ToString();
    GTEST_SKIP() << disk.status().ToString();
  }
  Bytes unaligned_storage(kPageBytes + 1, 0x5a);
  ByteView unaligned(unaligned_storage.data() + 1, kPageBytes);
  ASSERT_TRUE((*disk)->Write(1, 0, unaligned).ok());
  ASSERT_TRUE((*disk)->Flush().ok());
  Bytes out(kPageBytes + 1);
  ASSERT_TRUE((*disk)->Read(1, 0, MutableByteView(out.data() + 1, kPageBytes)).ok());
  EXPECT_EQ(out[1], 0x5a);
  EXPECT_EQ(out[kPageBytes], 0x5a);
}

TEST_F(FileDiskTest, BadGeometryIsRefused) {
  auto disk = FileDisk::Open(path_, {{4, 1000}, true, false});
  EXPECT_TRUE(disk.status().IsInvalidArgument());
}

}  // namespace
}  // namespace shardstore
