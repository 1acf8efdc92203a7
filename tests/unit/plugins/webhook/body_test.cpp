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

TEST(BodyTest, RecordCountIsCappedWhileParsing) {
  BodyError e;
  // 10,001 records and then garbage: a cap applied while parsing answers 413
  // before it reaches the garbage; one applied after would say "malformed".
  std::string array = "[";
  std::string ndjson;
  for (size_t i = 0; i <= kDefaultMaxRecords; ++i) {
    array += "{},";
    ndjson += "{}\n";
  }
  EXPECT_FALSE(parseBody("application/json", array + "oops", "", e));
  EXPECT_EQ(e.status, 413) << e.message;
  EXPECT_NE(e.message.find("max_records_per_request"), std::string::npos) << e.message;
  EXPECT_FALSE(parseBody("application/x-ndjson", ndjson + "oops", "", e));
  EXPECT_EQ(e.status, 413) << e.message;
  // A body of bare zeros is refused at its first element, not built whole.
  std::string zeros = "[0";
  for (int i = 0; i < 200000; ++i) {
    zeros += ",0";
  }
  EXPECT_FALSE(parseBody("application/json", zeros + "]", "", e));
  EXPECT_EQ(e.status, 400);
  EXPECT_NE(e.message.find("element 0"), std::string::npos) << e.message;
  // The cap itself is allowed.
  array.pop_back();
  array.resize(array.size() - 3);  // drop the last "{},"
  auto at_cap = parseBody("application/json", array + "]", "", e);
  ASSERT_TRUE(at_cap) << e.message;
  EXPECT_EQ(at_cap->size(), kDefaultMaxRecords);
}

TEST(BodyTest, ArrayElementsAreSplitOnlyAtTopLevelCommas) {
  BodyError e;
  auto v = parseBody("application/json", " [ {\"a\":\"],[\\\"x\",\"n\":[1,{\"b\":2}]} ,\n{\"c\":\"\\\\\"} ] ", "", e);
  ASSERT_TRUE(v) << e.message;
  ASSERT_EQ(v->size(), 2u);
  EXPECT_EQ((*v)[0].value, "{\"a\":\"],[\\\"x\",\"n\":[1,{\"b\":2}]}");
  EXPECT_EQ((*v)[1].value, "{\"c\":\"\\\\\"}");
  for (const char* bad : {"[{\"a\":1}", "[{\"a\":1},]", "[{\"a\":1}] x", "[{\"a\":1} {\"b\":2}]", "[,{\"a\":1}]",
                          "[{\"a\":\"]}", "[{\"a\":1}}]", "[ ]"}) {
    EXPECT_FALSE(parseBody("application/json", bad, "", e)) << bad;
    EXPECT_EQ(e.status, 400) << bad;
  }
  auto small = parseBody("application/json", R"([{"a":1},{"a":2},{"a":3}])", "", e, 2);
  EXPECT_FALSE(small);
  EXPECT_EQ(e.status, 413);
}

}  // namespace
}  // namespace streamhost::plugins::webhook
