#include "ingest_handler.h"

#include <gtest/gtest.h>

#include <map>

#include "common/crypto.h"

namespace streamhost::plugins::webhook {
namespace {

class MemoryState : public StateStore {
 public:
  std::optional<std::string> get(const std::string& key) override {
    auto it = values.find(key);
    return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  void put(const std::string& key, const std::string& value, int64_t ttl_ms) override {
    values[key] = value;
    ttls[key] = ttl_ms;
  }
  std::map<std::string, std::string> values;
  std::map<std::string, int64_t> ttls;
};

IncomingRequest request(std::string_view body, int64_t at_ms = 1000) {
  IncomingRequest r;
  r.content_type = "application/json";
  r.body = body;
  r.header = [](std::string_view) { return std::nullopt; };
  r.received_at_ms = at_ms;
  return r;
}

WebhookConfig dedupConfig() {
  WebhookConfig c;
  c.event_id = "/id";
  c.dedup_ttl_seconds = 60;
  return c;
}

TEST(IngestHandlerTest, OffsetsSortInArrivalOrderAndContinueAfterResume) {
  MemoryState state;
  IngestHandler h(WebhookConfig{}, state);
  h.start("");
  std::vector<OutRecord> out;
  ASSERT_EQ(h.handle(request(R"([{"a":1},{"a":2}])", 5000), 0, out).status, 202);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].offset, "0000000005000-0000000001");
  EXPECT_LT(out[0].offset, out[1].offset);
  // A clock step backwards keeps offsets increasing.
  h.handle(request(R"({"a":3})", 4000), 0, out);
  EXPECT_EQ(out[0].offset, "0000000005000-0000000003");

  IngestHandler again(WebhookConfig{}, state);
  again.start("0000000005000-0000000003");
  again.handle(request(R"({"a":4})", 10), 0, out);
  EXPECT_EQ(out[0].offset, "0000000005000-0000000004");
}

TEST(IngestHandlerTest, IdsBecomeDurableOnlyOnCommit) {
  MemoryState state;
  IngestHandler h(dedupConfig(), state);
  std::vector<OutRecord> out;
  ASSERT_EQ(h.handle(request(R"({"id":"e1"})"), 0, out).status, 202);
  std::string offset = out.back().offset;
  EXPECT_TRUE(state.values.empty());
  Answer pending = h.handle(request(R"({"id":"e1"})"), 0, out);
  EXPECT_EQ(pending.status, 409);
  EXPECT_EQ(pending.retry_after_seconds, 1);
  h.commit(offset, 0);
  EXPECT_EQ(state.values.count("evt:e1"), 1u);
  EXPECT_EQ(state.ttls["evt:e1"], 60000);
  EXPECT_EQ(h.handle(request(R"({"id":"e1"})"), 0, out).status, 200);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(h.pendingCount(), 0u);
}

// Requests in flight together: the host commits only the newest offset once
// it is durable, which covers the older ones too.
TEST(IngestHandlerTest, ACommitCoversEveryEarlierRequest) {
  MemoryState state;
  IngestHandler h(dedupConfig(), state);
  std::vector<OutRecord> out;
  ASSERT_EQ(h.handle(request(R"({"id":"e1"})"), 0, out).status, 202);
  ASSERT_EQ(h.handle(request(R"({"id":"e2"})"), 0, out).status, 202);
  std::string second = out.back().offset;
  ASSERT_EQ(h.handle(request(R"({"id":"e3"})"), 0, out).status, 202);
  h.commit(second, 0);
  EXPECT_EQ(state.values.count("evt:e1"), 1u);
  EXPECT_EQ(state.values.count("evt:e2"), 1u);
  EXPECT_EQ(state.values.count("evt:e3"), 0u);  // not yet durable
  EXPECT_EQ(h.pendingCount(), 1u);
  EXPECT_EQ(h.handle(request(R"({"id":"e1"})"), 0, out).status, 200);
}

TEST(IngestHandlerTest, AbortedRequestLeavesNoId) {
  MemoryState state;
  IngestHandler h(dedupConfig(), state);
  std::vector<OutRecord> out;
  h.handle(request(R"([{"id":"a"},{"id":"a"},{"id":"b"}])"), 0, out);
  ASSERT_EQ(out.size(), 2u);
  h.abort(out.back().offset);
  EXPECT_EQ(h.handle(request(R"({"id":"a"})"), 0, out).status, 202);
  EXPECT_TRUE(state.values.empty());
}

TEST(IngestHandlerTest, StalePendingIdsAreForgotten) {
  MemoryState state;
  IngestHandler h(dedupConfig(), state);
  std::vector<OutRecord> out;
  h.handle(request(R"({"id":"x"})"), 0, out);
  EXPECT_EQ(h.handle(request(R"({"id":"x"})"), 10 * 60 * 1000, out).status, 202);
}

TEST(IngestHandlerTest, RefusalsComeBeforeAnyRecord) {
  MemoryState state;
  WebhookConfig c;
  c.max_body_bytes = 10;
  c.auth.scheme = AuthScheme::kBearer;
  c.auth.secrets = {"t"};
  IngestHandler h(c, state);
  std::vector<OutRecord> out;
  EXPECT_EQ(h.handle(request(R"({"a":"0123456789"})"), 0, out).status, 413);
  Answer a = h.handle(request(R"({})"), 0, out);
  EXPECT_EQ(a.status, 401);
  EXPECT_NE(a.body.find("\"unauthorized\""), std::string::npos);
  EXPECT_TRUE(out.empty());
}

TEST(IngestHandlerTest, GithubDeliveryIdDedupsWithoutAPointer) {
  MemoryState state;
  WebhookConfig c;
  c.auth.scheme = AuthScheme::kGithub;
  c.auth.secrets = {"s"};
  IngestHandler h(c, state);
  std::vector<OutRecord> out;
  std::string body = R"({"action":"opened"})";
  std::map<std::string, std::string> hdrs = {
      {"X-Hub-Signature-256", "sha256=" + crypto::hexEncode(crypto::hmacSha256("s", body))},
      {"X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"}};
  IncomingRequest r = request(body);
  r.header = [&hdrs](std::string_view name) -> std::optional<std::string_view> {
    for (const auto& [k, v] : hdrs) {
      if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) {
        return std::string_view(v);
      }
    }
    return std::nullopt;
  };
  ASSERT_EQ(h.handle(r, 0, out).status, 202);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].key, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
  h.commit(out[0].offset, 0);
  Answer again = h.handle(r, 0, out);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_NE(again.body.find("\"duplicates\":1"), std::string::npos) << again.body;
  // Another delivery of the same body is a new event.
  hdrs["X-GitHub-Delivery"] = "72d3162e-cc78-11e3-81ab-4c9367dc0959";
  EXPECT_EQ(h.handle(r, 0, out).status, 202);
}

}  // namespace
}  // namespace streamhost::plugins::webhook
