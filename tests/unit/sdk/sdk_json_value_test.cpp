// The SDK's JSON reader: what it accepts, refuses, and keeps of the source text.
#include <streamhost/sdk/json.hpp>

#include <gtest/gtest.h>

namespace streamhost::sdk {
namespace {

TEST(SdkJsonValueTest, KeepsRawTextOfElements) {
  auto v = parseJson(R"( [ {"a": 1 }, {"b":[true,null]} ] )");
  ASSERT_TRUE(v);
  ASSERT_TRUE(v->isArray());
  ASSERT_EQ(v->items.size(), 2u);
  EXPECT_EQ(v->items[0].raw, R"({"a": 1 })");
  EXPECT_EQ(v->items[1].raw, R"({"b":[true,null]})");
}

TEST(SdkJsonValueTest, RefusesMalformedText) {
  for (const char* bad : {"", "{", "[1,]", "{\"a\":}", "01", "1.", "\"\\x\"", "[1] 2", "nul", "\"a\nb\""}) {
    std::string error;
    EXPECT_FALSE(parseJson(bad, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
    std::string check_error;
    EXPECT_FALSE(isValidJson(bad, &check_error)) << bad;
    EXPECT_EQ(check_error, error) << bad;  // the check-only mode finds the same fault
  }
  std::string deep(100, '[');
  EXPECT_FALSE(parseJson(deep + std::string(100, ']')));
  EXPECT_FALSE(isValidJson(deep + std::string(100, ']')));
  for (const char* good : {"0", "-1.5e3", "\"a\\u00e9\"", R"({"a":[1,{"b":null}],"c":"\"x\""})", " true "}) {
    EXPECT_TRUE(isValidJson(good)) << good;
    EXPECT_TRUE(parseJson(good).has_value()) << good;
  }
}

TEST(SdkJsonValueTest, DecodesEscapes) {
  auto v = parseJson(R"("a\u00fc\n\ud83d\ude00")");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->text, "a\xC3\xBC\n\xF0\x9F\x98\x80");
}

TEST(SdkJsonValueTest, ResolvesPointers) {
  auto v = parseJson(R"({"a":{"b/c":[10,{"~x":"y"}]}})");
  ASSERT_TRUE(v);
  const JsonValue* hit = resolvePointer(*v, "/a/b~1c/1/~0x");
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->text, "y");
  EXPECT_EQ(resolvePointer(*v, "/a/b~1c/0")->raw, "10");
  EXPECT_EQ(resolvePointer(*v, "/a/missing"), nullptr);
  EXPECT_EQ(resolvePointer(*v, "/a/b~1c/01"), nullptr);
  EXPECT_EQ(resolvePointer(*v, "a"), nullptr);
  EXPECT_FALSE(isValidPointer("/a~2"));
}

}  // namespace
}  // namespace streamhost::sdk
