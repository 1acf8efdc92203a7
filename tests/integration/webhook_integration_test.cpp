// The webhook push source over real sockets: every auth scheme with
// signatures computed here from the published algorithms, body formats,
// deduplication (across a restart too), 429/503/413/404, metrics, and
// durability of every 202 across a SIGKILL.
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/crypto.h"
#include "stream_test_helpers.h"
#include "support/daemon_harness.h"
#include "support/http_client.h"

namespace streamhost::testing {
namespace {

int64_t nowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string githubSig(const std::string& secret, const std::string& body) {
  return "sha256=" + crypto::hexEncode(crypto::hmacSha256(secret, body));
}

class WebhookTest : public ::testing::Test {
 protected:
  explicit WebhookTest(DaemonOptions options = DaemonOptions{{"--set", "limits.ingest_max_body_bytes=65536"}})
      : daemon_(std::move(options)) {}

  void SetUp() override {
    ASSERT_TRUE(daemon_.start());
    pipeline_ = createPipeline(daemon_.client(), "wh");
  }
  void TearDown() override { daemon_.printLogIfFailed(); }

  HttpClient api() const { return daemon_.client(); }
  /// Creates and starts a webhook stream; returns its id.
  std::string startWebhook(const std::string& name, const std::string& config) {
    HttpResponse r = api().post("/api/streams", "{\"name\":" + jsonQuote(name) +
                                                    ",\"sourceType\":\"webhook\",\"pipelineId\":" +
                                                    jsonQuote(pipeline_) + ",\"config\":" + config + "}");
    EXPECT_EQ(r.status, 201) << r.describe();
    std::string id = r.json["data"]["id"].str();
    HttpResponse s = api().post("/api/streams/" + id + "/start");
    EXPECT_EQ(s.status, 200) << s.describe();
    EXPECT_TRUE(waitForStatus(api(), id, "running"));
    return id;
  }
  HttpResponse ingest(const std::string& id, const std::string& body, const HeaderList& headers = {},
                      const std::string& content_type = "application/json") const {
    return daemon_.clientWithKey("").request("POST", "/ingest/" + id, body, headers, content_type);
  }
  /// Sends only the head of a POST announcing `content_length` bytes and returns the status line.
  std::string rawStatusLine(const std::string& id, size_t content_length) const {
    Poco::Net::StreamSocket sock(Poco::Net::SocketAddress("127.0.0.1", daemon_.port()));
    sock.setReceiveTimeout(Poco::Timespan(10, 0));
    std::string head = "POST /ingest/" + id + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       "Content-Length: " + std::to_string(content_length) + "\r\n\r\n";
    sock.sendBytes(head.data(), static_cast<int>(head.size()));
    char buf[256];
    int n = sock.receiveBytes(buf, sizeof buf);
    std::string text(buf, static_cast<size_t>(std::max(n, 0)));
    return text.substr(0, text.find("\r\n"));
  }
  size_t eventCount() const { return allEvents(api(), pipeline_).size(); }

  DaemonHarness daemon_;
  std::string pipeline_;
};

TEST_F(WebhookTest, GithubAcceptsOnlyTheRightSignature) {
  std::string id = startWebhook("gh", R"({"auth":{"scheme":"github","secrets":["s3cret"]},"headers":["X-GitHub-Event"]})");
  std::string body = R"({"action":"opened","n":1})";
  HttpResponse ok = ingest(id, body, {{"X-Hub-Signature-256", githubSig("s3cret", body)}, {"X-GitHub-Event", "issues"}});
  ASSERT_EQ(ok.status, 202) << ok.describe();
  EXPECT_EQ(ok.json["accepted"].integer(), 1);

  HttpResponse wrong = ingest(id, body, {{"X-Hub-Signature-256", githubSig("other", body)}});
  EXPECT_EQ(wrong.status, 401) << wrong.describe();
  EXPECT_EQ(wrong.errorCode(), "unauthorized");
  EXPECT_FALSE(wrong.json["error"]["request_id"].str().empty());
  EXPECT_EQ(ingest(id, body).status, 401);
  HttpResponse tampered = ingest(id, R"({"action":"opened","n":2})", {{"X-Hub-Signature-256", githubSig("s3cret", body)}});
  EXPECT_EQ(tampered.status, 401);

  auto events = allEvents(api(), pipeline_);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["value"]["action"].str(), "opened");
  EXPECT_EQ(events[0]["headers"]["X-GitHub-Event"].str(), "issues");
  EXPECT_EQ(events[0]["stream_id"].str(), id);
}

TEST_F(WebhookTest, TwoSecretsAtOnceForRotation) {
  std::string id = startWebhook("rot", R"({"auth":{"scheme":"github","secrets":["old","new"]}})");
  std::string body = R"({"k":1})";
  EXPECT_EQ(ingest(id, body, {{"X-Hub-Signature-256", githubSig("old", body)}}).status, 202);
  EXPECT_EQ(ingest(id, body, {{"X-Hub-Signature-256", githubSig("new", body)}}).status, 202);
  EXPECT_EQ(ingest(id, body, {{"X-Hub-Signature-256", githubSig("neither", body)}}).status, 401);
  EXPECT_EQ(eventCount(), 2u);
}

TEST_F(WebhookTest, StripeChecksTimestampAndAnyV1) {
  std::string id = startWebhook("stripe", R"({"auth":{"scheme":"stripe","secrets":["whsec_abc"],"tolerance_seconds":300}})");
  std::string body = R"({"type":"charge.succeeded"})";
  auto header = [&](int64_t t, const std::string& secret) {
    std::string sig = crypto::hexEncode(crypto::hmacSha256(secret, std::to_string(t) + "." + body));
    return "t=" + std::to_string(t) + ",v1=" + crypto::hexEncode(std::string(32, 'x')) + ",v1=" + sig;
  };
  EXPECT_EQ(ingest(id, body, {{"Stripe-Signature", header(nowSeconds(), "whsec_abc")}}).status, 202);
  EXPECT_EQ(ingest(id, body, {{"Stripe-Signature", header(nowSeconds(), "whsec_bad")}}).status, 401);
  EXPECT_EQ(ingest(id, body, {{"Stripe-Signature", header(nowSeconds() - 1000, "whsec_abc")}}).status, 401);
  EXPECT_EQ(ingest(id, body, {{"Stripe-Signature", header(nowSeconds() + 1000, "whsec_abc")}}).status, 401);
  EXPECT_EQ(ingest(id, body).status, 401);
  EXPECT_EQ(eventCount(), 1u);
}

TEST_F(WebhookTest, StandardWebhooksWithHeaderIdDedup) {
  std::string key = "standard-key-bytes";
  std::string secret = "whsec_" + crypto::base64Encode(key);
  std::string id = startWebhook("std", R"({"auth":{"scheme":"standard","secrets":[")" + secret + R"("]}})");
  std::string body = R"({"type":"user.created"})";
  auto headers = [&](const std::string& msg_id, int64_t ts, const std::string& k) {
    std::string sig = crypto::base64Encode(crypto::hmacSha256(k, msg_id + "." + std::to_string(ts) + "." + body));
    return HeaderList{{"webhook-id", msg_id}, {"webhook-timestamp", std::to_string(ts)},
                      {"webhook-signature", "v1,bm90LWl0 v1," + sig}};
  };
  EXPECT_EQ(ingest(id, body, headers("msg_1", nowSeconds(), key)).status, 202);
  HttpResponse dup = ingest(id, body, headers("msg_1", nowSeconds(), key));
  EXPECT_EQ(dup.status, 200) << dup.describe();
  EXPECT_EQ(ingest(id, body, headers("msg_2", nowSeconds(), "wrong")).status, 401);
  EXPECT_EQ(ingest(id, body, headers("msg_3", nowSeconds() - 3600, key)).status, 401);
  EXPECT_EQ(eventCount(), 1u);
}

TEST_F(WebhookTest, SlackAndGenericHmacAndBearerAndNone) {
  std::string slack = startWebhook("slack", R"({"auth":{"scheme":"slack","secrets":["sl"]}})");
  std::string body = "{\"event\":\"x\"}";
  std::string ts = std::to_string(nowSeconds());
  std::string sig = "v0=" + crypto::hexEncode(crypto::hmacSha256("sl", "v0:" + ts + ":" + body));
  EXPECT_EQ(ingest(slack, body, {{"X-Slack-Signature", sig}, {"X-Slack-Request-Timestamp", ts}}).status, 202);
  EXPECT_EQ(ingest(slack, body, {{"X-Slack-Signature", sig}}).status, 401);

  std::string hm = startWebhook(
      "hm", R"({"auth":{"scheme":"hmac","secrets":["k"],"algorithm":"sha512","header":"X-Sig","encoding":"base64",)"
            R"("prefix":"sha512=","timestamp_header":"X-Ts","signed_payload":"timestamp.body","tolerance_seconds":60}})");
  std::string hsig = "sha512=" + crypto::base64Encode(crypto::hmacSha512("k", ts + "." + body));
  EXPECT_EQ(ingest(hm, body, {{"X-Sig", hsig}, {"X-Ts", ts}}).status, 202);
  std::string old_ts = std::to_string(nowSeconds() - 120);
  std::string old_sig = "sha512=" + crypto::base64Encode(crypto::hmacSha512("k", old_ts + "." + body));
  EXPECT_EQ(ingest(hm, body, {{"X-Sig", old_sig}, {"X-Ts", old_ts}}).status, 401);

  std::string bearer = startWebhook("bearer", R"({"auth":{"scheme":"bearer","tokens":["t1","t2"]}})");
  EXPECT_EQ(ingest(bearer, body, {{"Authorization", "Bearer t2"}}).status, 202);
  EXPECT_EQ(ingest(bearer, body, {{"Authorization", "Bearer t3"}}).status, 401);

  std::string open = startWebhook("open", R"({"auth":{"scheme":"none"}})");
  EXPECT_EQ(ingest(open, body).status, 202);
  HttpResponse no_auth = api().post("/api/streams", "{\"name\":\"noauth\",\"sourceType\":\"webhook\",\"pipelineId\":" +
                                                        jsonQuote(pipeline_) + ",\"config\":{}}");
  EXPECT_EQ(no_auth.status, 400) << no_auth.describe();
  EXPECT_EQ(eventCount(), 4u);
}

TEST_F(WebhookTest, BodyFormatsAllOrNothing) {
  std::string id = startWebhook("fmt", R"({"auth":{"scheme":"none"}})");
  EXPECT_EQ(ingest(id, R"([{"a":1},{"a":2},{"a":3}])").status, 202);
  EXPECT_EQ(ingest(id, "{\"b\":1}\n\n{\"b\":2}\n", {}, "application/x-ndjson").status, 202);
  EXPECT_EQ(ingest(id, "name=J%C3%BCrg+X&tag=a&tag=b", {}, "application/x-www-form-urlencoded").status, 202);
  EXPECT_EQ(eventCount(), 6u);
  auto events = allEvents(api(), pipeline_);
  EXPECT_EQ(events[5]["value"]["name"].str(), "J\xC3\xBCrg X");
  EXPECT_EQ(events[5]["value"]["tag"].size(), 2u);

  HttpResponse bad_elem = ingest(id, R"([{"a":4},7,{"a":5}])");
  EXPECT_EQ(bad_elem.status, 400) << bad_elem.describe();
  EXPECT_EQ(ingest(id, "{\"c\":1}\n{broken\n", {}, "application/x-ndjson").status, 400);
  EXPECT_EQ(ingest(id, "{\"c\":1", {}).status, 400);
  EXPECT_EQ(ingest(id, "hello", {}, "text/plain").status, 415);
  EXPECT_EQ(eventCount(), 6u);
}

TEST_F(WebhookTest, DedupByEventIdSurvivesRestart) {
  std::string id = startWebhook("dedup", R"({"auth":{"scheme":"none"},"event_id":"/id","dedup_ttl_seconds":3600})");
  EXPECT_EQ(ingest(id, R"({"id":"e1","v":1})").status, 202);
  EXPECT_EQ(ingest(id, R"({"id":"e1","v":1})").status, 200);
  HttpResponse batch = ingest(id, R"([{"id":"e1"},{"id":"e2"},{"id":"e2"}])");
  EXPECT_EQ(batch.status, 202) << batch.describe();
  EXPECT_EQ(batch.json["accepted"].integer(), 1);
  EXPECT_EQ(ingest(id, R"({"v":"no id"})").status, 400);
  EXPECT_EQ(eventCount(), 2u);

  ASSERT_TRUE(daemon_.restart());
  ASSERT_TRUE(waitForStatus(api(), id, "running"));
  EXPECT_EQ(ingest(id, R"({"id":"e2"})").status, 200);
  EXPECT_EQ(ingest(id, R"({"id":"e3"})").status, 202);
  EXPECT_EQ(eventCount(), 3u);
}

TEST_F(WebhookTest, NotRunningPausedDeletedAndTooLarge) {
  std::string id = startWebhook("life", R"({"auth":{"scheme":"none"},"max_body_bytes":100})");
  HttpResponse got = api().get("/api/streams/" + id);
  std::string url = got.json["data"]["attributes"]["ingest_url"].str();
  EXPECT_TRUE(url.ends_with("/ingest/" + id)) << url;

  HttpResponse big = ingest(id, "{\"p\":\"" + std::string(200, 'x') + "\"}");
  EXPECT_EQ(big.status, 413) << big.describe();
  // Only the head is sent: the answer must come without the body being read.
  EXPECT_TRUE(rawStatusLine(id, 100000).starts_with("HTTP/1.1 413")) << rawStatusLine(id, 100000);

  ASSERT_EQ(api().post("/api/streams/" + id + "/pause").status, 200);
  HttpResponse paused = ingest(id, "{}");
  EXPECT_EQ(paused.status, 503) << paused.describe();
  EXPECT_TRUE(paused.header("Retry-After").has_value());
  ASSERT_EQ(api().post("/api/streams/" + id + "/resume").status, 200);
  EXPECT_EQ(ingest(id, "{}").status, 202);
  ASSERT_EQ(api().post("/api/streams/" + id + "/stop").status, 200);
  HttpResponse stopped = ingest(id, "{}");
  EXPECT_EQ(stopped.status, 503);
  EXPECT_EQ(stopped.errorCode(), "unavailable");
  EXPECT_EQ(stopped.json["error"]["reason"].str(), "not_running");
  ASSERT_EQ(api().del("/api/streams/" + id).status, 200);
  HttpResponse gone = ingest(id, "{}");
  EXPECT_EQ(gone.status, 404) << gone.describe();
  EXPECT_EQ(gone.errorCode(), "not_found");
  EXPECT_EQ(ingest("str_unknown", "{}").status, 404);
  EXPECT_EQ(eventCount(), 1u);
}

TEST_F(WebhookTest, MetricsCountOutcomes) {
  std::string id = startWebhook("met", R"({"auth":{"scheme":"bearer","tokens":["t"]},"event_id":"/id"})");
  HeaderList auth = {{"Authorization", "Bearer t"}};
  EXPECT_EQ(ingest(id, R"({"id":1})", auth).status, 202);
  EXPECT_EQ(ingest(id, R"({"id":1})", auth).status, 200);
  EXPECT_EQ(ingest(id, R"({"id":2})").status, 401);
  EXPECT_EQ(ingest(id, "[1]", auth).status, 400);
  std::string text = api().get("/metrics").body;
  auto has = [&](const std::string& outcome, int n) {
    return text.find("streamhost_ingest_requests_total{stream_id=\"" + id + "\",outcome=\"" + outcome + "\"} " +
                     std::to_string(n)) != std::string::npos;
  };
  EXPECT_TRUE(has("accepted", 1)) << text;
  EXPECT_TRUE(has("duplicate", 1));
  EXPECT_TRUE(has("unauthorized", 1));
  EXPECT_TRUE(has("rejected", 1));
  for (const char* window : {"1m", "5m", "1h", "24h"}) {
    HttpResponse m = api().get("/api/streams/" + id + "/metrics?window=" + window);
    ASSERT_EQ(m.status, 200) << m.describe();
    const Json& req = m.json["data"]["attributes"]["requests"];
    EXPECT_EQ(req["accepted"].integer(), 1) << window << " " << m.body;
    EXPECT_EQ(req["duplicate"].integer(), 1) << window;
    EXPECT_EQ(req["unauthorized"].integer(), 1) << window;
    EXPECT_EQ(req["rejected"].integer(), 1) << window;
    EXPECT_EQ(req["throttled"].integer(), 0) << window;
    EXPECT_EQ(req["total"].integer(), 4) << window;
    // The series carries the same counts, bucket by bucket.
    int64_t accepted = 0;
    int64_t total = 0;
    for (const Json& point : m.json["data"]["attributes"]["series"].items()) {
      accepted += point["requests"]["accepted"].integer();
      total += point["requests"]["total"].integer();
    }
    EXPECT_EQ(accepted, 1) << window;
    EXPECT_EQ(total, 4) << window;
  }
}

TEST_F(WebhookTest, UnknownKeysInsideAuthAreRefusedWithTheirPath) {
  HttpResponse r = api().post("/api/streams", "{\"name\":\"typo\",\"sourceType\":\"webhook\",\"pipelineId\":" +
                                                   jsonQuote(pipeline_) +
                                                   R"(,"config":{"auth":{"scheme":"hmac","secrets":["k"],"header":"X-Sig",)"
                                                   R"("timestamp_header":"X-Ts","signed_text":"timestamp.body"}}})");
  EXPECT_EQ(r.status, 400) << r.describe();
  EXPECT_EQ(r.errorCode(), "validation_error") << r.describe();
  EXPECT_EQ(r.json["error"]["field"].str(), "config.auth.signed_text") << r.describe();
}

class WebhookSlowJournalTest : public WebhookTest {
 protected:
  // Each append waits 300 ms for its group commit, so a burst overlaps.
  WebhookSlowJournalTest() : WebhookTest(DaemonOptions{{"--set", "journal.group_commit_delay_ms=300"}}) {}
};

TEST_F(WebhookSlowJournalTest, FullQueueAnswers429OrWaits) {
  std::string reject = startWebhook("rej", R"({"auth":{"scheme":"none"},"max_in_flight":1,"backpressure":"reject"})");
  std::string queue = startWebhook(
      "que", R"({"auth":{"scheme":"none"},"max_in_flight":1,"backpressure":"queue","max_wait_ms":8000})");
  auto burst = [&](const std::string& id, std::vector<HttpResponse>& out) {
    std::vector<std::thread> threads;
    out.resize(6);
    for (size_t i = 0; i < out.size(); ++i) {
      threads.emplace_back([&, i] { out[i] = ingest(id, "{\"i\":" + std::to_string(i) + "}"); });
    }
    for (auto& t : threads) {
      t.join();
    }
  };
  std::vector<HttpResponse> rejected;
  burst(reject, rejected);
  int accepted = 0;
  int throttled = 0;
  for (const auto& r : rejected) {
    accepted += r.status == 202;
    if (r.status == 429) {
      ++throttled;
      EXPECT_EQ(r.header("Retry-After").value_or(""), "1");
      EXPECT_EQ(r.errorCode(), "rate_limited") << r.describe();
      EXPECT_EQ(r.json["error"]["reason"].str(), "queue_full") << r.describe();
    }
  }
  EXPECT_GE(accepted, 1);
  EXPECT_GE(throttled, 1);
  EXPECT_EQ(accepted + throttled, 6);
  std::vector<HttpResponse> queued;
  burst(queue, queued);
  for (const auto& r : queued) {
    EXPECT_EQ(r.status, 202) << r.describe();
  }
  EXPECT_EQ(eventCount(), static_cast<size_t>(accepted + 6));
}

TEST_F(WebhookTest, EveryAcceptedRequestSurvivesSigkill) {
  std::string id = startWebhook("kill", R"({"auth":{"scheme":"github","secrets":["k"]},"event_id":"/id"})");
  std::mutex mu;
  std::set<std::string> acked;
  std::atomic<bool> stop{false};
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        std::string eid = std::to_string(t) + "-" + std::to_string(i);
        std::string body = "{\"id\":\"" + eid + "\"}";
        HttpResponse r = ingest(id, body, {{"X-Hub-Signature-256", githubSig("k", body)}});
        if (r.status == 202) {
          std::lock_guard lock(mu);
          acked.insert(eid);
        } else if (r.status == 0) {
          return;  // the daemon is gone
        }
      }
    });
  }
  ASSERT_TRUE(pollUntil(
      [&] {
        std::lock_guard lock(mu);
        return acked.size() >= 200;
      },
      20s));
  ASSERT_TRUE(daemon_.stop(SIGKILL));
  stop = true;
  for (auto& t : senders) {
    t.join();
  }
  ASSERT_TRUE(daemon_.start());
  ASSERT_TRUE(waitForStatus(api(), id, "running"));
  std::set<std::string> stored;
  for (const auto& e : allEvents(api(), pipeline_)) {
    stored.insert(e["value"]["id"].str());
  }
  for (const auto& eid : acked) {
    EXPECT_TRUE(stored.count(eid) == 1) << "acknowledged event " << eid << " is missing after SIGKILL";
  }
  // A retry of an acknowledged event is still a duplicate.
  std::string body = "{\"id\":\"" + *acked.begin() + "\"}";
  EXPECT_EQ(ingest(id, body, {{"X-Hub-Signature-256", githubSig("k", body)}}).status, 200);
}

}  // namespace
}  // namespace streamhost::testing
