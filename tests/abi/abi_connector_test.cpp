// Instances of fixture plugins through Connector: the host API both ways,
// status conversion, and a plugin that throws from everything.
#include <gtest/gtest.h>

#include <filesystem>

#include "log_capture.h"
#include "plugins/connector.h"
#include "plugins/plugin_loader.h"

namespace streamhost::plugins {
namespace {

namespace fs = std::filesystem;

class AbiConnectorTest : public ::testing::Test {
 protected:
  const SourceTypeInfo& load(const std::string& scenario, const std::string& type) {
    report_ = PluginLoader(fs::path(ABI_FIXTURE_DIR) / scenario).loadAll(registry_);
    const SourceTypeInfo* t = registry_.findSourceType(type);
    EXPECT_NE(t, nullptr) << report_.toText();
    return *t;
  }
  InstanceOptions options(std::string config = "{}") {
    InstanceOptions o;
    o.stream_id = "str_1";
    o.stream_name = "s";
    o.config_json = std::move(config);
    o.clock = [this] { return now_; };
    return o;
  }

  PluginRegistry registry_;
  PluginReport report_;
  int64_t now_ = 1'700'000'000'000;
};

TEST_F(AbiConnectorTest, GoodSourceRoundTripsThroughTheHostApi) {
  const auto& type = load("good", "good_source");
  auto config = Connector::validateConfig(type, R"({"count":2,"token":"hunter2"})");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_NE(config->json.find("\"ratio\":0.5"), std::string::npos) << config->json;
  EXPECT_EQ(config->redacted_json.find("hunter2"), std::string::npos);

  testing::LogCapture log("streamhost.plugins");
  auto c = Connector::create(type, options(config->json));
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  Connector& conn = **c;
  ASSERT_TRUE(conn.start("10").isOk());
  EXPECT_EQ(log.matching({"plugin=good stream=str_1 started at 11"}).size(), 1u);
  EXPECT_EQ(conn.context().counters().at("starts"), 1);
  EXPECT_EQ(conn.context().gauges().at("next"), 11.0);

  RecordBatch batch(100, 1 << 20);
  ASSERT_TRUE(conn.poll(batch, 100, 10).isOk());
  ASSERT_EQ(batch.size(), 2u);
  const Record& r = batch.records()[0];
  EXPECT_EQ(r.key, "11");
  EXPECT_EQ(r.value, "{\"n\":11}");
  EXPECT_EQ(r.offset, "11");
  EXPECT_EQ(r.op, SH_OP_CREATE);
  EXPECT_EQ(r.ts_ms, now_);
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[1], (std::pair<std::string, std::string>("h2", "v2")));
  EXPECT_EQ(batch.lastOffset(), "cp-12");

  EXPECT_TRUE(conn.commit("12").isOk());
  EXPECT_TRUE(conn.pause().isOk());
  EXPECT_TRUE(conn.resume().isOk());
  auto lag = conn.metrics();
  ASSERT_TRUE(lag.isOk());
  EXPECT_EQ(lag->records, 42);
  EXPECT_EQ(lag->bytes, -1);
  EXPECT_EQ(lag->ms, 7);
  auto report = conn.teardown(true);
  ASSERT_TRUE(report.isOk()) << report.status().toString();
  EXPECT_EQ(*report, (std::vector<std::string>{"released slot", "forced"}));
  EXPECT_TRUE(conn.stop().isOk());
  EXPECT_EQ(conn.handleRequest(PushRequest{}, batch).status().code(), StatusCode::kUnsupported);
}

TEST_F(AbiConnectorTest, ValidationNamesTheFieldFromSchemaAndPlugin) {
  const auto& type = load("good", "good_source");
  auto unknown = Connector::validateConfig(type, R"({"cuont":2})");
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidConfig);
  EXPECT_EQ(unknown.status().field(), "cuont");
  auto by_plugin = Connector::validateConfig(type, R"({"count":500})");
  EXPECT_EQ(by_plugin.status().code(), StatusCode::kInvalidConfig);
  EXPECT_EQ(by_plugin.status().field(), "count");
  EXPECT_EQ(by_plugin.status().message(), "count must be at most 100");
}

TEST_F(AbiConnectorTest, PushSourceGetsHeadersAndAnswers) {
  const auto& type = load("good", "good_push");
  auto c = Connector::create(type, options());
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  ASSERT_TRUE((*c)->start("").isOk());
  PushRequest req;
  req.method = "POST";
  req.body = R"({"a":1})";
  req.headers = {{"Content-Type", "application/json"}, {"x-sig", "abc"}};
  RecordBatch batch(10, 1 << 20);
  auto res = (*c)->handleRequest(req, batch);
  ASSERT_TRUE(res.isOk()) << res.status().toString();
  EXPECT_EQ(res->http_status, 202);
  EXPECT_EQ(res->body, "{\"accepted\":1,\"offset\":\"p1\"}");
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch.records()[0].key, "abc");
  EXPECT_EQ(batch.records()[0].value, R"({"a":1})");
  EXPECT_EQ((*c)->poll(batch, 1, 0).code(), StatusCode::kUnsupported);
}

TEST_F(AbiConnectorTest, EveryThrowBecomesAnInternalErrorWithItsMessage) {
  const auto& type = load("throws", "throws_source");
  auto validated = Connector::validateConfig(type, "{}");
  EXPECT_EQ(validated.status().code(), StatusCode::kInternal);
  EXPECT_NE(validated.status().message().find("validate exploded"), std::string::npos);

  auto failed = Connector::create(type, options(R"({"throw_in_create":true})"));
  EXPECT_EQ(failed.status().code(), StatusCode::kInternal);
  EXPECT_NE(failed.status().message().find("create exploded"), std::string::npos);

  auto c = Connector::create(type, options(R"({"throw_in_create":false})"));
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  Connector& conn = **c;
  RecordBatch batch(10, 1024);
  const std::pair<Status, const char*> calls[] = {
      {conn.start(""), "start exploded"},       {conn.poll(batch, 10, 0), "poll exploded"},
      {conn.commit("1"), "commit exploded"},    {conn.pause(), "pause exploded"},
      {conn.resume(), "unknown type"},          {conn.stop(), "stop exploded"},
      {conn.teardown(false).status(), "teardown exploded"}, {conn.metrics().status(), "metrics exploded"},
  };
  for (const auto& [st, text] : calls) {
    EXPECT_EQ(st.code(), StatusCode::kInternal) << text;
    EXPECT_NE(st.message().find(text), std::string::npos) << st.message();
  }
  conn.wakeup();  // still alive
  EXPECT_TRUE(batch.records().empty());
}

TEST_F(AbiConnectorTest, ShortRecordsFromAnOlderPluginAreReadByTheirSize) {
  const auto& type = load("old_struct", "old_source");
  auto config = Connector::validateConfig(type, R"({"secret_word":"swordfish"})");
  ASSERT_TRUE(config.isOk());
  EXPECT_NE(config->json.find("\"level\":5"), std::string::npos);
  EXPECT_NE(config->redacted_json.find("\"secret_word\":\"***\""), std::string::npos) << config->redacted_json;
  auto c = Connector::create(type, options(config->json));
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  ASSERT_TRUE((*c)->start("").isOk());
  RecordBatch batch(10, 1024);
  ASSERT_TRUE((*c)->poll(batch, 10, 0).isOk());
  ASSERT_EQ(batch.size(), 1u);
  const Record& r = batch.records()[0];
  EXPECT_EQ(r.op, SH_OP_CREATE);
  EXPECT_EQ(r.key, "old-key");
  EXPECT_EQ(r.value, "{\"old\":true}");
  EXPECT_EQ(r.offset, "7");
  EXPECT_EQ(r.ts_ms, 1234);
  EXPECT_TRUE(r.headers.empty());  // the trap past struct_size was not read
  EXPECT_EQ((*c)->handleRequest(PushRequest{}, batch).status().code(), StatusCode::kUnsupported);
  EXPECT_EQ((*c)->pause().code(), StatusCode::kUnsupported);
  EXPECT_NE((*c)->pause().message().find("does not implement pause"), std::string::npos);
}

}  // namespace
}  // namespace streamhost::plugins
