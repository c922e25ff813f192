#include "index/lsm_metadata.h"

#include <string>

#include "index/locator_coding.h"
#include "shardstore/limits.h"
#include "util/coding.h"

namespace shardstore {
namespace {

// metadata := magic u32 | version u64 | next_run_id u64 | run_count u32 | run*
// run      := id u64 | level u32 | entry_count u32 | max_sequence u64 | chunk_count u32 |
//             (extent u32 | offset u32 | length u32)[chunk_count]
Status Bad(const std::string& what) { return Status::Corruption("index metadata: " + what); }

}  // namespace

Bytes EncodeLsmMetadata(const LsmMetadata& metadata) {
  SS_ASSERT(metadata.runs.size() <= kRunsMax);
  Bytes out;
  coding::Writer w(&out);
  w.U32(kMetadataMagic);
  w.U64(metadata.version);
  w.U64(metadata.next_run_id);
  w.U32(static_cast<uint32_t>(metadata.runs.size()));
  for (const RunDescriptor& run : metadata.runs) {
    SS_ASSERT(!run.chunks.empty() && run.chunks.size() <= kRunChunksMax);
    w.U64(run.id);
    w.U32(run.level);
    w.U32(run.entry_count);
    w.U64(run.max_sequence);
    w.U32(static_cast<uint32_t>(run.chunks.size()));
    for (const Locator& l : run.chunks) PutLocator(w, l);
  }
  return out;
}

StatusOr<LsmMetadata> DecodeLsmMetadata(ByteView bytes) {
  coding::Reader r(bytes);
  LsmMetadata metadata;
  if (r.U32() != kMetadataMagic) return Bad("bad magic");
  metadata.version = r.U64();
  metadata.next_run_id = r.U64();
  const uint32_t run_count = r.U32();
  if (r.failed()) return Bad("truncated header");
  if (run_count > kRunsMax) return Bad("too many runs");
  for (uint32_t i = 0; i < run_count; ++i) {
    RunDescriptor run;
    run.id = r.U64();
    run.level = r.U32();
    run.entry_count = r.U32();
    run.max_sequence = r.U64();
    const uint32_t chunk_count = r.U32();
    if (r.failed()) return Bad("truncated run " + std::to_string(i));
    if (chunk_count == 0 || chunk_count > kRunChunksMax) return Bad("bad chunk count");
    if (run.level > 1) return Bad("bad level " + std::to_string(run.level));
    if (bytes.size() - r.position() < uint64_t{chunk_count} * kEncodedLocatorBytes) {
      return Bad("truncated chunks");
    }
    if (run.id >= metadata.next_run_id) return Bad("run id not below next_run_id");
    if (!metadata.runs.empty() && run.id >= metadata.runs.back().id) {
      return Bad("runs not newest first");
    }
    for (uint32_t c = 0; c < chunk_count; ++c) {
      Locator l;
      if (!GetLocator(r, &l)) return Bad("malformed locator " + l.ToString());
      run.chunks.push_back(l);
    }
    metadata.runs.push_back(std::move(run));
  }
  if (r.position() != bytes.size()) return Bad("trailing bytes");
  return metadata;
}

}  // namespace shardstore
