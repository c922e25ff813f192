#include "shardstore/checker/op.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include "shardstore/limits.h"

namespace shardstore::checker {
namespace {

struct KindInfo {
  OpKind kind;
  std::string_view name;
  char letter;
};

constexpr KindInfo kKinds[] = {
    {OpKind::kGet, "Get", 'G'},
    {OpKind::kPut, "Put", 'P'},
    {OpKind::kDelete, "Delete", 'D'},
    {OpKind::kList, "List", 'L'},
    {OpKind::kIndexFlush, "IndexFlush", 'F'},
    {OpKind::kCompact, "Compact", 'C'},
    {OpKind::kReclaim, "Reclaim", 'R'},
    {OpKind::kReboot, "Reboot", 'B'},
    {OpKind::kFailDiskOnce, "FailDiskOnce", 'X'},
    {OpKind::kDirtyReboot, "DirtyReboot", 'K'},
    {OpKind::kRead, "Read", 'Q'},
    {OpKind::kAppend, "Append", 'A'},
    {OpKind::kReset, "Reset", 'Z'},
    {OpKind::kFlush, "Flush", 'S'},
    {OpKind::kCorrupt, "Corrupt", 'V'},
    {OpKind::kDropCache, "DropCache", 'Y'},
    {OpKind::kFill, "Fill", 'W'},
};
static_assert(std::size(kKinds) == kOpKindCount);

const KindInfo& Info(OpKind kind) { return kKinds[static_cast<int>(kind)]; }

std::string_view IoName(FaultIo io) { return io == FaultIo::kRead ? "read" : "write"; }

// The numeric arguments of each kind, in token order.
std::vector<uint32_t> Args(const Op& op) {
  switch (op.kind) {
    case OpKind::kGet:
    case OpKind::kDelete:
      return {op.key};
    case OpKind::kPut:
    case OpKind::kAppend:
      return {op.key, op.size, op.fill};
    case OpKind::kReclaim:
    case OpKind::kRead:
    case OpKind::kReset:
      return {op.selector};
    case OpKind::kFailDiskOnce:
      return {op.selector, static_cast<uint32_t>(op.io), op.skip};
    case OpKind::kCorrupt:
      return {op.selector, op.size};
    case OpKind::kFill:
      return {op.size, op.fill};
    case OpKind::kDirtyReboot:
      if (op.torn_bytes > 0) return {op.key, op.skip, op.selector, op.size, op.fill, op.torn_bytes};
      return {op.key, op.skip, op.selector, op.size, op.fill};
    default:
      return {};
  }
}

}  // namespace

std::string_view OpKindName(OpKind kind) { return Info(kind).name; }

std::string KeyName(uint32_t key) {
  if (key >= kSizedKeyMin) return "k" + std::to_string(key);
  std::string name;
  do {
    name.insert(name.begin(), static_cast<char>('a' + key % 26));
    key /= 26;
  } while (key > 0);
  return name;
}

std::string PoolKey(uint32_t key) {
  std::string name = KeyName(key);
  // '~' sorts after every letter and digit, so a sized key lists after its short name would.
  if (key >= kSizedKeyMin) name.resize(key, '~');
  return name;
}

std::string_view ShortKey(std::string_view key) { return key.substr(0, key.find('~')); }

std::vector<uint32_t> KeyPool(uint32_t letters) {
  std::vector<uint32_t> pool;
  for (uint32_t key = 0; key < letters; ++key) pool.push_back(key);
  pool.push_back(kKeyBytesMax - 1);
  pool.push_back(kKeyBytesMax);
  return pool;
}

std::string Show(const Op& op) {
  const std::string name(OpKindName(op.kind));
  switch (op.kind) {
    case OpKind::kGet:
    case OpKind::kDelete:
      return name + "(" + KeyName(op.key) + ")";
    case OpKind::kPut:
    case OpKind::kAppend:
      return name + "(" + KeyName(op.key) + ", " + std::to_string(op.size) + " bytes, fill " +
             std::to_string(op.fill) + ")";
    case OpKind::kReclaim:
    case OpKind::kRead:
    case OpKind::kReset:
      return name + "(#" + std::to_string(op.selector) + ")";
    case OpKind::kFailDiskOnce:
      return name + "(#" + std::to_string(op.selector) + ", " + std::string(IoName(op.io)) +
             ", skip " + std::to_string(op.skip) + ")";
    case OpKind::kCorrupt:
      return name + "(#" + std::to_string(op.selector) + ", bit " + std::to_string(op.size) + ")";
    case OpKind::kFill:
      return name + "(" + std::to_string(op.size) + " bytes, fill " + std::to_string(op.fill) + ")";
    case OpKind::kDirtyReboot: {
      static constexpr std::string_view kTypes[] = {"now", "during a flush", "during next ops"};
      std::string text = name + "(" + std::string(kTypes[std::min<uint32_t>(op.key, 2)]);
      if (op.key != 0) text += ", barrier " + std::to_string(op.skip);
      text += ", keep pending pages";
      bool any = false;
      for (int i = 0; i < 32; ++i) {
        if (op.selector >> i & 1) {
          text += (any ? "," : " ") + std::to_string(i);
          any = true;
        }
      }
      if (!any) text += " none";
      if (op.size > 0) {
        text += ", tear page " + std::to_string(op.size - 1) + " after " + std::to_string(op.fill) +
                " sectors";
        if (op.torn_bytes > 0) text += " and " + std::to_string(op.torn_bytes) + " bytes";
      }
      return text + ")";
    }
    default:
      return name;
  }
}

std::string Encode(const Op& op) {
  std::string piece(1, Info(op.kind).letter);
  const std::vector<uint32_t> args = Args(op);
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) piece += ',';
    piece += std::to_string(args[i]);
  }
  return piece;
}

std::optional<Op> Decode(std::string_view piece) {
  if (piece.empty()) return std::nullopt;
  const KindInfo* info = nullptr;
  for (const KindInfo& k : kKinds) {
    if (k.letter == piece[0]) info = &k;
  }
  if (!info) return std::nullopt;
  std::vector<uint32_t> args;
  std::string_view rest = piece.substr(1);
  while (!rest.empty()) {
    uint32_t value = 0;
    auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
    if (error != std::errc()) return std::nullopt;
    args.push_back(value);
    rest.remove_prefix(static_cast<size_t>(end - rest.data()));
    if (!rest.empty()) {
      if (rest[0] != ',' || rest.size() == 1) return std::nullopt;
      rest.remove_prefix(1);
    }
  }
  Op op;
  op.kind = info->kind;
  auto need = [&](size_t n) { return args.size() == n; };
  switch (op.kind) {
    case OpKind::kGet:
    case OpKind::kDelete:
      if (!need(1)) return std::nullopt;
      op.key = args[0];
      break;
    case OpKind::kPut:
    case OpKind::kAppend:
      if (!need(3) || args[2] > 255) return std::nullopt;
      op.key = args[0];
      op.size = args[1];
      op.fill = static_cast<uint8_t>(args[2]);
      break;
    case OpKind::kReclaim:
    case OpKind::kRead:
    case OpKind::kReset:
      if (!need(1)) return std::nullopt;
      op.selector = args[0];
      break;
    case OpKind::kCorrupt:
      if (!need(2)) return std::nullopt;
      op.selector = args[0];
      op.size = args[1];
      break;
    case OpKind::kFill:
      if (!need(2) || args[1] > 255) return std::nullopt;
      op.size = args[0];
      op.fill = static_cast<uint8_t>(args[1]);
      break;
    case OpKind::kDirtyReboot:
      if (!(need(5) || need(6)) || args[0] > 2 || args[1] > 255 || args[4] > 8) {
        return std::nullopt;
      }
      op.key = args[0];
      op.skip = static_cast<uint8_t>(args[1]);
      op.selector = args[2];
      op.size = args[3];
      op.fill = static_cast<uint8_t>(args[4]);
      if (need(6)) {
        // A sector torn in its middle: of a torn page, short of a whole one.
        if (args[5] >= kSectorBytes || args[3] == 0 || args[4] >= 8) return std::nullopt;
        op.torn_bytes = static_cast<uint16_t>(args[5]);
      }
      break;
    case OpKind::kFailDiskOnce:
      if (!need(3) || args[1] > 1 || args[2] > 255) return std::nullopt;
      op.selector = args[0];
      op.io = static_cast<FaultIo>(args[1]);
      op.skip = static_cast<uint8_t>(args[2]);
      break;
    default:
      if (!need(0)) return std::nullopt;
      break;
  }
  // Round trip, so a token has exactly one spelling per op.
  if (Encode(op) != piece) return std::nullopt;
  return op;
}

std::string ToCpp(const Op& op) {
  std::string call = "op::" + std::string(OpKindName(op.kind)) + "(";
  if (op.kind == OpKind::kDirtyReboot) {
    static constexpr std::string_view kTypes[] = {"kNow", "kDuringFlush", "kDuringNextOp"};
    return call + "RebootType::" + std::string(kTypes[std::min<uint32_t>(op.key, 2)]) + ", " +
           std::to_string(op.skip) + ", " + std::to_string(op.selector) + ", " +
           std::to_string(op.size) + ", " + std::to_string(op.fill) +
           (op.torn_bytes > 0 ? ", " + std::to_string(op.torn_bytes) : "") + ")";
  }
  if (op.kind == OpKind::kFailDiskOnce) {
    return call + std::to_string(op.selector) +
           ", FaultIo::" + (op.io == FaultIo::kRead ? "kRead" : "kWrite") + ", " +
           std::to_string(op.skip) + ")";
  }
  const std::vector<uint32_t> args = Args(op);
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) call += ", ";
    call += std::to_string(args[i]);
  }
  return call + ")";
}

}  // namespace shardstore::checker
