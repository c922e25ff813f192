// Ops and replay tokens: every op survives a round trip through its token piece, tokens reject
// anything malformed, and a pasted case reproduces exactly.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "shardstore/checker/replay.h"
#include "shardstore/limits.h"

namespace shardstore::checker {
namespace {

rc::Gen<Op> AnyFields();

rc::Gen<Op> AnyOp() {
  // DirtyReboot's type and sector count have bounds; keep generated ones inside them.
  return rc::gen::map(AnyFields(), [](Op op) {
    if (op.kind == OpKind::kDirtyReboot) {
      op.key %= 3;
      op.fill %= 9;
    }
    return op;
  });
}

rc::Gen<Op> AnyFields() {
  return rc::gen::build<Op>(
      rc::gen::set(&Op::kind, rc::gen::cast<OpKind>(rc::gen::inRange(0, kOpKindCount))),
      rc::gen::set(&Op::key, rc::gen::inRange<uint32_t>(0, 1000)),
      // Within what a token may carry (ParseToken refuses larger values as bad input).
      rc::gen::set(&Op::size, rc::gen::inRange<uint32_t>(0, kChunkPayloadBytesMax + 1)),
      rc::gen::set(&Op::fill), rc::gen::set(&Op::selector), rc::gen::set(&Op::skip),
      rc::gen::set(&Op::io, rc::gen::element(FaultIo::kRead, FaultIo::kWrite)));
}

// Only the fields a kind uses survive; the rest read back as zero.
Op Canonical(const Op& op) {
  std::optional<Op> decoded = Decode(Encode(op));
  RC_ASSERT(decoded.has_value());
  return *decoded;
}

RC_GTEST_PROP(OpTest, TokenPieceRoundTrips, ()) {
  const Op op = *AnyOp();
  const Op canonical = Canonical(op);
  RC_ASSERT(canonical.kind == op.kind);
  RC_ASSERT(Decode(Encode(canonical)) == canonical);
  RC_ASSERT(Show(canonical).rfind(std::string(OpKindName(op.kind)), 0) == 0);
}

RC_GTEST_PROP(OpTest, CaseTokenRoundTrips, ()) {
  Case c;
  c.harness = *rc::gen::element(HarnessKind::kStore, HarnessKind::kIndex);
  for (const Op& op : *rc::gen::container<std::vector<Op>>(AnyOp())) {
    if (InAlphabet(c.harness, op.kind)) c.ops.push_back(Canonical(op));
  }
  const std::optional<Case> decoded = DecodeToken(EncodeToken(c));
  RC_ASSERT(decoded.has_value());
  RC_ASSERT(decoded->ops == c.ops);
  RC_ASSERT(decoded->harness == c.harness);
}

TEST(OpTest, MalformedTokensAreRejected) {
  for (const char* token :
       {"", "ss1", "ss1:store:-", "ss2:store:-:G0", "ss1:disk:-:G0", "ss1:store:no_such_bug:G0",
        "ss1:store:-:G", "ss1:store:-:G0,1", "ss1:store:-:G0.", "ss1:store:-:Y1",
        "ss1:store:-:P0,1,256", "ss1:store:-:G01", "ss1:chunk:-:G0", "ss1:store:-:Q0",
        "ss1:store:-:G-1", "ss1:store:-:G99999999999"}) {
    EXPECT_FALSE(DecodeToken(token).has_value()) << token;
  }
  EXPECT_TRUE(DecodeToken("ss1:store:-:").has_value());
  EXPECT_TRUE(DecodeToken("ss1:chunk:-:A0,4096,1.Q0.Z0.S.B").has_value());
}

TEST(OpTest, ShowsReadableSteps) {
  EXPECT_EQ(Show(op::Put(1, 4097, 7)), "Put(b, 4097 bytes, fill 7)");
  EXPECT_EQ(Show(op::Reclaim(3)), "Reclaim(#3)");
  EXPECT_EQ(Show(op::FailDiskOnce(2, FaultIo::kRead, 1)), "FailDiskOnce(#2, read, skip 1)");
  EXPECT_EQ(ToCpp(op::Put(1, 4097, 7)), "op::Put(1, 4097, 7)");
  EXPECT_EQ(Show(op::DirtyReboot(RebootType::kDuringNextOp, 2, 5, 3, 4)),
            "DirtyReboot(during next ops, barrier 2, keep pending pages 0,2, tear page 2 after 4 "
            "sectors)");
  EXPECT_EQ(Decode(Encode(op::DirtyReboot(RebootType::kNow, 0, 0, 0, 0))),
            op::DirtyReboot(RebootType::kNow, 0, 0, 0, 0));
  EXPECT_FALSE(Decode("K3,0,0,0,0").has_value());  // no such reboot type
  // A sector torn in its middle: a sixth argument, only when not 0 (older tokens read the same).
  const Op mid_sector = op::DirtyReboot(RebootType::kDuringNextOp, 1, 0, 1, 0, 64);
  EXPECT_EQ(Encode(mid_sector), "K2,1,0,1,0,64");
  EXPECT_EQ(Decode("K2,1,0,1,0,64"), mid_sector);
  EXPECT_EQ(Show(mid_sector),
            "DirtyReboot(during next ops, barrier 1, keep pending pages none, tear page 0 after 0 "
            "sectors and 64 bytes)");
  EXPECT_EQ(ToCpp(mid_sector), "op::DirtyReboot(RebootType::kDuringNextOp, 1, 0, 1, 0, 64)");
  EXPECT_FALSE(Decode("K2,1,0,1,0,0").has_value());    // one spelling per op
  EXPECT_FALSE(Decode("K2,1,0,1,0,512").has_value());  // a whole sector is a sector boundary
  EXPECT_FALSE(Decode("K2,1,0,0,0,64").has_value());   // no page torn
  EXPECT_EQ(KeyName(0), "a");
  EXPECT_EQ(KeyName(27), "bb");
}

TEST(OpTest, GeneratedTestNamesTheCaseAndTheBug) {
  const Case c{
      HarnessKind::kStore, seeded::Bug::kCacheNotDrainedAfterReset, {op::Put(0, 1, 2), op::Get(0)}};
  const std::string test = GTestFor(c, "Example", "Get(a) returned ...");
  EXPECT_NE(test.find("TEST(ConformanceRegress, Example)"), std::string::npos);
  EXPECT_NE(test.find("seeded::Bug::kCacheNotDrainedAfterReset"), std::string::npos);
  EXPECT_NE(test.find("op::Put(0, 1, 2),"), std::string::npos);
  EXPECT_NE(test.find(EncodeToken(c)), std::string::npos);
}

}  // namespace
}  // namespace shardstore::checker
