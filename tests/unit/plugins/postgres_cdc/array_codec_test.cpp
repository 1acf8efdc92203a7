#include <gtest/gtest.h>

#include <string>

#include "value_codec.h"

namespace streamhost::pgcdc {
namespace {

constexpr uint32_t kBoolArray = 1000, kByteaArray = 1001, kInt4Array = 1007, kTextArray = 1009,
                   kFloat8Array = 1022, kTimestamptzArray = 1185, kNumericArray = 1231, kJsonbArray = 3807;

std::string pg(uint32_t type_oid, std::string_view text) {
  std::string out;
  appendPgValue(out, type_oid, text);
  return out;
}

TEST(ArrayCodecTest, ElementTypes) {
  EXPECT_EQ(arrayElementType(kInt4Array), oid::kInt4);
  EXPECT_EQ(arrayElementType(kTextArray), oid::kText);
  EXPECT_EQ(arrayElementType(kJsonbArray), oid::kJsonb);
  EXPECT_EQ(arrayElementType(oid::kInt4), 0u);
}

TEST(ArrayCodecTest, IntArray) { EXPECT_EQ(pg(kInt4Array, "{1,2,3}"), "[1,2,3]"); }

TEST(ArrayCodecTest, NestedArray) { EXPECT_EQ(pg(kInt4Array, "{{1,2},{3,4}}"), "[[1,2],[3,4]]"); }

TEST(ArrayCodecTest, EmptyArray) {
  EXPECT_EQ(pg(kInt4Array, "{}"), "[]");
  EXPECT_EQ(pg(kTextArray, "{}"), "[]");
}

TEST(ArrayCodecTest, TextArrayWithQuotedElements) {
  EXPECT_EQ(pg(kTextArray, R"({a,"b c","",x})"), R"(["a","b c","","x"])");
}

TEST(ArrayCodecTest, TextArrayUnescapesElements) {
  EXPECT_EQ(pg(kTextArray, R"({"say \"hi\"","back\\slash","a,b","{}"})"),
            R"(["say \"hi\"","back\\slash","a,b","{}"])");
}

TEST(ArrayCodecTest, NullElementVersusQuotedNullText) {
  EXPECT_EQ(pg(kTextArray, R"({NULL,"NULL",null})"), R"([null,"NULL","null"])");
  EXPECT_EQ(pg(kInt4Array, "{1,NULL}"), "[1,null]");
}

TEST(ArrayCodecTest, ExplicitBoundsAreDropped) {
  EXPECT_EQ(pg(kInt4Array, "[0:1]={1,2}"), "[1,2]");
  EXPECT_EQ(pg(kInt4Array, "[1:2][1:1]={{1},{2}}"), "[[1],[2]]");
}

TEST(ArrayCodecTest, ElementsAreMappedLikeScalars) {
  EXPECT_EQ(pg(kBoolArray, "{t,f,NULL}"), "[true,false,null]");
  EXPECT_EQ(pg(kFloat8Array, "{1.5,NaN,-Infinity}"), R"([1.5,"NaN","-Infinity"])");
  EXPECT_EQ(pg(kNumericArray, "{1.50,2}"), R"(["1.50","2"])");
  EXPECT_EQ(pg(kTimestamptzArray, R"({"2024-01-02 03:04:05+00"})"), R"(["2024-01-02T03:04:05Z"])");
  EXPECT_EQ(pg(kByteaArray, R"({"\\x6869",NULL})"), R"(["aGk=",null])");
  EXPECT_EQ(pg(kJsonbArray, R"({"{\"a\": 1}",NULL})"), R"([{"a": 1},null])");
}

TEST(ArrayCodecTest, MalformedArrayTextFallsBackToString) {
  EXPECT_EQ(pg(kInt4Array, "{1,2"), R"("{1,2")");
  EXPECT_EQ(pg(kInt4Array, "{1,2}x"), R"("{1,2}x")");
  EXPECT_EQ(pg(kInt4Array, "1,2"), R"("1,2")");
  EXPECT_EQ(pg(kInt4Array, ""), R"("")");
  EXPECT_EQ(pg(kTextArray, R"({"open)"), R"("{\"open")");
  EXPECT_EQ(pg(kTextArray, R"({"a"b})"), R"("{\"a\"b}")");
  EXPECT_EQ(pg(kInt4Array, "[0:1]"), R"("[0:1]")");
  EXPECT_EQ(pg(kInt4Array, "{{1,2}"), R"("{{1,2}")");
}

TEST(ArrayCodecTest, FallbackLeavesNoPartialOutput) {
  std::string out = "v=";
  appendPgValue(out, kInt4Array, "{1,2,");
  EXPECT_EQ(out, R"(v="{1,2,")");
}

TEST(ArrayCodecTest, SixDimensionsAsPostgresAllows) {
  EXPECT_EQ(pg(kInt4Array, "{{{{{{1}}}}}}"), "[[[[[[1]]]]]]");
}

// PostgreSQL never sends more than six dimensions (MAXDIM); deeper text is
// not an array it wrote and stays a string instead of being parsed.
TEST(ArrayCodecTest, DeeperThanSixDimensionsStaysText) {
  EXPECT_EQ(pg(kInt4Array, "{{{{{{{1}}}}}}}"), R"("{{{{{{{1}}}}}}}")");
}

TEST(ArrayCodecTest, VeryDeepNestingDoesNotExhaustTheStack) {
  std::string deep(200000, '{');
  std::string out = pg(kInt4Array, deep);
  EXPECT_EQ(out.size(), deep.size() + 2);
  EXPECT_EQ(out.front(), '"');
}

}  // namespace
}  // namespace streamhost::pgcdc
