#include "kv_log.h"

#include <array>
#include <cstdlib>
#include <cstring>

#include "shardstore/limits.h"

namespace kvlog {
namespace {

using shardstore::kPageBytes;
using shardstore::Status;

constexpr uint32_t kMagic = 0x4b564c47;  // "KVLG"
// magic u32, generation u32, slot u64, key length u16, value length u16, checksum u64; then the
// key and the value; zeros to the end of the page. Little-endian.
constexpr size_t kHeaderBytes = 28;
static_assert(kHeaderBytes + kKeyBytesMax + kValueBytesMax <= kPageBytes);

struct Record {
  uint32_t generation = 0;
  uint64_t slot = 0;
  std::string key;
  std::string value;
};

void Put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint64_t Get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

// FNV-1a over the header (checksum field excluded) and the payload.
uint64_t Checksum(const uint8_t* page, size_t payload_bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&](const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  };
  mix(page, 20);
  mix(page + kHeaderBytes, payload_bytes);
  return h;
}

std::array<uint8_t, kPageBytes> Encode(const Record& r) {
  std::array<uint8_t, kPageBytes> page{};
  Put64(page.data(), kMagic | uint64_t{r.generation} << 32);
  Put64(page.data() + 8, r.slot);
  page[16] = static_cast<uint8_t>(r.key.size());
  page[17] = static_cast<uint8_t>(r.key.size() >> 8);
  page[18] = static_cast<uint8_t>(r.value.size());
  page[19] = static_cast<uint8_t>(r.value.size() >> 8);
  std::memcpy(page.data() + kHeaderBytes, r.key.data(), r.key.size());
  std::memcpy(page.data() + kHeaderBytes + r.key.size(), r.value.data(), r.value.size());
  Put64(page.data() + 20, Checksum(page.data(), r.key.size() + r.value.size()));
  return page;
}

// nullopt for anything but a whole record.
std::optional<Record> Decode(const std::array<uint8_t, kPageBytes>& page) {
  const uint64_t word = Get64(page.data());
  if (static_cast<uint32_t>(word) != kMagic) return std::nullopt;
  const size_t key_bytes = page[16] | size_t{page[17]} << 8;
  const size_t value_bytes = page[18] | size_t{page[19]} << 8;
  if (key_bytes > kKeyBytesMax || value_bytes > kValueBytesMax) return std::nullopt;
  if (Get64(page.data() + 20) != Checksum(page.data(), key_bytes + value_bytes)) {
    return std::nullopt;
  }
  const char* payload = reinterpret_cast<const char*>(page.data() + kHeaderBytes);
  return Record{static_cast<uint32_t>(word >> 32), Get64(page.data() + 8),
                std::string(payload, key_bytes), std::string(payload + key_bytes, value_bytes)};
}

uint64_t PagesPerExtent(const shardstore::Disk& disk) {
  return disk.geometry().extent_bytes / kPageBytes;
}

Status ReadSlot(shardstore::Disk* disk, uint64_t slot, std::array<uint8_t, kPageBytes>* page) {
  const uint64_t per_extent = PagesPerExtent(*disk);
  return disk->Read(static_cast<uint32_t>(slot / per_extent),
                    static_cast<uint32_t>(slot % per_extent * kPageBytes), *page);
}

bool SeededBugOn(std::string_view name) {
  const char* bug = std::getenv("KVLOG_SEEDED_BUG");
  return bug != nullptr && std::string_view(bug) == name;
}

}  // namespace

shardstore::StatusOr<std::unique_ptr<KvLog>> KvLog::Open(shardstore::Disk* disk) {
  const uint64_t slots = PagesPerExtent(*disk) * disk->geometry().extent_count;
  std::map<std::string, std::string> map;
  uint64_t next_slot = 0;
  uint32_t log_generation = 0;     // of the last record in the log
  uint32_t newest_generation = 0;  // of any whole record on the disk, in the log or past it
  bool in_log = true;
  std::array<uint8_t, kPageBytes> page;
  for (uint64_t slot = 0; slot < slots; ++slot) {
    SS_RETURN_IF_ERROR(ReadSlot(disk, slot, &page));
    const std::optional<Record> record = Decode(page);
    if (record) newest_generation = std::max(newest_generation, record->generation);
    in_log = in_log && record && record->slot == slot && record->generation >= log_generation;
    if (!in_log) continue;
    log_generation = record->generation;
    map[record->key] = record->value;
    next_slot = slot + 1;
  }
  return std::unique_ptr<KvLog>(new KvLog(disk, next_slot, newest_generation + 1, std::move(map)));
}

KvLog::KvLog(shardstore::Disk* disk, uint64_t next_slot, uint32_t generation,
             std::map<std::string, std::string> map)
    : disk_(disk),
      slots_(PagesPerExtent(*disk) * disk->geometry().extent_count),
      generation_(generation),
      keep_first_(SeededBugOn("overwrite_keeps_first")),
      sync_skips_flush_(SeededBugOn("sync_skips_flush")),
      next_slot_(next_slot),
      map_(std::move(map)) {}

Status KvLog::Put(std::string_view key, std::string_view value) {
  if (key.empty() || key.size() > kKeyBytesMax) return Status::InvalidArgument("bad key length");
  if (value.size() > kValueBytesMax) return Status::InvalidArgument("value too long");
  shardstore::sync::LockGuard lock(mu_);
  if (next_slot_ == slots_) return Status::NoSpace("the log fills the disk");
  const auto page = Encode(Record{generation_, next_slot_, std::string(key), std::string(value)});
  const uint64_t per_extent = PagesPerExtent(*disk_);
  SS_RETURN_IF_ERROR(disk_->Write(static_cast<uint32_t>(next_slot_ / per_extent),
                                  static_cast<uint32_t>(next_slot_ % per_extent * kPageBytes),
                                  page));
  ++next_slot_;
  if (keep_first_) {
    map_.emplace(key, value);
  } else {
    map_[std::string(key)] = std::string(value);
  }
  return Status::Ok();
}

std::optional<std::string> KvLog::Get(std::string_view key) {
  shardstore::sync::LockGuard lock(mu_);
  auto it = map_.find(std::string(key));
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

Status KvLog::Sync() {
  if (sync_skips_flush_) return Status::Ok();
  return disk_->Flush();
}

std::map<std::string, std::string> KvLog::Contents() {
  shardstore::sync::LockGuard lock(mu_);
  return map_;
}

}  // namespace kvlog
