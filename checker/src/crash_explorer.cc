#include "shardstore/checker/crash_explorer.h"

#include <algorithm>
#include <bit>
#include <vector>

#include "shardstore/random.h"

namespace shardstore::checker {
namespace {

// Where a sector torn in its middle is torn: at a 64-byte line, the grain of a DMA transfer.
constexpr uint16_t kTornLineBytes = 64;

std::string DescribePlan(const MemDisk::CrashPlan& plan, size_t pending) {
  std::string text = "keeping pending pages";
  bool any = false;
  for (size_t i = 0; i < pending && i < 64; ++i) {
    if (plan.keep_mask >> i & 1) {
      text += (any ? "," : " ") + std::to_string(i);
      any = true;
    }
  }
  if (!any) text += " none";
  text += " of " + std::to_string(pending);
  if (plan.torn_page > 0) {
    text += ", page " + std::to_string(plan.torn_page - 1) + " torn after " +
            std::to_string(plan.torn_sectors) + " sectors";
    if (plan.torn_bytes > 0) text += " and " + std::to_string(plan.torn_bytes) + " bytes";
  }
  return text;
}

}  // namespace

bool CutPowerAsOp(MemDisk& disk, const Op& op, const std::function<void()>& flush_everything) {
  const MemDisk::CrashPlan plan{op.selector, op.size, op.fill, op.torn_bytes};
  switch (static_cast<RebootType>(op.key)) {
    case RebootType::kNow:
      disk.CutPower(plan);
      return false;
    case RebootType::kDuringFlush:
      disk.CutPowerAtBarrier(std::max<uint32_t>(1, op.skip), plan);
      flush_everything();  // the power may go out in the middle
      if (!disk.dead()) disk.CutPower(plan);
      return false;
    case RebootType::kDuringNextOp:
      disk.CutPowerAtBarrier(std::max<uint32_t>(1, op.skip), plan);
      return true;
  }
  return false;
}

void CrashExplorer::BeginStep() {
  ++step_;
  barrier_in_step_ = 0;
}

void CrashExplorer::AtBarrier(std::unique_ptr<MemDisk> snapshot, const Check& check) {
  ++barrier_in_step_;
  if (violation_) return;  // one finding per run
  const size_t pending = snapshot->PendingPages().size();
  if (pending == 0) return;  // the same state as after the previous flush
  std::vector<MemDisk::CrashPlan> plans;
  if (pending <= config_.exhaustive_pages_max) {
    // Every subset, fewest surviving pages first (so the first failure is a minimal plan), then
    // each page torn at its first and last sector boundary after all pages before it, and torn
    // inside its first sector (a device whose sectors are not atomic: a record that fits in one
    // sector, such as a superblock slot, comes back half new and half old).
    std::vector<uint64_t> masks(uint64_t{1} << pending);
    for (uint64_t m = 0; m < masks.size(); ++m) masks[m] = m;
    std::stable_sort(masks.begin(), masks.end(),
                     [](uint64_t a, uint64_t b) { return std::popcount(a) < std::popcount(b); });
    for (uint64_t m : masks) plans.push_back({m, 0, 0});
    for (uint32_t t = 0; t < pending; ++t) {
      const uint64_t before = (uint64_t{1} << t) - 1;
      for (uint8_t sectors : {1, 7}) plans.push_back({before, t + 1, sectors});
      plans.push_back({before, t + 1, 0, kTornLineBytes});
    }
  } else {
    Random random(step_ * 1000003 + barrier_in_step_);
    const uint64_t all = pending >= 32 ? 0xffffffffull : (uint64_t{1} << pending) - 1;
    for (uint32_t i = 0; i < config_.sampled_states; ++i) {
      const uint64_t mask = random.Next() & all;
      const bool torn = random.Next() % 2 == 0;
      const uint32_t torn_page =
          torn ? static_cast<uint32_t>(random.Next() % std::min<size_t>(pending, 32)) + 1 : 0;
      // One torn page in four is torn inside a sector, at a line boundary; the others at a
      // sector boundary.
      const uint64_t r = random.Next();
      const bool mid_sector = (r >> 16) % 4 == 0;
      plans.push_back(
          {mask, torn_page, static_cast<uint8_t>(mid_sector ? r % 8 : 1 + r % 7),
           static_cast<uint16_t>(mid_sector ? kTornLineBytes * (1 + (r >> 8) % 7) : 0)});
    }
  }
  auto run = [&](const MemDisk::CrashPlan& plan) {
    std::unique_ptr<MemDisk> disk = snapshot->Snapshot();
    disk->Crash(plan);
    ++states_;
    return check(disk.get());
  };
  for (MemDisk::CrashPlan plan : plans) {
    std::optional<std::string> violation = run(plan);
    if (!violation) continue;
    // Fewest surviving pages: drop each kept page while the state still fails.
    for (uint32_t i = 0; i < 32; ++i) {
      if (!(plan.keep_mask >> i & 1)) continue;
      MemDisk::CrashPlan fewer = plan;
      fewer.keep_mask &= ~(uint64_t{1} << i);
      if (auto v = run(fewer)) {
        plan = fewer;
        violation = v;
      }
    }
    violation_ = "a power cut at disk flush " + std::to_string(barrier_in_step_) +
                 " of this step, " + DescribePlan(plan, pending) + ": " + *violation;
    repro_ = op::DirtyReboot(
        RebootType::kDuringNextOp, static_cast<uint8_t>(std::min<uint32_t>(barrier_in_step_, 255)),
        static_cast<uint32_t>(plan.keep_mask), plan.torn_page, plan.torn_sectors, plan.torn_bytes);
    return;
  }
}

}  // namespace shardstore::checker
