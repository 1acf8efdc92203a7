#include "common/json_syntax.h"

#include <gtest/gtest.h>

namespace streamhost {
namespace {

TEST(JsonSyntaxTest, AcceptsValidDocuments) {
  for (const char* ok : {"{}", "[]", "0", "-1.5e10", "\"a\\u00e9\\n\"", "{\"a\":[1,2,{\"b\":null}],\"c\":true}",
                         " \n{ \"x\" : false } \t"}) {
    EXPECT_FALSE(checkJsonSyntax(ok).has_value()) << ok;
  }
}

TEST(JsonSyntaxTest, ReportsLineColumnAndOffsetOfTheFirstError) {
  auto e = checkJsonSyntax("{\"a\": [1,2,}");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->offset, 11u);
  EXPECT_EQ(e->line, 1u);
  EXPECT_EQ(e->column, 12u);
  EXPECT_EQ(e->describe(), "unexpected '}' at line 1, column 12 (byte 11)");

  e = checkJsonSyntax("{\n  \"a\": 1,\n  oops\n}");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->line, 3u);
  EXPECT_EQ(e->column, 3u);
}

TEST(JsonSyntaxTest, RejectsTrailingGarbageTruncationAndBadLiterals) {
  EXPECT_TRUE(checkJsonSyntax("{} x").has_value());
  EXPECT_TRUE(checkJsonSyntax("{\"a\":").has_value());
  EXPECT_TRUE(checkJsonSyntax("tru").has_value());
  EXPECT_TRUE(checkJsonSyntax("01").has_value());
  EXPECT_TRUE(checkJsonSyntax("\"\\x\"").has_value());
  EXPECT_TRUE(checkJsonSyntax("\"a\nb\"").has_value());
  EXPECT_TRUE(checkJsonSyntax("").has_value());
}

TEST(JsonSyntaxTest, BoundsNestingDepth) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  auto e = checkJsonSyntax(deep, 64);
  ASSERT_TRUE(e.has_value());
  EXPECT_NE(e->message.find("nesting"), std::string::npos);
  EXPECT_FALSE(checkJsonSyntax(deep, 200).has_value());
}

}  // namespace
}  // namespace streamhost
