// Encodings the MariaDB under test never sends (MySQL's binary JSON) and the
// pieces of the decoder that hand-built bytes pin down exactly.
#include <gtest/gtest.h>

#include <streamhost/plugin_sdk.hpp>

#include <string>

#include "binlog_event.h"
#include "binlog_position.h"
#include "byte_reader.h"
#include "row_encoder.h"
#include "table_schema.h"
#include "value_decoder.h"

namespace streamhost::mycdc {
namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int v : b) {
    s += static_cast<char>(v);
  }
  return s;
}

std::string json(const std::string& binary) {
  std::string out;
  appendMysqlJson(out, binary);
  return out;
}

TEST(MysqlJsonTest, SmallObjectWithNestedArrayInlineAndOffsetValues) {
  std::string doc = bytes({0x00, 0x02, 0x00, 0x20, 0x00, 0x12, 0x00, 0x01, 0x00, 0x13, 0x00, 0x01, 0x00, 0x05, 0x01,
                           0x00, 0x02, 0x14, 0x00, 'a', 'b', 0x02, 0x00, 0x0c, 0x00, 0x04, 0x01, 0x00, 0x0c, 0x0a,
                           0x00, 0x01, 'x'});
  EXPECT_EQ(json(doc), "{\"a\":1,\"b\":[true,\"x\"]}");
}

TEST(MysqlJsonTest, ScalarsKeepTheirExactValues) {
  EXPECT_EQ(json(bytes({0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})), "18446744073709551615");
  EXPECT_EQ(json(bytes({0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80})), "-9223372036854775808");
  EXPECT_EQ(json(bytes({0x0b, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f})), "0.5");
  EXPECT_EQ(json(bytes({0x04, 0x00})), "null");
  EXPECT_EQ(json(bytes({0x04, 0x02})), "false");
  EXPECT_EQ(json(bytes({0x0c, 0x03, 'a', '"', 'b'})), "\"a\\\"b\"");
  EXPECT_EQ(json(""), "null");
}

TEST(MysqlJsonTest, TruncatedDocumentIsAnErrorNotARead) {
  EXPECT_THROW(json(bytes({0x00, 0x02, 0x00, 0x20})), sdk::Error);
  EXPECT_THROW(json(bytes({0x0c, 0x05, 'a'})), sdk::Error);
}

TEST(DecimalTest, PositiveNegativeAndMultiWord) {
  size_t used = 0;
  std::string pos = bytes({0x80, 0x7b, 0x2d});
  EXPECT_EQ(decodeDecimal(reinterpret_cast<const uint8_t*>(pos.data()), 5, 2, &used), "123.45");
  EXPECT_EQ(used, 3u);
  std::string neg = bytes({0x7f, 0x84, 0xd2});
  EXPECT_EQ(decodeDecimal(reinterpret_cast<const uint8_t*>(neg.data()), 5, 2, &used), "-123.45");
  // DECIMAL(20,0) = 1 followed by 18 zeros + 1: a 2-digit partial word then a full word.
  EXPECT_EQ(decimalSize(20, 0), 9u);
}

TEST(BinlogOffsetTest, RoundTripsEveryForm) {
  for (std::string text : {"mysql-bin.000003:1234", "mysql-bin.000003:1234#17", "b.000001:4;0-1-99",
                           "b.000001:4#2;0-1-99", "b.000001:4@1765000000", "b.000001:4#2@1765000000;0-1-99",
                           "b.000001:4@1765000000;3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5", "snapshot", ""}) {
    auto o = BinlogOffset::parse(text);
    ASSERT_TRUE(o) << text;
    EXPECT_EQ(o->encode(), text);
  }
  auto o = BinlogOffset::parse("mysql-bin.000003:1234#17;0-1-99");
  EXPECT_EQ(o->file, "mysql-bin.000003");
  EXPECT_EQ(o->pos, 1234u);
  EXPECT_EQ(o->rows, 17u);
  EXPECT_EQ(o->gtid, "0-1-99");
  EXPECT_EQ(o->time_s, 0) << "older tokens carry no time";
  o = BinlogOffset::parse("we@host-bin.000003:1234#17@1765000000;0-1-99");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->file, "we@host-bin.000003") << "an @ before the position belongs to the file name";
  EXPECT_EQ(o->rows, 17u);
  EXPECT_EQ(o->time_s, 1765000000);
}

TEST(BinlogOffsetTest, RefusesWhatItDidNotWrite) {
  for (std::string text : {"16/B374D848", "file:", "file:x", ":4", "file:2", "file:10#", "file:10#x", "file:10@", "file:10@0",
                           "file:10@x", "file:10@99999999999999999999"}) {
    EXPECT_FALSE(BinlogOffset::parse(text)) << text;
  }
}

TEST(GtidStateTest, KeepsTheLastTransactionOfEachDomainInDomainOrder) {
  EXPECT_EQ(withMariaGtid("", "0-1-5"), "0-1-5");
  EXPECT_EQ(withMariaGtid("0-1-5", "0-1-6"), "0-1-6");
  EXPECT_EQ(withMariaGtid("0-1-6", "2-3-1"), "0-1-6,2-3-1");
  EXPECT_EQ(withMariaGtid("0-1-6,2-3-1", "1-9-4"), "0-1-6,1-9-4,2-3-1");
  EXPECT_EQ(withMariaGtid("0-1-6,1-9-4,2-3-1", "1-2-5"), "0-1-6,1-2-5,2-3-1");
  EXPECT_EQ(withMariaGtid("1-2-5", "0-1-7"), "0-1-7,1-2-5");
  // A MySQL GTID is not a MariaDB position: the new one replaces it.
  EXPECT_EQ(withMariaGtid("3E11FA47-71CA-11E1-9E33-C80AA9429562:23", "0-1-1"), "0-1-1");
}

TEST(GtidStateTest, OnlyDigitTriplesAreAMariaDbPosition) {
  for (std::string ok : {"0-1-5", "0-1-6,2-3-1", "4294967295-4294967295-18446744073709551615"}) {
    EXPECT_TRUE(isMariaGtidState(ok)) << ok;
  }
  for (std::string bad : {"", "0-1", "0-1-", "a-1-2", "0-1-2,", ",0-1-2", "0-1-2;x", "0-1-2' OR '1",
                          "3E11FA47-71CA-11E1-9E33-C80AA9429562:23"}) {
    EXPECT_FALSE(isMariaGtidState(bad)) << bad;
  }
}

TEST(LabelsTest, EnumAndSetLabelsWithQuotes) {
  EXPECT_EQ(parseLabels("enum('a','it''s','x,y')"), (std::vector<std::string>{"a", "it's", "x,y"}));
  EXPECT_EQ(parseLabels("set('')"), (std::vector<std::string>{""}));
  EXPECT_TRUE(parseLabels("int(11)").empty());
}

}  // namespace
}  // namespace streamhost::mycdc

namespace streamhost::mycdc {
namespace {

TEST(Crc32Test, FastAndBytewiseAgreeOnTheKnownVector) {
  EXPECT_EQ(crc32Ieee("123456789"), 0xCBF43926u);
  std::string data;
  for (int i = 0; i < 10000; ++i) {
    data += static_cast<char>(i * 31 + 7);
  }
  EXPECT_EQ(crc32Ieee(data), crc32Bytewise(data));
  EXPECT_EQ(crc32Bytewise("123456789"), 0xCBF43926u);
}

}  // namespace
}  // namespace streamhost::mycdc

namespace streamhost::mycdc {
namespace {

TEST(GtidTest, MysqlGtidEventFromItsBytes) {
  std::string body = bytes({0x01, 0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42,
                            0x95, 0x62, 23, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(parseMysqlGtid(body).text, "3e11fa47-71ca-11e1-9e33-c80aa9429562:23");
}

TEST(GtidTest, MariaGtidEventFromItsBytes) {
  std::string body = bytes({0x2a, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0x01});
  Gtid g = parseMariaGtid(body, 7);
  EXPECT_EQ(g.text, "2-7-42");
  EXPECT_TRUE(g.standalone);
  EXPECT_THROW(parseMariaGtid(body.substr(0, 5), 7), Truncated);
}

}  // namespace
}  // namespace streamhost::mycdc

namespace streamhost::mycdc {
namespace {

TEST(RowsEventTest, MysqlV2UpdateWithExtraDataFromItsBytes) {
  // Update_rows v2: table id 7, flags, 4 bytes of extra data (length 6 with itself),
  // 2 columns, both present before and after; then before (1, NULL) and after (1, -2).
  std::string body = bytes({7, 0, 0, 0, 0, 0, 0x01, 0x00, 0x06, 0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0x02, 0x03, 0x03,
                            0x02, 1, 0, 0, 0, 0x00, 1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff});
  RowsHeader h = parseRowsHeader(body, ev::kUpdateRows, 10);
  EXPECT_EQ(h.table_id, 7u);
  ASSERT_EQ(h.column_count, 2u);
  TableSchema s;
  for (const char* name : {"id", "v"}) {
    ColumnInfo c;
    c.name = name;
    c.json_key = std::string("\"") + name + "\":";
    c.type = c.real_type = 3;
    c.kind = ValueKind::kInteger;
    s.columns.push_back(c);
  }
  ByteReader r(h.rows);
  RowImage before, after;
  decodeImage(r, s, h.present, before);
  decodeImage(r, s, h.present_after, after);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(before.json, "{\"id\":1,\"v\":null}");
  EXPECT_EQ(after.json, "{\"id\":1,\"v\":-2}");
  EXPECT_EQ(rowsOp(ev::kUpdateRows), 'u');
}

}  // namespace
}  // namespace streamhost::mycdc
