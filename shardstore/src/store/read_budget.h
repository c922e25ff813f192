// ReadBudget: a bound on the bytes of chunks that concurrent reads hold in memory at once.
//
// A reader reserves what it is about to read and gives it back when done; a reservation that
// does not fit waits until enough is given back. A reader that needs several pieces reserves
// them together: holding some while waiting for more is how two readers end up each holding
// half of the budget and waiting for the other half forever.
//
// Thread-safety: thread-safe.
#pragma once

#include <cstdint>

#include "shardstore/sync.h"

namespace shardstore {

class ReadBudget {
 public:
  // REQUIRES: bytes > 0.
  explicit ReadBudget(uint64_t bytes);

  ReadBudget(const ReadBudget&) = delete;
  ReadBudget& operator=(const ReadBudget&) = delete;

  // Waits until `bytes` are free, then takes them. REQUIRES: bytes <= capacity().
  void Acquire(uint64_t bytes);
  // REQUIRES: `bytes` were acquired and not yet released.
  void Release(uint64_t bytes);

  uint64_t capacity() const { return capacity_; }

 private:
  const uint64_t capacity_;
  sync::Mutex mu_;
  sync::CondVar released_;
  uint64_t free_;  // guarded by mu_
};

// Releases what it holds when it goes out of scope.
class ReadReservation {
 public:
  explicit ReadReservation(ReadBudget* budget) : budget_(budget) {}
  ~ReadReservation() {
    if (bytes_ > 0) budget_->Release(bytes_);
  }
  ReadReservation(const ReadReservation&) = delete;
  ReadReservation& operator=(const ReadReservation&) = delete;

  void Add(uint64_t bytes) {
    budget_->Acquire(bytes);
    bytes_ += bytes;
  }

 private:
  ReadBudget* const budget_;
  uint64_t bytes_ = 0;
};

}  // namespace shardstore
