// Decodes arbitrary bytes as a label, and as a superblock slot of a disk whose label the first
// bytes choose. Never crashes; an accepted superblock re-encodes to an equal one.
#include <cstddef>
#include <cstdint>

#include "fuzz_common.h"
#include "shardstore/limits.h"
#include "superblock/superblock.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shardstore;
  auto label = DecodeLabel(ByteView(data, size));
  FUZZ_CHECK(label.ok() || label.status().IsCorruption() || label.status().IsNotFound() ||
             label.status().IsInvalidArgument());
  if (label.ok()) FUZZ_CHECK(*DecodeLabel(EncodeLabel(*label)) == *label);

  if (size < 17) return 0;
  Label slot_label;
  slot_label.geometry = {2u + data[0] % 63u, 64 * kPageBytes};
  for (size_t i = 0; i < slot_label.disk_uuid.size(); ++i) slot_label.disk_uuid[i] = data[1 + i];
  auto superblock = DecodeSuperblock(ByteView(data + 17, size - 17), slot_label);
  FUZZ_CHECK(superblock.ok() || superblock.status().IsCorruption());
  if (!superblock.ok()) return 0;
  auto again = DecodeSuperblock(EncodeSuperblock(*superblock), slot_label);
  FUZZ_CHECK(again.ok() && *again == *superblock);
  return 0;
}
