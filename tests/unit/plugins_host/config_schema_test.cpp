#include "plugins/config_schema.h"

#include <gtest/gtest.h>

namespace streamhost::plugins {
namespace {

ConfigSchema schema() {
  return ConfigSchema({
      {"host", SH_CFG_STRING, SH_CFG_REQUIRED, std::nullopt, "Host."},
      {"port", SH_CFG_INT, 0, "5432", "Port."},
      {"tls", SH_CFG_BOOL, 0, "false", "TLS."},
      {"ratio", SH_CFG_DOUBLE, 0, std::nullopt, "Ratio."},
      {"tables", SH_CFG_ARRAY, 0, "[]", "Tables."},
      {"extra", SH_CFG_OBJECT, 0, std::nullopt, "Extra."},
      {"password", SH_CFG_STRING, SH_CFG_SECRET, std::nullopt, "Password."},
  });
}

TEST(ConfigSchemaTest, FillsDefaultsAndKeepsGivenValues) {
  auto r = schema().validate(R"({"host":"db","port":6543,"ratio":2})");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_NE(r->json.find("\"port\":6543"), std::string::npos) << r->json;
  EXPECT_NE(r->json.find("\"tls\":false"), std::string::npos) << r->json;
  EXPECT_NE(r->json.find("\"tables\":[]"), std::string::npos) << r->json;
  EXPECT_NE(r->json.find("\"ratio\":2"), std::string::npos) << r->json;  // a double accepts an int
  EXPECT_EQ(r->json.find("extra"), std::string::npos);                   // no default: stays absent
}

TEST(ConfigSchemaTest, UnknownKeyIsNamedWithTheKnownOnes) {
  auto r = schema().validate(R"({"host":"db","prot":1})");
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidConfig);
  EXPECT_EQ(r.status().field(), "prot");
  EXPECT_NE(r.status().message().find("unknown key \"prot\""), std::string::npos);
  EXPECT_NE(r.status().message().find("host, port, tls, ratio, tables, extra, password"), std::string::npos)
      << r.status().message();
}

TEST(ConfigSchemaTest, MissingRequiredKeyIsNamed) {
  for (const char* json : {"{}", R"({"host":null})"}) {
    auto r = schema().validate(json);
    ASSERT_FALSE(r.isOk()) << json;
    EXPECT_EQ(r.status().field(), "host");
    EXPECT_NE(r.status().message().find("required"), std::string::npos);
  }
}

TEST(ConfigSchemaTest, TypeMismatchesAreNamed) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"host":1})", "host"},          {R"({"host":"x","port":1.5})", "port"},
      {R"({"host":"x","port":"1"})", "port"}, {R"({"host":"x","port":true})", "port"},
      {R"({"host":"x","tls":1})", "tls"},   {R"({"host":"x","ratio":"2"})", "ratio"},
      {R"({"host":"x","ratio":true})", "ratio"}, {R"({"host":"x","tables":{}})", "tables"},
      {R"({"host":"x","extra":[]})", "extra"},
  };
  for (const auto& [json, field] : cases) {
    auto r = schema().validate(json);
    ASSERT_FALSE(r.isOk()) << json;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidConfig) << json;
    EXPECT_EQ(r.status().field(), field) << json;
    EXPECT_NE(r.status().message().find("must be of type"), std::string::npos) << json;
  }
}

TEST(ConfigSchemaTest, NonObjectsAndBadJsonAreRefused) {
  EXPECT_EQ(schema().validate("[1]").status().code(), StatusCode::kInvalidConfig);
  EXPECT_EQ(schema().validate("{nope").status().code(), StatusCode::kInvalidConfig);
}

TEST(ConfigSchemaTest, RedactsSecretsOnly) {
  auto r = schema().validate(R"({"host":"db","password":"hunter2"})");
  ASSERT_TRUE(r.isOk());
  EXPECT_NE(r->json.find("hunter2"), std::string::npos);
  EXPECT_EQ(r->redacted_json.find("hunter2"), std::string::npos);
  EXPECT_NE(r->redacted_json.find("\"password\":\"***\""), std::string::npos);
  EXPECT_NE(r->redacted_json.find("\"host\":\"db\""), std::string::npos);
  EXPECT_EQ(schema().redact("not json"), "{}");
}

TEST(ConfigSchemaTest, ChecksPluginDefaults) {
  EXPECT_TRUE(ConfigSchema::checkDefault({"a", SH_CFG_INT, 0, "3", ""}).isOk());
  EXPECT_TRUE(ConfigSchema::checkDefault({"a", SH_CFG_STRING, 0, "\"x\"", ""}).isOk());
  EXPECT_FALSE(ConfigSchema::checkDefault({"a", SH_CFG_INT, 0, "\"3\"", ""}).isOk());
  EXPECT_FALSE(ConfigSchema::checkDefault({"a", SH_CFG_INT, 0, "3 4", ""}).isOk());
  EXPECT_FALSE(ConfigSchema::checkDefault({"a", SH_CFG_BOOL, 0, "{", ""}).isOk());
}

}  // namespace
}  // namespace streamhost::plugins
