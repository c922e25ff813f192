// UringDisk beyond the disk contract (file_disk_test.cc runs that on it): IOs cut into many
// segments, aligned and staged buffers under O_DIRECT (and a Store whose puts never stage their
// bytes), concurrent callers on separate rings, and
// the fallback to FileDisk where io_uring is refused (forced with SHARDSTORE_DISABLE_IO_URING).
#include "shardstore/uring_disk.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "shardstore/image_disk.h"
#include "shardstore/limits.h"
#include "shardstore/store.h"

namespace shardstore {
namespace {

// Bytes that differ at every page of every extent, so a misplaced segment shows.
uint8_t Pattern(uint32_t extent, uint64_t offset) {
  return static_cast<uint8_t>((extent * 131 + offset / kPageBytes * 7 + offset) & 0xff);
}

class UringDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Status available = UringDisk::Available(); !available.ok()) {
      GTEST_SKIP() << available.ToString();
    }
    path_ = (std::filesystem::temp_directory_path() /
             ("shardstore-uring-disk-" + std::to_string(::getpid()) + ".img"))
                .string();
    std::filesystem::remove(path_);
  }
  void TearDown() override { std::filesystem::remove(path_); }

  std::string path_;
  const DiskGeometry geometry_{4, 4u << 20};
};

TEST_F(UringDiskTest, ManySegmentsAlignedAndStagedReadBackThroughFileDisk) {
  const uint32_t bytes = 3 * kUringSegmentBytes + 5 * kPageBytes;  // several segments, one short
  {
    auto disk = UringDisk::Open(path_, {geometry_, /*create=*/true, /*direct_io=*/true});
    ASSERT_TRUE(disk.ok()) << disk.status().ToString();
    // Extent 1 from an unaligned buffer (staged), extent 2 from page-aligned pieces (direct).
    Bytes unaligned_storage(bytes + 1);
    MutableByteView unaligned(unaligned_storage.data() + 1, bytes);
    for (uint32_t i = 0; i < bytes; ++i) unaligned[i] = Pattern(1, i);
    ASSERT_TRUE((*disk)->Write(1, 0, unaligned).ok());
    EXPECT_EQ((*disk)->staged_bytes(), bytes);
    void* raw = nullptr;
    ASSERT_EQ(posix_memalign(&raw, kPageBytes, bytes), 0);
    std::unique_ptr<uint8_t, void (*)(void*)> aligned(static_cast<uint8_t*>(raw), &std::free);
    for (uint32_t i = 0; i < bytes; ++i) aligned.get()[i] = Pattern(2, kPageBytes + i);
    const uint32_t half = bytes / 2 / kPageBytes * kPageBytes;
    const ByteView pieces[] = {ByteView(aligned.get(), half),
                               ByteView(aligned.get() + half, bytes - half)};
    ASSERT_TRUE((*disk)->WriteGather(2, kPageBytes, pieces).ok());
    EXPECT_EQ((*disk)->staged_bytes(), bytes) << "aligned pieces went through the staging copy";
    // Read back before the flush (the device holds unflushed writes too), into unaligned memory.
    Bytes out_storage(bytes + 1);
    MutableByteView out(out_storage.data() + 1, bytes);
    ASSERT_TRUE((*disk)->Read(2, kPageBytes, out).ok());
    for (uint32_t i = 0; i < bytes; ++i) ASSERT_EQ(out[i], Pattern(2, kPageBytes + i)) << i;
    EXPECT_EQ((*disk)->staged_bytes(), 2 * uint64_t{bytes});
    ASSERT_TRUE((*disk)->Flush().ok());
  }
  auto file = FileDisk::Open(path_, {geometry_, false, false});
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  Bytes out(bytes);
  ASSERT_TRUE((*file)->Read(1, 0, out).ok());
  for (uint32_t i = 0; i < bytes; ++i) ASSERT_EQ(out[i], Pattern(1, i)) << i;
  ASSERT_TRUE((*file)->Read(2, kPageBytes, out).ok());
  for (uint32_t i = 0; i < bytes; ++i) ASSERT_EQ(out[i], Pattern(2, kPageBytes + i)) << i;
}

// The engine's frames are page-aligned: a Store on an O_DIRECT UringDisk puts values of one
// page, of many pages and of several chunks, with their index and superblock, without one byte
// through the staging copy, and gets them back from the device (a fresh Store, nothing cached).
TEST_F(UringDiskTest, StorePutsWithoutStaging) {
  auto disk = UringDisk::Open(path_, {{16, 4u << 20}, true, true});
  ASSERT_TRUE(disk.ok()) << disk.status().ToString();
  ASSERT_TRUE(Store::Format(disk->get(), 3).ok());
  StoreOptions options;
  options.disk = disk->get();
  options.chunk_payload_bytes_max = 256u << 10;  // the largest value spans several chunks
  const std::vector<size_t> sizes = {1, 4000, 4096, 65536, (600u << 10) + 7};
  auto value = [](size_t size, size_t i) {
    Bytes v(size);
    for (size_t b = 0; b < size; ++b) v[b] = static_cast<uint8_t>(b * 31 + i);
    return v;
  };
  {
    auto store = Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    const uint64_t before = (*disk)->staged_bytes();
    for (size_t i = 0; i < sizes.size(); ++i) {
      ASSERT_TRUE((*store)->Put("key" + std::to_string(i), value(sizes[i], i)).ok());
    }
    ASSERT_TRUE((*store)->Flush().ok());
    EXPECT_EQ((*disk)->staged_bytes(), before) << "puts and their flush staged bytes";
    ASSERT_TRUE((*store)->Shutdown().ok());
  }
  auto store = Store::Open(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (size_t i = 0; i < sizes.size(); ++i) {
    StatusOr<Bytes> got = (*store)->Get("key" + std::to_string(i));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, value(sizes[i], i)) << i;
  }
}

// Readers on several threads at once, each on its own ring, each getting its own pages.
TEST_F(UringDiskTest, ConcurrentReadersGetTheirOwnBytes) {
  auto disk = UringDisk::Open(path_, {geometry_, true, true});
  ASSERT_TRUE(disk.ok()) << disk.status().ToString();
  Bytes extent(geometry_.extent_bytes);
  for (uint32_t e = 0; e < geometry_.extent_count; ++e) {
    for (uint32_t i = 0; i < extent.size(); ++i) extent[i] = Pattern(e, i);
    ASSERT_TRUE((*disk)->Write(e, 0, extent).ok());
  }
  constexpr int kThreads = 8;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Bytes page(16 * kPageBytes);
      for (uint32_t round = 0; round < 200; ++round) {
        const uint32_t e = (t + round) % geometry_.extent_count;
        const uint32_t offset = (round * 37 + t * 11) % 200 * kPageBytes;
        if (!(*disk)->Read(e, offset, page).ok()) {
          ++mismatches[t];
          continue;
        }
        for (uint32_t i = 0; i < page.size(); i += 512) {
          if (page[i] != Pattern(e, offset + i)) ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

// Where io_uring is refused, asking for it opens a FileDisk and says why; UringDisk::Open itself
// refuses with the same reason.
TEST_F(UringDiskTest, RefusedIoUringFallsBackToFileDiskWithAReason) {
  ASSERT_EQ(::setenv("SHARDSTORE_DISABLE_IO_URING", "1", 1), 0);
  const Status available = UringDisk::Available();
  auto refused = UringDisk::Open(path_, {geometry_, true, true});
  auto opened = OpenImageDisk(path_, {geometry_, true, false}, DiskKind::kUring);
  ::unsetenv("SHARDSTORE_DISABLE_IO_URING");
  EXPECT_TRUE(available.IsIOError());
  EXPECT_NE(available.message().find("SHARDSTORE_DISABLE_IO_URING"), std::string::npos);
  EXPECT_EQ(refused.status(), available);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->kind, DiskKind::kFile);
  EXPECT_NE(opened->fallback.find("using FileDisk"), std::string::npos) << opened->fallback;
  EXPECT_NE(dynamic_cast<FileDisk*>(opened->disk.get()), nullptr);
  Bytes page(kPageBytes, 0x33);
  ASSERT_TRUE(opened->disk->Write(1, 0, page).ok());
  ASSERT_TRUE(opened->disk->Flush().ok());
  opened->disk.reset();

  // With io_uring allowed, the same call opens a UringDisk and says nothing.
  auto uring = OpenImageDisk(path_, {geometry_, false, false}, DiskKind::kUring);
  ASSERT_TRUE(uring.ok()) << uring.status().ToString();
  EXPECT_EQ(uring->kind, DiskKind::kUring);
  EXPECT_TRUE(uring->fallback.empty());
  EXPECT_NE(dynamic_cast<UringDisk*>(uring->disk.get()), nullptr);
  Bytes out(kPageBytes);
  ASSERT_TRUE(uring->disk->Read(1, 0, out).ok());
  EXPECT_EQ(out, page);
}

TEST(DiskKindTest, ParsesItsNames) {
  EXPECT_EQ(ParseDiskKind("file"), DiskKind::kFile);
  EXPECT_EQ(ParseDiskKind("uring"), DiskKind::kUring);
  EXPECT_EQ(ParseDiskKind("io_uring"), std::nullopt);
  EXPECT_EQ(DiskKindName(DiskKind::kUring), "uring");
}

}  // namespace
}  // namespace shardstore
