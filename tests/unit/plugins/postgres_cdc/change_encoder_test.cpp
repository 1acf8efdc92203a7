#include "change_encoder.h"

#include <gtest/gtest.h>

#include <string>

#include "value_codec.h"

namespace streamhost::pgcdc {
namespace {

constexpr int64_t kNowMs = 1700000000123;

Datum text(std::string_view s) { return Datum{'t', s}; }
Datum null() { return Datum{'n', {}}; }
Datum unchanged() { return Datum{'u', {}}; }

Relation table() {
  Relation rel;
  rel.id = 16384;
  rel.schema = "public";
  rel.table = "t";
  rel.columns = {{"id", "", oid::kInt4, true, false}, {"name", "", oid::kText, false, false},
                 {"big", "", oid::kText, false, false}};
  rel.prepare();
  rel.keyFromIdentity();
  return rel;
}

SourceInfo streaming() { return SourceInfo{0x1A2B3C8, 745, 1700000000000, false}; }

struct Encoded {
  std::string key;
  std::string value;
};

Encoded encode(const Change& c, const SourceInfo& source = streaming()) {
  Encoded e{"stale", "stale"};  // buffers are reused; both must be overwritten
  encodeChange(c, source, kNowMs, e.key, e.value);
  return e;
}

const std::string kSource =
    R"("source":{"lsn":"0/1A2B3C8","txid":745,"schema":"public","table":"t","ts_ms":1700000000000,"snapshot":false})";

TEST(ChangeEncoderTest, Insert) {
  Relation rel = table();
  Tuple after{text("1"), text("x"), text("y")};
  Encoded e = encode(Change{'c', &rel, nullptr, false, &after});
  EXPECT_EQ(e.key, R"({"id":1})");
  EXPECT_EQ(e.value, R"({"op":"c","before":null,"after":{"id":1,"name":"x","big":"y"},)" + kSource +
                         R"(,"ts_ms":1700000000123})");
}

TEST(ChangeEncoderTest, NullIsPresentAsNull) {
  Relation rel = table();
  Tuple after{text("1"), null(), text("y")};
  Encoded e = encode(Change{'c', &rel, nullptr, false, &after});
  EXPECT_EQ(e.value, R"({"op":"c","before":null,"after":{"id":1,"name":null,"big":"y"},)" + kSource +
                         R"(,"ts_ms":1700000000123})");
}

TEST(ChangeEncoderTest, UpdateLeavesUnchangedToastOutOfAfter) {
  Relation rel = table();
  Tuple after{text("1"), text("x"), unchanged()};
  Encoded e = encode(Change{'u', &rel, nullptr, false, &after});
  EXPECT_EQ(e.key, R"({"id":1})");
  EXPECT_EQ(e.value, R"({"op":"u","before":null,"after":{"id":1,"name":"x"},)" + kSource +
                         R"(,"ts_ms":1700000000123,"unchanged_toast":["big"]})");
}

TEST(ChangeEncoderTest, UnchangedToastFirstColumnKeepsObjectValid) {
  Relation rel = table();
  rel.columns[0].key = false;
  Tuple after{unchanged(), unchanged(), text("z")};
  Encoded e = encode(Change{'u', &rel, nullptr, false, &after});
  EXPECT_EQ(e.value, R"({"op":"u","before":null,"after":{"big":"z"},)" + kSource +
                         R"(,"ts_ms":1700000000123,"unchanged_toast":["id","name"]})");
}

TEST(ChangeEncoderTest, KeyColumnUnchangedInAfterIsTakenFromTheOldKey) {
  // An externally stored key column is logged in the old key and marked unchanged in the new row.
  Relation rel = table();
  Tuple before{text("7"), null(), null()};
  Tuple after{unchanged(), text("x"), text("y")};
  Encoded e = encode(Change{'u', &rel, &before, true, &after});
  EXPECT_EQ(e.key, R"({"id":7})");
}

TEST(ChangeEncoderTest, UpdateWithIdentityOldTupleShowsOnlyIdentityColumns) {
  Relation rel = table();
  Tuple before{text("1"), null(), null()};
  Tuple after{text("2"), text("x"), text("y")};
  Encoded e = encode(Change{'u', &rel, &before, true, &after});
  EXPECT_EQ(e.key, R"({"id":2})");
  EXPECT_EQ(e.value, R"({"op":"u","before":{"id":1},"after":{"id":2,"name":"x","big":"y"},)" + kSource +
                         R"(,"ts_ms":1700000000123})");
}

TEST(ChangeEncoderTest, UpdateWithWholeOldRow) {
  Relation rel = table();
  Tuple before{text("1"), text("a"), null()};
  Tuple after{text("1"), text("b"), null()};
  Encoded e = encode(Change{'u', &rel, &before, false, &after});
  EXPECT_EQ(e.value, R"({"op":"u","before":{"id":1,"name":"a","big":null},)"
                     R"("after":{"id":1,"name":"b","big":null},)" + kSource + R"(,"ts_ms":1700000000123})");
}

TEST(ChangeEncoderTest, DeleteWithIdentityKey) {
  Relation rel = table();
  Tuple before{text("7"), null(), null()};
  Encoded e = encode(Change{'d', &rel, &before, true, nullptr});
  EXPECT_EQ(e.key, R"({"id":7})");
  EXPECT_EQ(e.value, R"({"op":"d","before":{"id":7},"after":null,)" + kSource + R"(,"ts_ms":1700000000123})");
}

TEST(ChangeEncoderTest, DeleteWithWholeOldRow) {
  Relation rel = table();
  Tuple before{text("7"), text("x"), text("y")};
  Encoded e = encode(Change{'d', &rel, &before, false, nullptr});
  EXPECT_EQ(e.key, R"({"id":7})");
  EXPECT_EQ(e.value, R"({"op":"d","before":{"id":7,"name":"x","big":"y"},"after":null,)" + kSource +
                         R"(,"ts_ms":1700000000123})");
}

TEST(ChangeEncoderTest, SnapshotReadHasNullTxidAndSnapshotFlag) {
  Relation rel = table();
  Tuple after{text("1"), text("x"), text("y")};
  SourceInfo snapshot{0x16B3748, std::nullopt, 1700000000000, true};
  Encoded e = encode(Change{'r', &rel, nullptr, false, &after}, snapshot);
  EXPECT_EQ(e.key, R"({"id":1})");
  EXPECT_EQ(e.value,
            R"({"op":"r","before":null,"after":{"id":1,"name":"x","big":"y"},)"
            R"("source":{"lsn":"0/16B3748","txid":null,"schema":"public","table":"t",)"
            R"("ts_ms":1700000000000,"snapshot":true},)"
            R"("ts_ms":1700000000123})");
}

TEST(ChangeEncoderTest, TruncateHasNoKeyNorRows) {
  Relation rel = table();
  Encoded e = encode(Change{'t', &rel, nullptr, false, nullptr});
  EXPECT_EQ(e.key, "");
  EXPECT_EQ(e.value, R"({"op":"t","before":null,"after":null,)" + kSource + R"(,"ts_ms":1700000000123})");
}

TEST(ChangeEncoderTest, TableWithoutKeyHasEmptyKey) {
  Relation rel = table();
  rel.setKey({});
  Tuple after{text("1"), text("x"), text("y")};
  Encoded e = encode(Change{'c', &rel, nullptr, false, &after});
  EXPECT_EQ(e.key, "");
}

TEST(ChangeEncoderTest, CompositeKeyInColumnOrder) {
  Relation rel = table();
  EXPECT_TRUE(rel.setKey({"name", "id"}));
  EXPECT_FALSE(rel.setKey({"id", "missing"}));
  EXPECT_TRUE(rel.setKey({"name", "id"}));
  Tuple after{text("1"), text("x"), text("y")};
  EXPECT_EQ(encode(Change{'c', &rel, nullptr, false, &after}).key, R"({"id":1,"name":"x"})");
}

TEST(ChangeEncoderTest, NamesAreEscapedAndValuesTyped) {
  Relation rel;
  rel.schema = "we\"ird";
  rel.table = "t\\1";
  rel.columns = {{"k\"ey", "", oid::kUuid, true, true}, {"doc", "", oid::kJsonb, false, false},
                 {"at", "", oid::kTimestamptz, false, false}, {"ok", "", oid::kBool, false, false}};
  rel.prepare();
  Tuple after{text("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), text(R"({"n": 1})"), text("2024-01-02 03:04:05.123456+00"),
              text("t")};
  Encoded e = encode(Change{'c', &rel, nullptr, false, &after}, SourceInfo{0x10, 1, 2, false});
  EXPECT_EQ(e.key, R"({"k\"ey":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"})");
  EXPECT_EQ(e.value,
            R"({"op":"c","before":null,"after":{"k\"ey":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","doc":{"n": 1},)"
            R"("at":"2024-01-02T03:04:05.123456Z","ok":true},)"
            R"("source":{"lsn":"0/10","txid":1,"schema":"we\"ird","table":"t\\1","ts_ms":2,"snapshot":false},)"
            R"("ts_ms":1700000000123})");
}

}  // namespace
}  // namespace streamhost::pgcdc
