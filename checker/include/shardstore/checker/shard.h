// Shards: how a campaign's work is cut into pieces that run anywhere, in any order, and add up.
//
// A suite's work is an endless numbered stream of sequences (or schedules) per harness. Sequence
// i of a harness is a pure function of (campaign seed, suite, harness, i) and the commit: its
// seed is SequenceSeed(...), never a counter carried from the sequence before. Sequences are
// grouped in blocks of kSequencesPerBlock; shard I of N owns the blocks b with b % N == I. So
// `--iterations 1000` runs a prefix of what `--iterations 100000` runs, the N shards of a run
// partition it exactly (their union is the unsharded run), no two shards repeat a sequence, and
// rerunning a shard reproduces it bit for bit.
//
// A shard learns its index from `--shard I/N` or from the batch engine that started it:
// SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT (Slurm arrays), JOB_COMPLETION_INDEX with the
// count from the flag or SHARDCHECK_SHARDS (Kubernetes Indexed Jobs), AWS_BATCH_JOB_ARRAY_INDEX
// / AWS_BATCH_JOB_ARRAY_SIZE (AWS Batch array jobs).
//
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace shardstore::checker {

// Sequences of one block share a shard; the concurrency suite also runs one program (the
// clients' operations) per block, under many schedules.
inline constexpr uint64_t kSequencesPerBlock = 32;
inline constexpr uint32_t kShardsMax = 1'000'000;

struct Shard {
  uint32_t index = 0;
  uint32_t count = 1;
  std::string source = "default";  // "--shard", "SLURM_ARRAY_TASK_ID", ...
  bool Owns(uint64_t sequence) const { return (sequence / kSequencesPerBlock) % count == index; }
  std::string ToString() const { return std::to_string(index) + "/" + std::to_string(count); }
};

// "I/N" with 0 <= I < N <= kShardsMax; nullopt when malformed.
std::optional<Shard> ParseShard(std::string_view text);

// The shard from `flag` ("I/N", may be empty) or else from the environment (`getenv`, a
// parameter so tests can pass their own). `count_flag` (0: none) gives the count where the
// environment gives only an index (JOB_COMPLETION_INDEX). An error message when the two
// disagree, a variable is malformed, or an index has no count.
struct ShardOrError {
  std::optional<Shard> shard;
  std::string error;
};
using Getenv = std::function<const char*(const char*)>;
ShardOrError ResolveShard(std::string_view flag, uint32_t count_flag, const Getenv& getenv);

// 64-bit mixing of values (SplitMix64's finalizer) and of text (FNV-1a then mixed).
uint64_t Mix64(uint64_t value);
uint64_t HashText(std::string_view text, uint64_t seed = 0);

// The seed of sequence `index` of the stream `stream` ("conformance/store") of a campaign.
uint64_t SequenceSeed(uint64_t campaign_seed, std::string_view stream, uint64_t index);

// Shard `shard`'s sequences in [0, end) in the order it runs them: block by block, its own
// blocks only. Calls `run(first, count)` per block; stops when it returns false.
void ForEachOwnedBlock(const Shard& shard, uint64_t end,
                       const std::function<bool(uint64_t first, uint64_t count)>& run);

}  // namespace shardstore::checker
