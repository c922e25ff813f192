// A small deterministic PRNG (SplitMix64): the engine's only source of randomness.
//
// Everything random in the engine (chunk UUIDs) comes from a Random seeded through options, so a
// run is a function of its seed. Not cryptographic.
//
// Thread-safety: not thread-safe; the owner serializes access.
#pragma once

#include <array>
#include <cstdint>

namespace shardstore {

class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  std::array<uint8_t, 16> Uuid() {
    std::array<uint8_t, 16> uuid{};
    const uint64_t a = Next();
    const uint64_t b = Next();
    for (int i = 0; i < 8; ++i) {
      uuid[i] = static_cast<uint8_t>(a >> (8 * i));
      uuid[8 + i] = static_cast<uint8_t>(b >> (8 * i));
    }
    return uuid;
  }

  // Mixes a value into the state. ChunkStore mixes in its boot commit's superblock sequence,
  // which is durable and unique per boot, so two boots from one seed do not repeat UUIDs.
  void Mix(uint64_t value) {
    state_ ^= value * 0xD6E8FEB86659FD93ull;
    Next();
  }

 private:
  uint64_t state_;
};

}  // namespace shardstore
