#include "lsn.h"

#include <gtest/gtest.h>

namespace streamhost::pgcdc {
namespace {

TEST(LsnTest, FormatsAsPostgresDoes) {
  EXPECT_EQ(formatLsn(0), "0/0");
  EXPECT_EQ(formatLsn(0x16B3748), "0/16B3748");
  EXPECT_EQ(formatLsn(0x16B374D848ULL), "16/B374D848");
  EXPECT_EQ(formatLsn(0xFFFFFFFFFFFFFFFFULL), "FFFFFFFF/FFFFFFFF");
}

TEST(LsnTest, ParsesAndRoundTrips) {
  EXPECT_EQ(parseLsn("16/B374D848"), 0x16B374D848ULL);
  EXPECT_EQ(parseLsn("16/b374d848"), 0x16B374D848ULL);
  EXPECT_EQ(parseLsn("0/0"), 0u);
  for (Lsn lsn : {Lsn{0}, Lsn{1}, Lsn{0x16B3748}, Lsn{0x100000000ULL}, Lsn{0xFFFFFFFFFFFFFFFFULL}}) {
    EXPECT_EQ(parseLsn(formatLsn(lsn)), lsn) << formatLsn(lsn);
  }
}

TEST(LsnTest, RefusesMalformedText) {
  for (const char* bad : {"", "/", "0", "0/", "/0", "G/1", "1/G", "1/123456789", "123456789/1", "1/2/3", " 1/2",
                          "1/2 ", "-1/2", "+1/2", "0x1/2"}) {
    EXPECT_FALSE(parseLsn(bad)) << '"' << bad << '"';
  }
}

TEST(OffsetTest, NoneEncodesEmptyAndParsesBack) {
  Offset none;
  EXPECT_EQ(none.encode(), "");
  auto parsed = Offset::parse("");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->kind, Offset::Kind::kNone);
}

TEST(OffsetTest, Snapshot) {
  Offset o;
  o.kind = Offset::Kind::kSnapshot;
  EXPECT_EQ(o.encode(), "snapshot");
  auto parsed = Offset::parse("snapshot");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->kind, Offset::Kind::kSnapshot);
}

TEST(OffsetTest, CompleteForm) {
  Offset o;
  o.kind = Offset::Kind::kStream;
  o.complete = 0x16B3748;
  EXPECT_EQ(o.encode(), "0/16B3748");
  auto parsed = Offset::parse("0/16B3748");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->kind, Offset::Kind::kStream);
  EXPECT_EQ(parsed->complete, 0x16B3748u);
  EXPECT_EQ(parsed->txn_commit, 0u);
  EXPECT_EQ(parsed->txn_records, 0u);
}

TEST(OffsetTest, PartialForm) {
  Offset o;
  o.kind = Offset::Kind::kStream;
  o.complete = 0x16B3748;
  o.txn_commit = 0x16C0000;
  o.txn_records = 42;
  EXPECT_EQ(o.encode(), "0/16B3748+0/16C0000#42");
  auto parsed = Offset::parse("0/16B3748+0/16C0000#42");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->kind, Offset::Kind::kStream);
  EXPECT_EQ(parsed->complete, 0x16B3748u);
  EXPECT_EQ(parsed->txn_commit, 0x16C0000u);
  EXPECT_EQ(parsed->txn_records, 42u);
  EXPECT_EQ(parsed->encode(), "0/16B3748+0/16C0000#42");
}

TEST(OffsetTest, PartialWithZeroRecordsRoundTrips) {
  auto parsed = Offset::parse("1/0+1/10#0");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->complete, 0x100000000u);
  EXPECT_EQ(parsed->txn_commit, 0x100000010u);
  EXPECT_EQ(parsed->txn_records, 0u);
  EXPECT_EQ(parsed->encode(), "1/0+1/10#0");
}

TEST(OffsetTest, RefusesForeignTokens) {
  for (const char* bad : {"x", "snapshot ", "Snapshot", "0/1+", "0/1+0/2", "0/1+0/2#", "0/1+0/2#x", "0/1+0/2#-1",
                          "0/1+0/2#1 ", "0/1+0/2#1#2", "0/1+0/0#1", "0/1#3", "+0/2#1", "0/1+0/2+0/3#1",
                          "0/1+0/2#99999999999999999999999"}) {
    EXPECT_FALSE(Offset::parse(bad)) << '"' << bad << '"';
  }
}


TEST(OffsetTest, SnapshotPositionsRoundTripAnyKeyText) {
  Offset o;
  o.kind = Offset::Kind::kSnapshot;
  o.snapshot_pos = Offset::snapshotPosition(0x16B3748, "sales", "order \"lines\"|x", {"42", "a,b]\"", ""});
  std::string text = o.encode();
  EXPECT_EQ(text.rfind("snapshot:[", 0), 0u) << text;
  auto back = Offset::parse(text);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->kind, Offset::Kind::kSnapshot);
  auto pos = back->snapshotPos();
  ASSERT_TRUE(pos.has_value());
  EXPECT_EQ(pos->consistent, 0x16B3748u);
  EXPECT_EQ(pos->schema, "sales");
  EXPECT_EQ(pos->table, "order \"lines\"|x");
  EXPECT_EQ(pos->key, (std::vector<std::string>{"42", "a,b]\"", ""}));
}

TEST(OffsetTest, BareSnapshotStillParsesAndBrokenPositionsAreRefused) {
  auto bare = Offset::parse("snapshot");
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(bare->kind, Offset::Kind::kSnapshot);
  EXPECT_FALSE(bare->snapshotPos().has_value());
  EXPECT_EQ(bare->encode(), "snapshot");
  EXPECT_FALSE(Offset::parse("snapshot:[\"0/0\",\"s\",\"t\"]").has_value());  // no consistent point
  EXPECT_FALSE(Offset::parse("snapshot:[\"0/1\",\"s\"]").has_value());        // no table
  EXPECT_FALSE(Offset::parse("snapshot:not json").has_value());
}
}  // namespace
}  // namespace streamhost::pgcdc
