// The disk contract on a file image, for each disk that drives one: FileDisk (pread/pwrite) and
// UringDisk (io_uring; skipped where the kernel refuses io_uring). UringDisk's own behaviour
// (segments, staging, concurrency, fallback) is in uring_disk_test.cc.
#include "shardstore/file_disk.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "shardstore/image_disk.h"
#include "shardstore/limits.h"
#include "shardstore/uring_disk.h"

namespace shardstore {
namespace {

class FileDiskTest : public ::testing::TestWithParam<DiskKind> {
 protected:
  void SetUp() override {
    if (GetParam() == DiskKind::kUring) {
      if (Status available = UringDisk::Available(); !available.ok()) {
        GTEST_SKIP() << available.ToString();
      }
    }
    path_ = (std::filesystem::temp_directory_path() /
             ("shardstore-file-disk-" + std::to_string(::getpid()) + ".img"))
                .string();
    std::filesystem::remove(path_);
  }
  void TearDown() override { std::filesystem::remove(path_); }

  // Opens path_ as the disk under test.
  StatusOr<std::unique_ptr<Disk>> Open(const FileDiskOptions& options) {
    if (GetParam() == DiskKind::kUring) {
      SS_ASSIGN_OR_RETURN(std::unique_ptr<Disk> disk, UringDisk::Open(path_, options));
      return disk;
    }
    SS_ASSIGN_OR_RETURN(std::unique_ptr<Disk> disk, FileDisk::Open(path_, options));
    return disk;
  }

  std::string path_;
  const DiskGeometry geometry_{4, 16 * kPageBytes};
};

INSTANTIATE_TEST_SUITE_P(Disks, FileDiskTest, ::testing::Values(DiskKind::kFile, DiskKind::kUring),
                         [](const auto& info) { return std::string(DiskKindName(info.param)); });

TEST_P(FileDiskTest, WriteFlushReadAcrossReopen) {
  {
    auto disk = Open({geometry_, /*create=*/true, false});
    ASSERT_TRUE(disk.ok()) << disk.status().ToString();
    EXPECT_FALSE((*disk)->BypassesPageCache());
    Bytes data(2 * kPageBytes);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
    ASSERT_TRUE((*disk)->Write(3, 14 * kPageBytes, data).ok());
    ASSERT_TRUE((*disk)->Flush().ok());
  }
  EXPECT_EQ(*FileDisk::DeviceBytes(path_), geometry_.total_bytes());
  auto disk = Open({geometry_, false, false});
  ASSERT_TRUE(disk.ok());
  Bytes out(2 * kPageBytes);
  ASSERT_TRUE((*disk)->Read(3, 14 * kPageBytes, out).ok());
  for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], static_cast<uint8_t>(i * 7));
}

// Zero-filling allocates every block the open adds, and never touches bytes already there.
TEST_P(FileDiskTest, ZeroFillAllocatesTheAddedPagesAndKeepsTheRest) {
  const DiskGeometry small{2, 16 * kPageBytes};
  {
    auto disk = Open({small, /*create=*/true, false});
    ASSERT_TRUE(disk.ok()) << disk.status().ToString();
    ASSERT_TRUE((*disk)->Write(1, 15 * kPageBytes, Bytes(kPageBytes, 0xab)).ok());
    ASSERT_TRUE((*disk)->Flush().ok());
  }
  FileDiskOptions options{geometry_, /*create=*/true, false};
  options.zero_fill = true;
  auto disk = Open(options);
  ASSERT_TRUE(disk.ok()) << disk.status().ToString();
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  // The first image's sparse pages stay holes; every page it added is allocated.
  EXPECT_GE(static_cast<uint64_t>(st.st_blocks) * 512,
            geometry_.total_bytes() - small.total_bytes());
  Bytes out(kPageBytes);
  ASSERT_TRUE((*disk)->Read(1, 15 * kPageBytes, out).ok());
  EXPECT_EQ(out, Bytes(kPageBytes, 0xab));
  ASSERT_TRUE((*disk)->Read(3, 0, out).ok());
  EXPECT_EQ(out, Bytes(kPageBytes, 0));
}

TEST_P(FileDiskTest, TruncatedImageIsRefused) {
  {
    auto disk = Open({geometry_, true, false});
    ASSERT_TRUE(disk.ok());
  }
  std::filesystem::resize_file(path_, geometry_.total_bytes() - kPageBytes);
  auto disk = Open({geometry_, false, false});
  EXPECT_TRUE(disk.status().IsInvalidArgument()) << disk.status().ToString();
}

TEST_P(FileDiskTest, MissingFileIsAnError) {
  auto disk = Open({geometry_, false, false});
  EXPECT_TRUE(disk.status().IsIOError());
}

TEST_P(FileDiskTest, DirectIoWorksOrIsRefusedClearly) {
  auto disk = Open({geometry_, true, /*direct_io=*/true});
  if (!disk.ok()) {
    // tmpfs and some overlay file systems refuse O_DIRECT.
    EXPECT_TRUE(disk.status().IsInvalidArgument()) << disk.status().ToString();
    GTEST_SKIP() << disk.status().ToString();
  }
  EXPECT_TRUE((*disk)->BypassesPageCache());
  Bytes unaligned_storage(kPageBytes + 1, 0x5a);
  ByteView unaligned(unaligned_storage.data() + 1, kPageBytes);
  ASSERT_TRUE((*disk)->Write(1, 0, unaligned).ok());
  ASSERT_TRUE((*disk)->Flush().ok());
  Bytes out(kPageBytes + 1);
  ASSERT_TRUE((*disk)->Read(1, 0, MutableByteView(out.data() + 1, kPageBytes)).ok());
  EXPECT_EQ(out[1], 0x5a);
  EXPECT_EQ(out[kPageBytes], 0x5a);
}

TEST_P(FileDiskTest, BadGeometryIsRefused) {
  auto disk = Open({{4, 1000}, true, false});
  EXPECT_TRUE(disk.status().IsInvalidArgument());
}

// One writer or many readers: a second open that conflicts is refused at once, naming the cause.
TEST_P(FileDiskTest, OneWriterOrManyReaders) {
  auto writer = Open({geometry_, true, false});
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  auto second = Open({geometry_, false, false});
  EXPECT_TRUE(second.status().IsIOError());
  EXPECT_NE(second.status().ToString().find("in use by another process"), std::string::npos)
      << second.status().ToString();
  FileDiskOptions reader_options{geometry_, false, false};
  reader_options.read_only = true;
  EXPECT_TRUE(Open(reader_options).status().IsIOError());
  writer->reset();

  auto reader = Open(reader_options);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto other_reader = Open(reader_options);
  EXPECT_TRUE(other_reader.ok()) << other_reader.status().ToString();
  EXPECT_TRUE(Open({geometry_, false, false}).status().IsIOError());
  // A reader cannot write.
  Bytes page(kPageBytes, 1);
  EXPECT_TRUE((*reader)->Write(1, 0, page).IsIOError());
  EXPECT_TRUE((*reader)->Flush().IsIOError());
  reader->reset();
  other_reader->reset();
  EXPECT_TRUE(Open({geometry_, false, false}).ok());
}

TEST_P(FileDiskTest, WaitForLockWaitsForTheHolder) {
  auto writer = Open({geometry_, true, false});
  ASSERT_TRUE(writer.ok());
  std::atomic<bool> released = false;
  std::thread holder([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    released = true;
    writer->reset();
  });
  FileDiskOptions options{geometry_, false, false};
  options.wait_for_lock = true;
  auto waiter = Open(options);
  EXPECT_TRUE(released);
  EXPECT_TRUE(waiter.ok()) << waiter.status().ToString();
  holder.join();
}

// A create that fails (here: the lock is held) leaves no file behind, and a create never grows
// a file past what the file system can hold.
TEST_P(FileDiskTest, FailedCreateLeavesNothingBehind) {
  const DiskGeometry huge{1u << 20, 1u << 30};  // a petabyte
  auto disk = Open({huge, true, false});
  EXPECT_TRUE(disk.status().IsNoSpace()) << disk.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(path_));
  { std::ofstream(path_) << "text"; }
  EXPECT_TRUE(Open({huge, true, false}).status().IsNoSpace());
  EXPECT_EQ(std::filesystem::file_size(path_), 4u);
}

}  // namespace
}  // namespace shardstore
