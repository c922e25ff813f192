#include "shardstore/file_disk.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
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


// One writer or many readers: a second open that conflicts is refused at once, naming the cause.
TEST_F(FileDiskTest, OneWriterOrManyReaders) {
  auto writer = FileDisk::Open(path_, {geometry_, true, false});
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  auto second = FileDisk::Open(path_, {geometry_, false, false});
  EXPECT_TRUE(second.status().IsIOError());
  EXPECT_NE(second.status().ToString().find("in use by another process"), std::string::npos)
      << second.status().ToString();
  FileDiskOptions reader_options{geometry_, false, false};
  reader_options.read_only = true;
  EXPECT_TRUE(FileDisk::Open(path_, reader_options).status().IsIOError());
  writer->reset();

  auto reader = FileDisk::Open(path_, reader_options);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto other_reader = FileDisk::Open(path_, reader_options);
  EXPECT_TRUE(other_reader.ok()) << other_reader.status().ToString();
  EXPECT_TRUE(FileDisk::Open(path_, {geometry_, false, false}).status().IsIOError());
  // A reader cannot write.
  Bytes page(kPageBytes, 1);
  EXPECT_TRUE((*reader)->Write(1, 0, page).IsIOError());
  EXPECT_TRUE((*reader)->Flush().IsIOError());
  reader->reset();
  other_reader->reset();
  EXPECT_TRUE(FileDisk::Open(path_, {geometry_, false, false}).ok());
}

TEST_F(FileDiskTest, WaitForLockWaitsForTheHolder) {
  auto writer = FileDisk::Open(path_, {geometry_, true, false});
  ASSERT_TRUE(writer.ok());
  std::atomic<bool> released = false;
  std::thread holder([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    released = true;
    writer->reset();
  });
  FileDiskOptions options{geometry_, false, false};
  options.wait_for_lock = true;
  auto waiter = FileDisk::Open(path_, options);
  EXPECT_TRUE(released);
  EXPECT_TRUE(waiter.ok()) << waiter.status().ToString();
  holder.join();
}

// A create that fails (here: the lock is held) leaves no file behind, and a create never grows
// a file past what the file system can hold.
TEST_F(FileDiskTest, FailedCreateLeavesNothingBehind) {
  const DiskGeometry huge{1u << 20, 1u << 30};  // a petabyte
  auto disk = FileDisk::Open(path_, {huge, true, false});
  EXPECT_TRUE(disk.status().IsNoSpace()) << disk.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(path_));
  {
    std::ofstream(path_) << "text";
  }
  EXPECT_TRUE(FileDisk::Open(path_, {huge, true, false}).status().IsNoSpace());
  EXPECT_EQ(std::filesystem::file_size(path_), 4u);
}

}  // namespace
}  // namespace shardstore
