// A pipeline's config.max_record_bytes: refused before anything is written,
// with an answer naming the limit (push) or the record's offset (pull).
#include <gtest/gtest.h>

#include "faults/fault_test_util.h"

namespace streamhost::testing {
namespace {

using namespace std::chrono_literals;

class RecordLimitTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(daemon_.start()); }
  void TearDown() override { daemon_.printLogIfFailed(); }
  HttpClient api() const { return daemon_.client(); }
  std::string smallPipeline(const std::string& name) {
    HttpResponse r = api().post("/api/pipelines", "{\"name\":" + jsonQuote(name) + R"(,"config":{"max_record_bytes":1024}})");
    EXPECT_EQ(r.status, 201) << r.describe();
    EXPECT_EQ(r.json["data"]["attributes"]["config"]["max_record_bytes"].integer(), 1024);
    return r.json["data"]["id"].str();
  }
  DaemonHarness daemon_;
};

TEST_F(RecordLimitTest, TheLimitDefaultsTo16MiBAndStaysBelowTheFrameLimit) {
  const std::string pl = createPipeline(api(), "plain");
  EXPECT_EQ(pipelineAttributes(api(), pl)["config"]["max_record_bytes"].integer(), 16 << 20);
  HttpResponse big = api().post("/api/pipelines", R"({"name":"big","config":{"max_record_bytes":268435456}})");
  EXPECT_EQ(big.status, 400) << big.describe();
  EXPECT_EQ(big.json["error"]["field"].str(), "config.max_record_bytes");
  HttpResponse zero = api().post("/api/pipelines", R"({"name":"zero","config":{"max_record_bytes":0}})");
  EXPECT_EQ(zero.status, 400) << zero.describe();
  HttpResponse unknown = api().post("/api/pipelines", R"({"name":"unk","config":{"max_records":5}})");
  EXPECT_EQ(unknown.status, 400) << unknown.describe();
}

TEST_F(RecordLimitTest, APushOverTheLimitIs413NamingTheLimitAndNothingIsWritten) {
  const std::string pl = smallPipeline("small");
  const std::string hook = startBearerWebhook(api(), "hook", pl);
  EXPECT_EQ(ingest(daemon_, hook, R"({"w":1})").status, 202);
  HttpResponse over = ingest(daemon_, hook, "{\"w\":\"" + std::string(2000, 'x') + "\"}");
  EXPECT_EQ(over.status, 413) << over.describe();
  EXPECT_NE(over.json["error"]["message"].str().find("1024"), std::string::npos) << over.describe();
  EXPECT_EQ(ingest(daemon_, hook, R"({"w":2})").status, 202);
  auto events = allEvents(api(), pl);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]["seq"].integer(), 2) << "the refused record took no sequence number";
  EXPECT_EQ(streamStatus(api(), hook), "running");
}

TEST_F(RecordLimitTest, APullStreamOverTheLimitGoesToErrorNamingTheOffset) {
  const std::string pl = smallPipeline("small");
  const std::string gen = createDatagenStream(api(), "gen", pl, R"({"rate_per_second":0,"payload_bytes":2000})");
  ASSERT_EQ(api().post("/api/streams/" + gen + "/start").status, 200);
  ASSERT_TRUE(waitForStatus(api(), gen, "error"));
  const std::string err = streamAttributes(api(), gen)["last_error"].str();
  EXPECT_NE(err.find("offset '1'"), std::string::npos) << err;
  EXPECT_NE(err.find("1024"), std::string::npos) << err;
  EXPECT_EQ(headSeq(api(), pl), 0);
}

}  // namespace
}  // namespace streamhost::testing
