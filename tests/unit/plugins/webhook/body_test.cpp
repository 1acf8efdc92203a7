#include "body.h"

#include <gtest/gtest.h>

namespace streamhost::plugins::webhook {
namespace {

TEST(BodyTest, ObjectArrayNdjsonAndForm) {
  BodyError e;
  auto one = parseBody("application/json; charset=utf-8", R"({"id":"a"})", "/id", e);
  ASSERT_TRUE(one);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].event_id, "a");

  auto many = parseBody("application/json", R"([{"id":1},{"id":2}])", "/id", e);
  ASSERT_TRUE(many);
  ASSERT_EQ(many->size(), 2u);
  EXPECT_EQ((*many)[1].event_id, "2");
  EXPECT_EQ((*many)[1].value, R"({"id":2})");

  auto lines = parseBody("application/x-ndjson", "{\"x\":1}\r\n\n{\"x\":2}", "", e);
  ASSERT_TRUE(lines);
  EXPECT_EQ(lines->size(), 2u);
  EXPECT_FALSE((*lines)[0].event_id);

  auto form = parseBody("application/x-www-form-urlencoded", "a=1&b=x+y%21&a=2", "/b", e);
  ASSERT_TRUE(form);
  EXPECT_EQ((*form)[0].value, R"({"a":["1","2"],"b":"x y!"})");
  EXPECT_EQ((*form)[0].event_id, "x y!");
}

TEST(BodyTest, AnyBadPartRefusesTheWholeBody) {
  BodyError e;
  EXPECT_FALSE(parseBody("application/json", R"([{"a":1},"str"])", "", e));
  EXPECT_EQ(e.status, 400);
  EXPECT_NE(e.message.find("element 1"), std::string::npos) << e.message;
  EXPECT_FALSE(parseBody("application/x-ndjson", "{\"a\":1}\n{oops", "", e));
  EXPECT_NE(e.message.find("line 2"), std::string::npos) << e.message;
  EXPECT_FALSE(parseBody("application/json", R"([{"id":1},{"no":2}])", "/id", e));
  EXPECT_FALSE(parseBody("application/json", "[]", "", e));
  EXPECT_FALSE(parseBody("application/x-www-form-urlencoded", "a=%zz", "", e));
  EXPECT_FALSE(parseBody("text/plain", "hi", "", e));
  EXPECT_EQ(e.status, 415);
}

}  // namespace
}  // namespace streamhost::plugins::webhook
