#include "chunk/frame_read.h"

#include "shardstore/limits.h"
#include "util/coding.h"

namespace shardstore {

StatusOr<ByteView> ReadSpan(Disk* disk, uint32_t extent, uint32_t offset, uint32_t bytes,
                            Bytes* pages) {
  const uint64_t at = coding::RoundDown(offset, kPageBytes);
  const uint64_t end = coding::RoundUp(uint64_t{offset} + bytes, kPageBytes);
  if (pages->size() < end - at) pages->resize(end - at);
  const MutableByteView read(pages->data(), end - at);
  SS_RETURN_IF_ERROR(disk->Read(extent, static_cast<uint32_t>(at), read));
  return ByteView(read).subspan(offset - at, bytes);
}

}  // namespace shardstore
