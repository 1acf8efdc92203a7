// The SDK's JSON helpers that connectors use to check nested config objects.
#include <gtest/gtest.h>

#include <streamhost/plugin_sdk.hpp>

namespace streamhost::sdk {
namespace {

TEST(SdkJsonTest, ObjectKeysInDocumentOrderWhateverTheValues) {
  auto keys = jsonObjectKeys(
      R"( { "a" : 1, "b\"q":"x,}]", "c":{"d":[1,{"e":"}"}]}, "f":[], "g":true ,"h":null,"i":-1.5e3 } )");
  ASSERT_TRUE(keys.has_value());
  EXPECT_EQ(*keys, (std::vector<std::string>{"a", "b\"q", "c", "f", "g", "h", "i"}));
  EXPECT_EQ(jsonObjectKeys("{}"), std::vector<std::string>{});
  EXPECT_FALSE(jsonObjectKeys("[1]").has_value());
  EXPECT_FALSE(jsonObjectKeys("\"s\"").has_value());
  EXPECT_FALSE(jsonObjectKeys(R"({"a":1)").has_value());
}

TEST(SdkJsonTest, UnknownKeyNamesTheFirstMemberNotAllowed) {
  EXPECT_EQ(unknownJsonKey(R"({"scheme":"hmac","signed_text":"x","zzz":1})", {"scheme", "signed_payload"}),
            std::optional<std::string>("signed_text"));
  EXPECT_EQ(unknownJsonKey(R"({"scheme":"hmac","signed_payload":{"nested":1}})", {"scheme", "signed_payload"}),
            std::nullopt);
  EXPECT_EQ(unknownJsonKey("{}", {"scheme"}), std::nullopt);
}

}  // namespace
}  // namespace streamhost::sdk
