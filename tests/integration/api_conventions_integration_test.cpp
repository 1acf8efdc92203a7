// API conventions against a real streamhostd: version prefix, auth, request
// ids, error envelopes, body checks, field spellings and rate limits.
#include <gtest/gtest.h>

#include <Poco/Net/StreamSocket.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <regex>
#include <set>

#include "integration/stream_test_helpers.h"

namespace streamhost::testing {
namespace {

class ApiConventionsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    DaemonOptions options;
    options.extra_args = {"--set", "limits.api_max_body_bytes=2048", "--set", "limits.api_requests_per_second=0"};
    daemon_ = new DaemonHarness(options);
    reader_key_ = new std::string(daemon_->createKey("reader", "streams:read"));
    ASSERT_TRUE(daemon_->start());
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
    delete reader_key_;
    reader_key_ = nullptr;
  }
  void TearDown() override { daemon_->printLogIfFailed(); }

  static HttpClient client() { return daemon_->client(); }

  /// Asserts the JSON error envelope: status, code, request id matching the header.
  static void expectError(const HttpResponse& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.describe();
    EXPECT_EQ(r.errorCode(), code) << r.describe();
    EXPECT_FALSE(r.json["error"]["message"].str().empty()) << r.describe();
    EXPECT_EQ(r.json["error"]["request_id"].str(), r.header("X-Request-Id").value_or("(none)")) << r.describe();
    EXPECT_EQ(r.header("Content-Type").value_or("").rfind("application/json", 0), 0u) << r.describe();
  }

  static DaemonHarness* daemon_;
  static std::string* reader_key_;
};

DaemonHarness* ApiConventionsTest::daemon_ = nullptr;
std::string* ApiConventionsTest::reader_key_ = nullptr;

TEST_F(ApiConventionsTest, EveryPathAnswersWithAndWithoutVersionPrefix) {
  HttpClient c = client();
  std::string pipeline = createPipeline(c, "prefix-pl");
  ASSERT_FALSE(pipeline.empty());
  HttpResponse created = c.post("/v1/api/streams", "{\"name\":\"prefix-s\",\"sourceType\":\"datagen\",\"pipelineId\":" +
                                                       jsonQuote(pipeline) + "}");
  ASSERT_EQ(created.status, 201) << created.describe();
  std::string id = created.json["data"]["id"].str();
  const std::vector<std::string> paths = {"/healthz",
                                          "/readyz",
                                          "/metrics",
                                          "/api/openapi.json",
                                          "/api/plugins",
                                          "/api/streams",
                                          "/api/streams/summary",
                                          "/api/streams/" + id,
                                          "/api/streams/" + id + "/metrics",
                                          "/api/pipelines",
                                          "/api/pipelines/" + pipeline,
                                          "/api/pipelines/" + pipeline + "/events",
                                          "/api/connections"};
  for (const auto& p : paths) {
    HttpResponse plain = c.get(p);
    HttpResponse versioned = c.get("/v1" + p);
    EXPECT_EQ(plain.status, 200) << p << ": " << plain.describe();
    EXPECT_EQ(versioned.status, 200) << "/v1" << p << ": " << versioned.describe();
    EXPECT_EQ(plain.json["data"]["type"].str(), versioned.json["data"]["type"].str()) << p;
  }
  HttpResponse via_v1 = c.get("/v1/api/streams/" + id);
  EXPECT_EQ(via_v1.json["data"]["attributes"]["name"].str(), "prefix-s");
  EXPECT_EQ(c.get("/v2/api/streams").status, 404);
  EXPECT_EQ(c.del("/v1/api/streams/" + id).status, 200);
  EXPECT_EQ(c.get("/api/streams/" + id).status, 404);
}

TEST_F(ApiConventionsTest, AcceptsBearerAndXApiKeyAndRejectsOthers) {
  HttpClient anon = daemon_->clientWithKey("");
  EXPECT_EQ(anon.get("/api/streams", {{"Authorization", "Bearer " + daemon_->adminKey()}}).status, 200);
  EXPECT_EQ(anon.get("/api/streams", {{"Authorization", "bearer " + daemon_->adminKey()}}).status, 200);
  EXPECT_EQ(anon.get("/api/streams", {{"X-Api-Key", daemon_->adminKey()}}).status, 200);

  HttpResponse missing = anon.get("/api/streams");
  expectError(missing, 401, "unauthorized");
  expectError(anon.get("/api/streams", {{"Authorization", "Bearer sk_0000000000000000"}}), 401, "unauthorized");
  expectError(anon.get("/api/streams", {{"X-Api-Key", "sk_unknown"}}), 401, "unauthorized");
  expectError(anon.get("/api/streams", {{"Authorization", "Basic " + daemon_->adminKey()}}), 401, "unauthorized");
  // A key missing its last character is a different key.
  std::string truncated = daemon_->adminKey().substr(0, daemon_->adminKey().size() - 1);
  expectError(anon.get("/api/streams", {{"X-Api-Key", truncated}}), 401, "unauthorized");
  // Unauthenticated probes stay open.
  EXPECT_EQ(anon.get("/healthz").status, 200);
}

TEST_F(ApiConventionsTest, ScopesLimitWhatAKeyMayDo) {
  ASSERT_FALSE(reader_key_->empty());
  HttpClient reader = daemon_->clientWithKey(*reader_key_);
  EXPECT_EQ(reader.get("/api/streams").status, 200);
  EXPECT_EQ(reader.get("/api/streams/summary").status, 200);
  HttpResponse write = reader.post("/api/streams", "{\"name\":\"nope\",\"sourceType\":\"datagen\",\"pipelineId\":\"pl_x\"}");
  expectError(write, 403, "forbidden");
  EXPECT_NE(write.json["error"]["message"].str().find("streams:write"), std::string::npos) << write.describe();
  expectError(reader.post("/api/pipelines", "{\"name\":\"reader-pl\"}"), 403, "forbidden");
  expectError(reader.get("/api/pipelines"), 403, "forbidden");
  // Nothing was created by the refused request.
  HttpResponse list = client().get("/api/streams?limit=500");
  for (const auto& s : list.json["data"].items()) {
    EXPECT_NE(s["attributes"]["name"].str(), "nope");
  }
  // A key made while the daemon runs works at once.
  std::string live = daemon_->createKey("live-writer", "streams:read,streams:write,pipelines:write");
  HttpClient writer = daemon_->clientWithKey(live);
  EXPECT_EQ(writer.post("/api/pipelines", "{\"name\":\"live-pl\"}").status, 201);
}

TEST_F(ApiConventionsTest, EveryResponseCarriesARequestId) {
  HttpClient c = client();
  HttpClient anon = daemon_->clientWithKey("");
  std::vector<HttpResponse> responses = {c.get("/api/streams"), c.get("/healthz"), c.get("/nope"),
                                         c.del("/api/streams"), anon.get("/api/streams"),
                                         c.post("/api/pipelines", "{")};
  std::set<std::string> ids;
  for (const auto& r : responses) {
    auto id = r.header("X-Request-Id");
    ASSERT_TRUE(id.has_value()) << r.describe();
    EXPECT_TRUE(std::regex_match(*id, std::regex("[A-Za-z0-9_.-]{8,64}"))) << *id;
    ids.insert(*id);
  }
  EXPECT_EQ(ids.size(), responses.size()) << "request ids repeat";

  HttpResponse echoed = c.get("/api/streams/str_missing", {{"X-Request-Id", "client-req.42_a"}});
  EXPECT_EQ(echoed.header("X-Request-Id").value_or(""), "client-req.42_a");
  EXPECT_EQ(echoed.json["error"]["request_id"].str(), "client-req.42_a");
  // An id that could forge log lines or headers is replaced, not echoed.
  for (const std::string& bad : {std::string("has space"), std::string(65, 'a'), std::string("a\"b")}) {
    HttpResponse r = c.get("/api/streams", {{"X-Request-Id", bad}});
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.header("X-Request-Id").value_or(bad), bad);
    EXPECT_FALSE(r.header("X-Request-Id").value_or("").empty());
  }
}

TEST_F(ApiConventionsTest, UnknownRoutesAndMethodsAnswerJsonErrors) {
  HttpClient c = client();
  expectError(c.get("/api/nothing-here"), 404, "not_found");
  expectError(c.get("/api/streams/str_01hzzzzzzzzzzzzzzzzzzzzzzz"), 404, "not_found");
  expectError(c.get("/api/pipelines/pl_nope/events"), 404, "not_found");
  HttpResponse r405 = c.del("/api/streams");
  EXPECT_EQ(r405.status, 405) << r405.describe();
  EXPECT_FALSE(r405.errorCode().empty()) << r405.describe();
  EXPECT_TRUE(r405.header("Allow").has_value());
  EXPECT_NE(r405.header("Allow").value_or("").find("POST"), std::string::npos);
  HttpResponse put = c.request("PUT", "/api/streams/summary", "{}");
  EXPECT_EQ(put.status, 405) << put.describe();
  EXPECT_TRUE(put.json_ok) << put.describe();
}

TEST_F(ApiConventionsTest, MalformedJsonNamesThePosition) {
  HttpClient c = client();
  HttpResponse r = c.post("/api/pipelines", "{\n  \"name\": \"p\",\n  oops\n}");
  expectError(r, 400, "validation_error");
  const std::string& msg = r.json["error"]["message"].str();
  EXPECT_NE(msg.find("line 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("column"), std::string::npos) << msg;
  expectError(c.post("/api/streams", "[1,2"), 400, "validation_error");
  // A JSON value that is not an object is valid JSON but not a valid body.
  expectError(c.post("/api/streams", "[]"), 400, "validation_error");
}

TEST_F(ApiConventionsTest, NonJsonBodiesAre415) {
  HttpClient c = client();
  HttpResponse r = c.request("POST", "/api/pipelines", "{\"name\":\"ct\"}", {}, "text/plain");
  expectError(r, 415, "unsupported_media_type");
  expectError(c.request("POST", "/api/pipelines", "name=ct", {}, "application/x-www-form-urlencoded"), 415,
              "unsupported_media_type");
  // Names are unique, so this 201 also shows the refused bodies created nothing.
  EXPECT_EQ(c.request("POST", "/api/pipelines", "{\"name\":\"ct\"}", {}, "application/json; charset=utf-8").status,
            201);
}

TEST_F(ApiConventionsTest, BodiesOverTheLimitAre413) {
  HttpClient c = client();
  // Whitespace keeps the body valid JSON at any length.
  std::string fits = "{\"name\":\"small-enough\"" + std::string(1900, ' ') + "}";
  EXPECT_EQ(c.post("/api/pipelines", fits).status, 201);
  std::string big = "{\"name\":\"too-big\"" + std::string(3000, ' ') + "}";
  expectError(c.post("/api/pipelines", big), 413, "payload_too_large");
  std::string huge = "{\"name\":\"way-too-big\"" + std::string(200000, ' ') + "}";
  HttpResponse r = c.post("/api/pipelines", huge);
  // The server may close before reading it all; either way nothing is created.
  if (r.status != 0) {
    expectError(r, 413, "payload_too_large");
  }
  HttpResponse list = c.get("/api/pipelines?limit=500");
  for (const auto& p : list.json["data"].items()) {
    EXPECT_NE(p["attributes"]["name"].str(), "too-big");
    EXPECT_NE(p["attributes"]["name"].str(), "way-too-big");
  }
  EXPECT_EQ(c.get("/healthz").status, 200);
}

TEST_F(ApiConventionsTest, UnknownBodyFieldsAre400NamingTheField) {
  HttpClient c = client();
  std::string pipeline = createPipeline(c, "unknown-field-pl");
  HttpResponse r = c.post("/api/streams", "{\"name\":\"uf\",\"sourceType\":\"datagen\",\"pipelineId\":" +
                                              jsonQuote(pipeline) + ",\"colour\":\"blue\"}");
  expectError(r, 400, "validation_error");
  EXPECT_EQ(r.json["error"]["field"].str(), "colour");
  EXPECT_NE(r.json["error"]["message"].str().find("colour"), std::string::npos);
  HttpResponse p = c.post("/api/pipelines", "{\"name\":\"x\",\"retention\":{\"maxBytes\":1,\"maxRows\":2}}");
  expectError(p, 400, "validation_error");
  EXPECT_NE(p.json["error"]["field"].str().find("maxRows"), std::string::npos) << p.describe();
  EXPECT_EQ(c.get("/api/streams?pipeline_id=" + pipeline).json["data"].size(), 0u);
}

TEST_F(ApiConventionsTest, CamelAndSnakeCaseAreBothAccepted) {
  HttpClient c = client();
  std::string pipeline = createPipeline(c, "case-pl");
  HttpResponse camel = c.post("/api/streams", "{\"name\":\"camel\",\"sourceType\":\"datagen\",\"pipelineId\":" +
                                                  jsonQuote(pipeline) + "}");
  EXPECT_EQ(camel.status, 201) << camel.describe();
  HttpResponse snake = c.post("/api/streams", "{\"name\":\"snake\",\"source_type\":\"datagen\",\"pipeline_id\":" +
                                                  jsonQuote(pipeline) + "}");
  EXPECT_EQ(snake.status, 201) << snake.describe();
  EXPECT_EQ(snake.json["data"]["attributes"]["pipeline_id"].str(), pipeline);
  HttpResponse both_same = c.post("/api/streams", "{\"name\":\"both\",\"sourceType\":\"datagen\",\"source_type\":"
                                                  "\"datagen\",\"pipelineId\":" + jsonQuote(pipeline) + "}");
  EXPECT_EQ(both_same.status, 201) << both_same.describe();
  HttpResponse clash = c.post("/api/streams", "{\"name\":\"clash\",\"sourceType\":\"datagen\",\"pipelineId\":" +
                                                  jsonQuote(pipeline) + ",\"pipeline_id\":\"pl_other\"}");
  expectError(clash, 400, "validation_error");
  EXPECT_EQ(clash.json["error"]["field"].str(), "pipelineId");
  EXPECT_EQ(c.get("/api/streams?pipeline_id=" + pipeline).json["data"].size(), 3u);
  // Retention follows the same rule.
  HttpResponse ret = c.post("/api/pipelines", "{\"name\":\"ret\",\"retention\":{\"max_age_seconds\":60}}");
  EXPECT_EQ(ret.status, 201) << ret.describe();
  EXPECT_EQ(ret.json["data"]["attributes"]["retention"]["max_age_seconds"].integer(), 60);
}

TEST(ApiRateLimitTest, BucketEmptiesTo429WithRetryAfter) {
  DaemonHarness daemon(DaemonOptions{{"--set", "limits.api_requests_per_second=1", "--set", "limits.api_burst=3"}});
  // The harness's start-up probe spends the admin key's tokens, so the test uses keys of its own.
  std::string limited_key = daemon.createKey("limited", "streams:read");
  std::string other_key = daemon.createKey("other", "streams:read");
  ASSERT_TRUE(daemon.start());
  HttpClient c = daemon.clientWithKey(limited_key);
  std::vector<HttpResponse> ok;
  std::optional<HttpResponse> limited;
  for (int i = 0; i < 10 && !limited; ++i) {
    HttpResponse r = c.get("/api/streams");
    if (r.status == 429) {
      limited = r;
    } else {
      ASSERT_EQ(r.status, 200) << r.describe();
      ok.push_back(r);
    }
  }
  ASSERT_TRUE(limited.has_value()) << "no 429 within 10 requests at 1 req/s, burst 3";
  // A burst of 3 lets 3 through; a slow machine may refill one more token.
  EXPECT_GE(ok.size(), 3u);
  EXPECT_LE(ok.size(), 5u);
  EXPECT_EQ(limited->errorCode(), "rate_limited");
  int64_t retry_after = std::stoll(limited->header("Retry-After").value_or("0"));
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 3);
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  for (const HttpResponse* r : {&ok.front(), &ok.back(), &*limited}) {
    EXPECT_EQ(r->header("X-RateLimit-Limit").value_or(""), "3") << r->describe();
    ASSERT_TRUE(r->header("X-RateLimit-Remaining").has_value());
    int64_t reset = std::stoll(r->header("X-RateLimit-Reset").value_or("0"));
    EXPECT_GE(reset, now - 1);
    EXPECT_LE(reset, now + 5);
  }
  EXPECT_EQ(ok.front().header("X-RateLimit-Remaining").value_or(""), "2");
  EXPECT_EQ(limited->header("X-RateLimit-Remaining").value_or(""), "0");
  // Buckets are per key: another key still has its burst.
  EXPECT_EQ(daemon.clientWithKey(other_key).get("/api/streams").status, 200);
  // After Retry-After the same key gets through again.
  EXPECT_TRUE(pollUntil([&] { return c.get("/api/streams").status == 200; }, std::chrono::seconds(retry_after + 2),
                        std::chrono::milliseconds(250)));
}

}  // namespace
}  // namespace streamhost::testing

namespace streamhost::testing {
namespace {

// curl -X POST sends neither Content-Length nor a chunked body; such a request
// has no body and must be answered at once, not after the client gives up.
TEST(ApiBodylessPostTest, PostWithoutContentLengthIsAnsweredWithoutWaitingForTheBody) {
  DaemonHarness daemon;
  ASSERT_TRUE(daemon.start());
  Poco::Net::StreamSocket sock(Poco::Net::SocketAddress("127.0.0.1", daemon.port()));
  sock.setReceiveTimeout(Poco::Timespan(5, 0));
  std::string head = "POST /api/streams/str_missing/start HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                     daemon.adminKey() + "\r\n\r\n";
  sock.sendBytes(head.data(), static_cast<int>(head.size()));
  auto started = std::chrono::steady_clock::now();
  char buf[512];
  int n = 0;
  try {
    n = sock.receiveBytes(buf, sizeof buf);
  } catch (const Poco::TimeoutException&) {
    n = 0;
  }
  std::string text(buf, static_cast<size_t>(std::max(n, 0)));
  EXPECT_EQ(text.substr(0, text.find("\r\n")), "HTTP/1.1 404 Not Found") << text;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));
  daemon.printLogIfFailed();
}

}  // namespace
}  // namespace streamhost::testing
