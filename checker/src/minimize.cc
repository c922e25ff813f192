#include "shardstore/checker/minimize.h"

#include <algorithm>

#include "shardstore/assert.h"

namespace shardstore::checker {
namespace {

class Minimizer {
 public:
  Minimizer(Case failing, int replays_max)
      : best_{std::move(failing), 0, 0}, replays_max_(replays_max) {}

  Minimized Run() {
    bool improved = true;
    while (improved && best_.replays < replays_max_) {
      improved = DropOps() || ReplaceWindows() || PlainerOps() || SimplifyArguments();
    }
    return best_;
  }

 private:
  // Keeps `candidate` if it still fails.
  bool TryKeep(std::vector<Op> candidate) {
    if (best_.replays >= replays_max_) return false;
    ++best_.replays;
    Case c = best_.minimized;
    c.ops = std::move(candidate);
    if (RunCase(c).ok()) return false;
    best_.minimized = std::move(c);
    ++best_.edits;
    return true;
  }

  bool DropOps() {
    const std::vector<Op>& ops = best_.minimized.ops;
    for (size_t width : {size_t{2}, size_t{1}}) {
      for (size_t i = 0; i + width <= ops.size(); ++i) {
        std::vector<Op> candidate = ops;
        candidate.erase(candidate.begin() + static_cast<std::ptrdiff_t>(i),
                        candidate.begin() + static_cast<std::ptrdiff_t>(i + width));
        if (TryKeep(std::move(candidate))) return true;
      }
    }
    return false;
  }

  bool ReplaceWindows() {
    const std::vector<Op>& ops = best_.minimized.ops;
    for (size_t width = 5; width >= 2; --width) {
      for (size_t i = 0; i + width <= ops.size(); ++i) {
        for (OpKind kind : {OpKind::kList, OpKind::kIndexFlush, OpKind::kFlush, OpKind::kCompact,
                            OpKind::kDropCache, OpKind::kReboot}) {
          if (!InAlphabet(best_.minimized.harness, kind)) continue;
          std::vector<Op> candidate = ops;
          candidate.erase(candidate.begin() + static_cast<std::ptrdiff_t>(i),
                          candidate.begin() + static_cast<std::ptrdiff_t>(i + width));
          candidate.insert(candidate.begin() + static_cast<std::ptrdiff_t>(i), Op{.kind = kind});
          if (TryKeep(std::move(candidate))) return true;
        }
      }
    }
    return false;
  }

  // A Fill (dozens of Puts) that one Put of its size stands in for: the same bug then shows
  // in the same shape whichever of the two a search happened on first.
  bool PlainerOps() {
    const std::vector<Op>& ops = best_.minimized.ops;
    for (size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].kind != OpKind::kFill || !InAlphabet(best_.minimized.harness, OpKind::kPut)) {
        continue;
      }
      std::vector<Op> candidate = ops;
      candidate[i] = op::Put(0, ops[i].size, ops[i].fill);
      if (TryKeep(std::move(candidate))) return true;
    }
    return false;
  }

  // Smaller selectors and skips, and empty values: each a plainer case of the same shape. A
  // power cut's plan keeps fewer pages and tears none.
  bool SimplifyArguments() {
    const std::vector<Op>& ops = best_.minimized.ops;
    for (size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].kind == OpKind::kDirtyReboot) {
        for (uint32_t bit = 0; bit < 32; ++bit) {
          if (!(ops[i].selector >> bit & 1)) continue;
          std::vector<Op> candidate = ops;
          candidate[i].selector &= ~(uint32_t{1} << bit);
          if (TryKeep(std::move(candidate))) return true;
        }
        if (ops[i].size > 0) {
          std::vector<Op> candidate = ops;
          candidate[i].size = 0;  // no torn page: nor its sectors, nor its bytes
          candidate[i].fill = 0;
          candidate[i].torn_bytes = 0;
          if (TryKeep(std::move(candidate))) return true;
        }
        if (ops[i].torn_bytes > 0) {
          std::vector<Op> candidate = ops;
          candidate[i].torn_bytes = 0;
          if (TryKeep(std::move(candidate))) return true;
        }
        continue;
      }
      for (uint32_t selector = 0; selector < std::min<uint32_t>(ops[i].selector, 64); ++selector) {
        std::vector<Op> candidate = ops;
        candidate[i].selector = selector;
        if (TryKeep(std::move(candidate))) return true;
      }
      if (ops[i].skip > 0 || ops[i].size > 0 || ops[i].fill > 0) {
        std::vector<Op> candidate = ops;
        candidate[i].skip = 0;
        candidate[i].size = 0;
        candidate[i].fill = 0;
        if (TryKeep(std::move(candidate))) return true;
      }
    }
    return false;
  }

  Minimized best_;
  const int replays_max_;
};

}  // namespace

Minimized Minimize(const Case& failing, int replays_max) {
  SS_ASSERT(!RunCase(failing).ok());
  return Minimizer(failing, replays_max).Run();
}

}  // namespace shardstore::checker
