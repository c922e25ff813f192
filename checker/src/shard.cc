#include "shardstore/checker/shard.h"

#include <charconv>

namespace shardstore::checker {
namespace {

std::optional<uint64_t> ParseNumber(std::string_view text) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::optional<Shard> MakeShard(uint64_t index, uint64_t count, std::string source) {
  if (count == 0 || count > kShardsMax || index >= count) return std::nullopt;
  return Shard{static_cast<uint32_t>(index), static_cast<uint32_t>(count), std::move(source)};
}

}  // namespace

std::optional<Shard> ParseShard(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::optional<uint64_t> index = ParseNumber(text.substr(0, slash));
  const std::optional<uint64_t> count = ParseNumber(text.substr(slash + 1));
  if (!index || !count) return std::nullopt;
  return MakeShard(*index, *count, "--shard");
}

ShardOrError ResolveShard(std::string_view flag, uint32_t count_flag, const Getenv& getenv) {
  ShardOrError out;
  if (!flag.empty()) {
    out.shard = ParseShard(flag);
    if (!out.shard) {
      out.error = "--shard takes I/N with 0 <= I < N <= " + std::to_string(kShardsMax) + ", not '" +
                  std::string(flag) + "'";
    } else if (count_flag != 0 && count_flag != out.shard->count) {
      out.error = "--shard " + std::string(flag) + " and --shards " + std::to_string(count_flag) +
                  " disagree";
      out.shard.reset();
    }
    return out;
  }
  auto number = [&](const char* name, std::optional<uint64_t>* value) {
    const char* text = getenv(name);
    if (text == nullptr || *text == '\0') return true;
    *value = ParseNumber(text);
    if (!*value) out.error = std::string(name) + " is not a number: '" + text + "'";
    return value->has_value();
  };
  struct Source {
    const char* index;
    const char* count;  // nullptr: from --shards or SHARDCHECK_SHARDS
  };
  for (const Source source : {Source{"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT"},
                              Source{"JOB_COMPLETION_INDEX", nullptr},
                              Source{"AWS_BATCH_JOB_ARRAY_INDEX", "AWS_BATCH_JOB_ARRAY_SIZE"}}) {
    std::optional<uint64_t> index, count;
    if (!number(source.index, &index)) return out;
    if (!index) continue;
    if (source.count != nullptr && !number(source.count, &count)) return out;
    if (count_flag != 0) {
      if (count && *count != count_flag) {
        out.error = std::string(source.count) + "=" + std::to_string(*count) + " and --shards " +
                    std::to_string(count_flag) + " disagree";
        return out;
      }
      count = count_flag;
    }
    if (!count && !number("SHARDCHECK_SHARDS", &count)) return out;
    if (!count) {
      out.error = std::string(source.index) + " is set but the shard count is not: pass " +
                  "--shards N or set " + (source.count ? source.count : "SHARDCHECK_SHARDS");
      return out;
    }
    out.shard = MakeShard(*index, *count, source.index);
    if (!out.shard) {
      out.error = std::string(source.index) + "=" + std::to_string(*index) +
                  " is out of range for " + std::to_string(*count) + " shards";
    }
    return out;
  }
  out.shard = Shard{};
  if (count_flag > 1) {
    out.error = "--shards " + std::to_string(count_flag) +
                " needs an index: --shard I/N, or an array index from the batch engine";
    out.shard.reset();
  }
  return out;
}

uint64_t Mix64(uint64_t value) {
  value += 0x9E3779B97F4A7C15ull;
  value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ull;
  value = (value ^ (value >> 27)) * 0x94D049BB133111EBull;
  return value ^ (value >> 31);
}

uint64_t HashText(std::string_view text, uint64_t seed) {
  uint64_t hash = 0xcbf29ce484222325ull ^ Mix64(seed);
  for (const char c : text) hash = (hash ^ static_cast<uint8_t>(c)) * 0x100000001b3ull;
  return Mix64(hash);
}

uint64_t SequenceSeed(uint64_t campaign_seed, std::string_view stream, uint64_t index) {
  return Mix64(HashText(stream, campaign_seed) ^ Mix64(index));
}

void ForEachOwnedBlock(const Shard& shard, uint64_t end,
                       const std::function<bool(uint64_t first, uint64_t count)>& run) {
  for (uint64_t block = shard.index;; block += shard.count) {
    const uint64_t first = block * kSequencesPerBlock;
    if (first >= end) return;
    if (!run(first, std::min(kSequencesPerBlock, end - first))) return;
  }
}

}  // namespace shardstore::checker
