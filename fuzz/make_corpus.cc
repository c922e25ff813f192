// Writes seed corpora for every fuzz target, made from a real engine image (base_image.h), into
// DIR/<target>/. Run at build time, so no binary corpus is committed.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "base_image.h"
#include "chunk/chunk_format.h"
#include "shardstore/limits.h"
#include "superblock/superblock.h"
#include "util/coding.h"

namespace {

using namespace shardstore;
namespace fs = std::filesystem;

void Write(const fs::path& dir, const std::string& name, ByteView bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

Bytes Patch(uint32_t offset, ByteView bytes) {
  Bytes patch(5);
  coding::Put32(patch.data(), offset);
  patch[4] = static_cast<uint8_t>(bytes.size() - 1);
  patch.insert(patch.end(), bytes.begin(), bytes.end());
  return patch;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_fuzz_corpus DIR\n");
    return 2;
  }
  const fs::path root = argv[1];
  const fuzz::BaseImage& image = fuzz::GetBaseImage();
  const DiskGeometry g = fuzz::kImageGeometry;

  // chunk_frame: every frame in the image, found by its header.
  int frames = 0;
  for (uint32_t e = 1; e < g.extent_count; ++e) {
    const Bytes& extent = image.extents[e];
    for (uint32_t offset = 0; offset < extent.size(); offset += kPageBytes) {
      auto header = DecodeChunkHeader(ByteView(extent.data() + offset, extent.size() - offset));
      if (!header.ok() || offset + header->frame_bytes() > extent.size()) continue;
      const ByteView frame(extent.data() + offset, header->frame_bytes());
      Write(root / "chunk_frame", "frame-" + std::to_string(frames++), frame);
      // index: the payloads of run and metadata chunks.
      auto chunk = DecodeChunk(frame);
      if (chunk.ok() && (chunk->header.kind == ChunkKind::kIndexRun ||
                         chunk->header.kind == ChunkKind::kIndexMetadata)) {
        Write(root / "index", "payload-" + std::to_string(frames), chunk->payload);
      }
    }
  }
  Write(root / "chunk_frame", "empty", ByteView());

  // superblock: the label page, and each slot behind the 17-byte prefix the target reads.
  const Bytes& extent0 = image.extents[0];
  Write(root / "superblock", "label", ByteView(extent0.data(), kPageBytes));
  const Label label = *DecodeLabel(ByteView(extent0.data(), kPageBytes));
  for (int slot : {0, 1}) {
    Bytes input;
    input.push_back(static_cast<uint8_t>(g.extent_count - 2));
    input.insert(input.end(), label.disk_uuid.begin(), label.disk_uuid.end());
    const uint32_t at = SuperblockSlotOffset(g.extent_count, slot);
    input.insert(input.end(), extent0.begin() + at,
                 extent0.begin() + at + SuperblockSlotBytes(g.extent_count));
    Write(root / "superblock", "slot-" + std::to_string(slot), input);
  }

  // roundtrip: any bytes are valid; a few shapes.
  for (int i = 0; i < 4; ++i) {
    Bytes input(64 + 300 * i);
    for (size_t j = 0; j < input.size(); ++j) input[j] = static_cast<uint8_t>(j * (i + 3));
    Write(root / "roundtrip", "shape-" + std::to_string(i), input);
  }

  // recovery, patch mode: the intact image, and single patches on the label, each slot's
  // sequence, a chunk header and a chunk payload.
  const uint8_t patch_mode = 0, raw_mode = 1;
  Write(root / "recovery", "intact", Bytes{patch_mode});
  const uint8_t junk[] = {0xde, 0xad, 0xbe, 0xef};
  const uint32_t slot1 = SuperblockSlotOffset(g.extent_count, 1);
  const uint32_t targets[] = {8,
                              kPageBytes + 16,
                              slot1 + 16,
                              g.extent_bytes + 40,
                              g.extent_bytes + 3000,
                              2 * g.extent_bytes + 100};
  int patches = 0;
  for (uint32_t offset : targets) {
    Bytes input{patch_mode};
    const Bytes patch = Patch(offset, junk);
    input.insert(input.end(), patch.begin(), patch.end());
    Write(root / "recovery", "patch-" + std::to_string(patches++), input);
  }
  // recovery, raw mode: the whole image, and just extent 0.
  Bytes raw{raw_mode};
  for (const Bytes& extent : image.extents) raw.insert(raw.end(), extent.begin(), extent.end());
  Write(root / "recovery", "raw-image", raw);
  Write(root / "recovery", "raw-extent0", ByteView(raw.data(), 1 + g.extent_bytes));
  std::printf("fuzz corpora written under %s (%d chunk frames)\n", root.c_str(), frames);
  return 0;
}
