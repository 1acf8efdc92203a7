#include "value_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace streamhost::pgcdc {
namespace {

std::string json(std::string_view s) {
  std::string out;
  appendJsonString(out, s);
  return out;
}

std::string pg(uint32_t type_oid, std::string_view text) {
  std::string out;
  appendPgValue(out, type_oid, text);
  return out;
}

std::string b64(std::string_view bytes) {
  std::string out;
  appendBase64(out, bytes);
  return out;
}

TEST(JsonStringTest, EscapesQuotesAndBackslash) {
  EXPECT_EQ(json(""), R"("")");
  EXPECT_EQ(json("plain"), R"("plain")");
  EXPECT_EQ(json(R"(a"b\c)"), R"("a\"b\\c")");
}

TEST(JsonStringTest, EscapesControlCharacters) {
  EXPECT_EQ(json("\n\r\t"), R"("\n\r\t")");
  EXPECT_EQ(json(std::string_view("a\0b", 3)), R"("a\u0000b")");
  EXPECT_EQ(json("\x01\x08\x0c\x1f"), R"("\u0001\u0008\u000c\u001f")");
  EXPECT_EQ(json("\x7f"), "\"\x7f\"");
}

TEST(JsonStringTest, PassesUtf8Through) {
  EXPECT_EQ(json("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"), "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"");
}

TEST(JsonStringTest, Appends) {
  std::string out = "[";
  appendJsonString(out, "x");
  EXPECT_EQ(out, R"(["x")");
}

TEST(PgValueTest, Bool) {
  EXPECT_EQ(pg(oid::kBool, "t"), "true");
  EXPECT_EQ(pg(oid::kBool, "f"), "false");
}

TEST(PgValueTest, Integers) {
  EXPECT_EQ(pg(oid::kInt2, "-32768"), "-32768");
  EXPECT_EQ(pg(oid::kInt4, "2147483647"), "2147483647");
  EXPECT_EQ(pg(oid::kInt8, "-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(pg(oid::kOid, "4294967295"), "4294967295");
}

TEST(PgValueTest, FloatsWithSpecialValuesAsStrings) {
  EXPECT_EQ(pg(oid::kFloat8, "1.5"), "1.5");
  EXPECT_EQ(pg(oid::kFloat8, "-1.25e-07"), "-1.25e-07");
  EXPECT_EQ(pg(oid::kFloat4, "1e+20"), "1e+20");
  EXPECT_EQ(pg(oid::kFloat8, "NaN"), R"("NaN")");
  EXPECT_EQ(pg(oid::kFloat8, "Infinity"), R"("Infinity")");
  EXPECT_EQ(pg(oid::kFloat4, "-Infinity"), R"("-Infinity")");
}

TEST(PgValueTest, NumericIsAString) {
  EXPECT_EQ(pg(oid::kNumeric, "12.340"), R"("12.340")");
  EXPECT_EQ(pg(oid::kNumeric, "NaN"), R"("NaN")");
}

TEST(PgValueTest, JsonIsInline) {
  EXPECT_EQ(pg(oid::kJson, R"({"a": [1, "x"]})"), R"({"a": [1, "x"]})");
  EXPECT_EQ(pg(oid::kJsonb, R"({"a": null})"), R"({"a": null})");
  EXPECT_EQ(pg(oid::kJsonb, "3"), "3");
}

TEST(PgValueTest, ByteaHexBecomesBase64) {
  EXPECT_EQ(pg(oid::kBytea, R"(\x)"), R"("")");
  EXPECT_EQ(pg(oid::kBytea, R"(\x66)"), R"("Zg==")");
  EXPECT_EQ(pg(oid::kBytea, R"(\x666f)"), R"("Zm8=")");
  EXPECT_EQ(pg(oid::kBytea, R"(\x666f6f)"), R"("Zm9v")");
  EXPECT_EQ(pg(oid::kBytea, R"(\xFFfe)"), R"("//4=")");
}

TEST(PgValueTest, ByteaNotInHexFormIsKeptAsText) {
  EXPECT_EQ(pg(oid::kBytea, R"(\x6)"), R"("\\x6")");
  EXPECT_EQ(pg(oid::kBytea, R"(\xzz)"), R"("\\xzz")");
  EXPECT_EQ(pg(oid::kBytea, "abc"), R"("abc")");
}

TEST(PgValueTest, TimestamptzBecomesRfc3339Utc) {
  EXPECT_EQ(pg(oid::kTimestamptz, "2024-01-02 03:04:05.123456+00"), R"("2024-01-02T03:04:05.123456Z")");
  EXPECT_EQ(pg(oid::kTimestamptz, "2024-01-02 03:04:05+00"), R"("2024-01-02T03:04:05Z")");
}

TEST(PgValueTest, TimestamptzKeepsOtherZones) {
  EXPECT_EQ(pg(oid::kTimestamptz, "2024-01-02 03:04:05+05:30"), R"("2024-01-02T03:04:05+05:30")");
  EXPECT_EQ(pg(oid::kTimestamptz, "2024-01-02 03:04:05.5+05"), R"("2024-01-02T03:04:05.5+05:00")");
  EXPECT_EQ(pg(oid::kTimestamptz, "2024-01-02 03:04:05-08"), R"("2024-01-02T03:04:05-08:00")");
}

TEST(PgValueTest, TimestampSpecialValuesStayText) {
  EXPECT_EQ(pg(oid::kTimestamptz, "infinity"), R"("infinity")");
  EXPECT_EQ(pg(oid::kTimestamptz, "-infinity"), R"("-infinity")");
  EXPECT_EQ(pg(oid::kTimestamptz, "0044-03-15 12:00:00+00 BC"), R"("0044-03-15 12:00:00+00 BC")");
  EXPECT_EQ(pg(oid::kTimestamp, "0044-03-15 12:00:00 BC"), R"("0044-03-15 12:00:00 BC")");
  EXPECT_EQ(pg(oid::kTimestamp, "infinity"), R"("infinity")");
}

TEST(PgValueTest, TimestampWithoutZoneHasNoZone) {
  EXPECT_EQ(pg(oid::kTimestamp, "2024-01-02 03:04:05.123456"), R"("2024-01-02T03:04:05.123456")");
  EXPECT_EQ(pg(oid::kTimestamp, "2024-01-02 03:04:05"), R"("2024-01-02T03:04:05")");
}

TEST(PgValueTest, OtherTypesAreStrings) {
  EXPECT_EQ(pg(oid::kDate, "2024-01-02"), R"("2024-01-02")");
  EXPECT_EQ(pg(oid::kUuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), R"("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")");
  EXPECT_EQ(pg(oid::kText, "say \"hi\"\n"), R"("say \"hi\"\n")");
  EXPECT_EQ(pg(oid::kVarchar, ""), R"("")");
  EXPECT_EQ(pg(oid::kInterval, "1 day 02:00:00"), R"("1 day 02:00:00")");
  EXPECT_EQ(pg(790, "$1.00"), R"("$1.00")");  // money: not mapped
}

TEST(PgValueTest, Appends) {
  std::string out = "x:";
  appendPgValue(out, oid::kInt4, "7");
  EXPECT_EQ(out, "x:7");
}

TEST(Base64Test, Rfc4648Vectors) {
  EXPECT_EQ(b64(""), "");
  EXPECT_EQ(b64("f"), "Zg==");
  EXPECT_EQ(b64("fo"), "Zm8=");
  EXPECT_EQ(b64("foo"), "Zm9v");
  EXPECT_EQ(b64("foob"), "Zm9vYg==");
  EXPECT_EQ(b64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(b64("foobar"), "Zm9vYmFy");
}

TEST(Base64Test, HighBytesUseTheStandardAlphabet) {
  EXPECT_EQ(b64("\xff\xff\xff"), "////");
  EXPECT_EQ(b64("\xfb\xff"), "+/8=");
  EXPECT_EQ(b64(std::string_view("\0", 1)), "AA==");
}

}  // namespace
}  // namespace streamhost::pgcdc
