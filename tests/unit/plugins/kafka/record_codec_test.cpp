#include "record_codec.h"

#include <gtest/gtest.h>

namespace streamhost::kafka {
namespace {

TEST(KafkaCodecTest, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foob"), "Zm9vYg==");
  EXPECT_EQ(base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64(std::string("\xff\x00\xfe", 3)), "/wD+");
}

// The stored form of `raw` under `format`.
std::string stored(Format format, std::string_view raw, Part part = Part::kValue) {
  return std::string(encode(format, raw, part).view(raw));
}

TEST(KafkaCodecTest, ValuesBecomeJsonAndKeysStayText) {
  EXPECT_EQ(stored(Format::kJson, R"({"a":[1,2]})"), R"({"a":[1,2]})");
  EXPECT_TRUE(encode(Format::kJson, R"({"a":1})").as_is);  // stored without a copy
  EXPECT_FALSE(encode(Format::kJson, "42").error.has_value());
  Encoded bad = encode(Format::kJson, "{oops");
  EXPECT_EQ(bad.view("{oops"), "{oops");
  ASSERT_TRUE(bad.error.has_value());
  EXPECT_NE(bad.error->find("not JSON"), std::string::npos);

  EXPECT_EQ(stored(Format::kString, "say \"hi\"\n"), "\"say \\\"hi\\\"\\n\"");
  EXPECT_EQ(stored(Format::kString, "say", Part::kKey), "say");
  Encoded latin1 = encode(Format::kString, "caf\xe9");
  EXPECT_EQ(latin1.view("caf\xe9"), "caf\xe9");
  EXPECT_EQ(latin1.error, std::optional<std::string>("not UTF-8 text"));

  EXPECT_EQ(stored(Format::kBytes, "foo"), "\"Zm9v\"");
  EXPECT_EQ(stored(Format::kBytes, "foo", Part::kKey), "Zm9v");
  EXPECT_EQ(parseFormat("bytes"), Format::kBytes);
  EXPECT_EQ(parseFormat("xml"), std::nullopt);
}

TEST(KafkaCodecTest, PositionsRoundTripSortedAndRefuseGarbage) {
  Positions p;
  p[TopicPartition{"orders", 3}] = 1235;
  p[TopicPartition{"orders", 0}] = 12;
  p[TopicPartition{"a.b-c", 1}] = 0;
  std::string text = formatPositions(p);
  EXPECT_EQ(text, "a.b-c/1@0,orders/0@12,orders/3@1235");
  EXPECT_EQ(parsePositions(text), p);
  EXPECT_EQ(parsePositions(""), Positions{});
  // A record's own token reads as a one-partition list.
  EXPECT_EQ(parsePositions(recordToken("t", 2, 9)), (Positions{{TopicPartition{"t", 2}, 9}}));
  for (const char* bad : {"orders", "orders/x@1", "orders/1@", "/1@2", "orders/1@-3", "orders/1@2,", "o/1@2,junk"}) {
    EXPECT_FALSE(parsePositions(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace streamhost::kafka
