#include "common/json_writer.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <limits>

#include "api/json.h"
#include "common/json_syntax.h"

namespace streamhost::api {
namespace {

// Reads `text` back through Poco as the single element of an array.
Poco::Dynamic::Var readBack(const std::string& text) {
  auto v = parseJson("[" + text + "]");
  EXPECT_TRUE(v.isOk()) << text;
  return v ? v->extract<Poco::JSON::Array::Ptr>()->get(0) : Poco::Dynamic::Var();
}

TEST(JsonWriterTest, PlacesCommasAndColonsThroughNesting) {
  JsonWriter w;
  w.beginObject();
  w.key("a").number(int64_t{1});
  w.key("b").beginArray().number(int64_t{1}).string("x").beginObject().key("c").null().endObject().endArray();
  w.key("d").beginObject().endObject();
  w.key("e").beginArray().endArray();
  w.key("f").boolean(true).key("g").boolean(false);
  w.endObject();
  EXPECT_EQ(w.str(), R"({"a":1,"b":[1,"x",{"c":null}],"d":{},"e":[],"f":true,"g":false})");
  EXPECT_FALSE(checkJsonSyntax(w.str()).has_value());
}

TEST(JsonWriterTest, EscapesQuotesBackslashesAndControlCharacters) {
  JsonWriter w;
  w.beginObject().key("k\"ey").string(std::string("a\"b\\c\n\t\x01\x1f/\x7f", 11)).endObject();
  EXPECT_EQ(w.str(), "{\"k\\\"ey\":\"a\\\"b\\\\c\\u000A\\u0009\\u0001\\u001F/\x7f\"}");

  JsonWriter nul;
  nul.string(std::string_view("a\0b", 3));
  EXPECT_EQ(nul.str(), "\"a\\u0000b\"");
}

TEST(JsonWriterTest, PassesUtf8ThroughAndReadsBackTheSameString) {
  const std::string text = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \"q\" \\ \x02 end";
  JsonWriter w;
  w.string(text);
  EXPECT_NE(w.str().find("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), std::string::npos);
  EXPECT_EQ(readBack(w.str()).toString(), text);
}

TEST(JsonWriterTest, InsertsRawJsonAsOneValue) {
  JsonWriter w;
  w.beginArray().raw(R"({"x":[1,2]})").raw("3").beginObject().key("v").raw("[true]").key("w").number(int64_t{0});
  w.endObject().endArray();
  EXPECT_EQ(w.str(), R"([{"x":[1,2]},3,{"v":[true],"w":0}])");
}

TEST(JsonWriterTest, WritesIntegersAtTheEdgesOfTheirRanges) {
  JsonWriter w;
  w.beginArray()
      .number(std::numeric_limits<int64_t>::min())
      .number(std::numeric_limits<int64_t>::max())
      .number(std::numeric_limits<uint64_t>::max())
      .number(uint64_t{0})
      .endArray();
  EXPECT_EQ(w.str(), "[-9223372036854775808,9223372036854775807,18446744073709551615,0]");
  EXPECT_EQ(readBack(std::to_string(std::numeric_limits<uint64_t>::max())).convert<uint64_t>(),
            std::numeric_limits<uint64_t>::max());
}

TEST(JsonWriterTest, DoublesRoundTripAndNonFiniteBecomeNull) {
  for (double d : {0.1, -2.5e-300, 1e300, 123456.789, 5e-324, 3.0, -0.5, 1.0 / 3.0}) {
    JsonWriter w;
    w.number(d);
    double back = 0;
    auto r = std::from_chars(w.str().data(), w.str().data() + w.str().size(), back);
    EXPECT_EQ(r.ec, std::errc()) << w.str();
    EXPECT_EQ(back, d) << w.str();
    EXPECT_EQ(readBack(w.str()).convert<double>(), d) << w.str();
  }
  JsonWriter w;
  w.beginArray()
      .number(std::numeric_limits<double>::quiet_NaN())
      .number(std::numeric_limits<double>::infinity())
      .endArray();
  EXPECT_EQ(w.str(), "[null,null]");
}

TEST(JsonWriterTest, TakeHandsOverTheTextAndStartsAfresh) {
  JsonWriter w;
  w.beginArray().number(int64_t{1}).endArray();
  EXPECT_EQ(w.take(), "[1]");
  w.beginArray().number(int64_t{2}).endArray();
  EXPECT_EQ(w.str(), "[2]");
}

TEST(PortableJsonTest, AcceptsObjectsAndArraysOfOrdinaryValues) {
  for (const char* ok : {"{}", " [1, 2.5, -3e10, 1e-400] ", "{\"a\":\"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00\",\"b\":[null,true]}",
                         "[18446744073709551615,-9223372036854775808]", "{\"t\":\"\\\\u\\\"\"}"}) {
    EXPECT_FALSE(checkJsonSyntax(ok).has_value()) << ok;
    EXPECT_TRUE(isPortableJsonContainer(ok)) << ok;
  }
}

TEST(PortableJsonTest, RejectsWhatPocoWouldNotHaveParsed) {
  for (const char* bad : {"42", "\"text\"", "true", "null",       // scalars at the top
                          "[\"\xff\"]", "[\"\xc3\"]", "[\"\xc0\xaf\"]",  // broken UTF-8
                          "[\"\xed\xa0\x80\"]", "[\"\xf4\x90\x80\x80\"]",  // surrogate, above U+10FFFF
                          "[\"\\ud800\"]", "[\"\\ud800\\u0041\"]", "[\"\\udc00\"]",  // unpaired surrogates
                          "[18446744073709551616]", "[-9223372036854775809]", "[1e400]"}) {
    EXPECT_FALSE(checkJsonSyntax(bad).has_value()) << bad;
    EXPECT_FALSE(isPortableJsonContainer(bad)) << bad;
  }
}


TEST(JsonWriterTest, ReplacesBytesThatAreNotUtf8) {
  JsonWriter w;
  // A lone continuation byte, a truncated sequence, an overlong encoding and a surrogate.
  w.string(std::string("a\xff\xfe b \x80 c\xc3 d\xc0\xaf e\xed\xa0\x80 ok:\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  EXPECT_EQ(w.str(),
            "\"a\\uFFFD\\uFFFD b \\uFFFD c\\uFFFD d\\uFFFD\\uFFFD e\\uFFFD\\uFFFD\\uFFFD "
            "ok:\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
  EXPECT_FALSE(checkJsonSyntax(w.str()).has_value());
  EXPECT_EQ(readBack(w.str()).extract<std::string>().substr(0, 4), "a\xef\xbf\xbd");
}

TEST(JsonWriterTest, ResponsesBuiltFromPocoObjectsGoThroughTheSameCheck) {
  JsonObject o = newObject();
  o->set("message", std::string("no stream \xff\xfe"));
  o->set("n", int64_t{-3});
  o->set("u", uint64_t{18446744073709551615ull});
  o->set("d", 1.5);
  o->set("b", true);
  o->set("none", Poco::Dynamic::Var());
  JsonArray a = newArray();
  a->add(std::string("x"));
  a->add(newObject());
  o->set("list", a);
  EXPECT_EQ(toJson(o),
            "{\"message\":\"no stream \\uFFFD\\uFFFD\",\"n\":-3,\"u\":18446744073709551615,\"d\":1.5,"
            "\"b\":true,\"none\":null,\"list\":[\"x\",{}]}");
  ApiResponse e = errorResponse(404, "not_found", "no route for GET /api/streams/\xff", "", "req_1", "why");
  EXPECT_FALSE(checkJsonSyntax(e.body).has_value()) << e.body;
  EXPECT_NE(e.body.find("\\uFFFD"), std::string::npos) << e.body;
  EXPECT_NE(e.body.find("\"reason\":\"why\""), std::string::npos) << e.body;
}

}  // namespace
}  // namespace streamhost::api
