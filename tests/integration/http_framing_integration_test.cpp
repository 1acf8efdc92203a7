// HTTP framing and error bodies as a client on a raw keep-alive socket sees
// them: a body the server did not need is never read as the next request,
// every answer is JSON in valid UTF-8, and the server's own answers (bad head,
// stalled body, plain HTTP on the TLS port) carry the error envelope too.
#include <gtest/gtest.h>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>

#include <strings.h>

#include <cstdlib>
#include <thread>

#include "integration/stream_test_helpers.h"
#include "support/raw_http.h"

namespace streamhost::testing {
namespace {

using namespace std::chrono_literals;

std::string request(const std::string& method, const std::string& path, const std::string& body,
                    const std::string& extra_headers = "") {
  return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
         extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string bearer(const std::string& key) { return "Authorization: Bearer " + key + "\r\n"; }

void expectEnvelope(const HttpResponse& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.describe() << r.error;
  EXPECT_EQ(r.errorCode(), code) << r.describe();
  EXPECT_FALSE(r.json["error"]["message"].str().empty()) << r.describe();
  EXPECT_FALSE(r.json["error"]["request_id"].str().empty()) << r.describe();
  EXPECT_EQ(r.json["error"]["request_id"].str(), r.header("X-Request-Id").value_or("(none)")) << r.describe();
  EXPECT_TRUE(isValidUtf8(r.body)) << r.body;
}

class HttpFramingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    DaemonOptions options;
    options.extra_args = {"--set", "limits.api_max_body_bytes=2048", "--set", "limits.ingest_max_body_bytes=4096",
                          "--set", "limits.api_requests_per_second=0", "--set", "limits.http_read_timeout_ms=1000"};
    daemon_ = new DaemonHarness(options);
    reader_key_ = new std::string(daemon_->createKey("reader", "streams:read"));
    ASSERT_TRUE(daemon_->start());
    pipeline_ = new std::string(createPipeline(daemon_->client(), "framing"));
  }
  static void TearDownTestSuite() {
    delete daemon_;
    delete reader_key_;
    delete pipeline_;
    daemon_ = nullptr;
  }
  void TearDown() override { daemon_->printLogIfFailed(); }

  static RawHttpConnection connect() { return RawHttpConnection("127.0.0.1", daemon_->port()); }

  /// Sends `first` and, on the same connection at once, a GET /healthz; the
  /// first answer must have `status`, and the second must be the health check's.
  static void expectNextRequestIntact(const std::string& first, int status, const std::string& code) {
    RawHttpConnection conn = connect();
    conn.send(first + "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    HttpResponse a = conn.readResponse();
    expectEnvelope(a, status, code);
    HttpResponse b = conn.readResponse();
    EXPECT_EQ(b.status, 200) << "after " << a.status << ": " << b.describe() << b.error;
    EXPECT_EQ(b.json["status"].str(), "ok") << b.describe();
  }

  static std::string webhookStream(const std::string& name, const std::string& auth) {
    HttpResponse r = daemon_->client().post(
        "/api/streams", "{\"name\":" + jsonQuote(name) + ",\"sourceType\":\"webhook\",\"pipelineId\":" +
                            jsonQuote(*pipeline_) + ",\"config\":{\"auth\":" + auth + "}}");
    EXPECT_EQ(r.status, 201) << r.describe();
    return r.json["data"]["id"].str();
  }

  static DaemonHarness* daemon_;
  static std::string* reader_key_;
  static std::string* pipeline_;
};

DaemonHarness* HttpFramingTest::daemon_ = nullptr;
std::string* HttpFramingTest::reader_key_ = nullptr;
std::string* HttpFramingTest::pipeline_ = nullptr;

TEST_F(HttpFramingTest, BodyOfA405IsNotReadAsTheNextRequest) {
  std::string id = createDatagenStream(daemon_->client(), "f405", *pipeline_);
  expectNextRequestIntact(request("PUT", "/api/streams/" + id, "{}", bearer(daemon_->adminKey())), 405,
                          "method_not_allowed");
}

TEST_F(HttpFramingTest, BodiesOfEarlyAnswersAreConsumed) {
  std::string admin = bearer(daemon_->adminKey());
  expectNextRequestIntact(request("POST", "/api/nowhere", "{\"a\":1}", admin), 404, "not_found");
  expectNextRequestIntact(request("POST", "/api/streams", "{\"name\":\"x\"}"), 401, "unauthorized");
  expectNextRequestIntact(request("POST", "/api/pipelines", "{\"name\":\"x\"}", bearer(*reader_key_)), 403,
                          "forbidden");
  expectNextRequestIntact(request("GET", "/api/streams/str_none", "{\"ignored\":true}", admin), 404, "not_found");
  // 415: the body is read, then refused for its type.
  std::string text = "POST /api/pipelines HTTP/1.1\r\nHost: x\r\n" + admin +
                     "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
  expectNextRequestIntact(text, 415, "unsupported_media_type");
  // A chunked body on a path that takes none.
  std::string chunked = "POST /api/nowhere HTTP/1.1\r\nHost: x\r\n" + admin +
                        "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n";
  expectNextRequestIntact(chunked, 404, "not_found");
}

TEST_F(HttpFramingTest, IngestRefusalsConsumeTheBody) {
  std::string stopped = webhookStream("f503", R"({"scheme":"none"})");
  expectNextRequestIntact(request("POST", "/ingest/" + stopped, "{\"a\":1}"), 503, "unavailable");
  expectNextRequestIntact(request("POST", "/ingest/str_none", "{\"a\":1}"), 404, "not_found");

  std::string guarded = webhookStream("f401", R"({"scheme":"bearer","tokens":["t0ken"]})");
  ASSERT_EQ(daemon_->client().post("/api/streams/" + guarded + "/start").status, 200);
  ASSERT_TRUE(waitForStatus(daemon_->client(), guarded, "running"));
  expectNextRequestIntact(request("POST", "/ingest/" + guarded, "{\"a\":1}"), 401, "unauthorized");
  HttpResponse bad = daemon_->clientWithKey("").request("POST", "/ingest/" + guarded, "{\"a\":",
                                                        {{"Authorization", "Bearer t0ken"}});
  expectEnvelope(bad, 400, "validation_error");
  EXPECT_EQ(bad.json["error"]["reason"].str(), "invalid_body") << bad.describe();
}

TEST_F(HttpFramingTest, BodyTooLargeToDrainClosesTheConnectionAfterTheAnswer) {
  RawHttpConnection conn = connect();
  // Only the head: the 413 must come without the 1 MB being sent.
  conn.send("POST /api/pipelines HTTP/1.1\r\nHost: x\r\n" + bearer(daemon_->adminKey()) +
            "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{");
  HttpResponse r = conn.readResponse();
  expectEnvelope(r, 413, "payload_too_large");
  EXPECT_EQ(strcasecmp(r.header("Connection").value_or("").c_str(), "close"), 0) << r.describe();
  conn.send(std::string(4096, ' '));  // the rest of the body keeps coming for a while
  EXPECT_TRUE(conn.closedByPeer());
}

TEST_F(HttpFramingTest, ARateLimited429ConsumesTheBody) {
  DaemonHarness limited(DaemonOptions{{"--set", "limits.api_requests_per_second=0.01", "--set", "limits.api_burst=3"}});
  ASSERT_TRUE(limited.start());
  RawHttpConnection conn("127.0.0.1", limited.port());
  std::string all;
  for (int i = 0; i < 5; ++i) {
    all += request("POST", "/api/pipelines", "{\"name\":\"p" + std::to_string(i) + "\"}", bearer(limited.adminKey()));
  }
  conn.send(all + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  int limited_answers = 0;
  for (int i = 0; i < 5; ++i) {
    HttpResponse r = conn.readResponse();
    if (r.status == 429) {
      ++limited_answers;
      expectEnvelope(r, 429, "rate_limited");
      EXPECT_TRUE(r.header("Retry-After").has_value());
      EXPECT_TRUE(r.header("X-RateLimit-Remaining").has_value());
    } else {
      EXPECT_EQ(r.status, 201) << r.describe() << r.error;
    }
  }
  EXPECT_GE(limited_answers, 2);
  HttpResponse health = conn.readResponse();
  EXPECT_EQ(health.status, 200) << health.describe() << health.error;
  limited.printLogIfFailed();
}

TEST_F(HttpFramingTest, UnmatchedPathsWithAKeyCarryRateLimitHeaders) {
  DaemonHarness limited(DaemonOptions{{"--set", "limits.api_requests_per_second=5", "--set", "limits.api_burst=10"}});
  ASSERT_TRUE(limited.start());
  HttpResponse r = limited.client().get("/api/nowhere");
  expectEnvelope(r, 404, "not_found");
  EXPECT_EQ(r.header("X-RateLimit-Limit").value_or(""), "10") << r.describe();
  EXPECT_TRUE(r.header("X-RateLimit-Reset").has_value()) << r.describe();
  limited.printLogIfFailed();
}

TEST_F(HttpFramingTest, InvalidUtf8InThePathStillGivesValidJson) {
  RawHttpConnection conn = connect();
  conn.send("GET /api/streams/%ff%fe HTTP/1.1\r\nHost: x\r\n" + bearer(daemon_->adminKey()) + "\r\n");
  HttpResponse r = conn.readResponse();
  expectEnvelope(r, 404, "not_found");
  EXPECT_TRUE(r.json_ok) << r.body;
  EXPECT_NE(r.body.find("\\uFFFD"), std::string::npos) << r.body;
  // The same for a name a client sends: refused with a message that quotes it.
  HttpResponse named = daemon_->client().post("/api/pipelines", "{\"name\":\"bad\xff\xfe\"}");
  EXPECT_EQ(named.status, 400) << named.describe();
  EXPECT_TRUE(isValidUtf8(named.body)) << named.body;
}

TEST_F(HttpFramingTest, AMalformedOrOversizedHeadGetsAJsonError) {
  {
    RawHttpConnection conn = connect();
    std::string many;
    for (int i = 0; i < 150; ++i) {
      many += "X-H" + std::to_string(i) + ": v\r\n";
    }
    conn.send("GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + "\r\n");
    HttpResponse r = conn.readResponse();
    expectEnvelope(r, 400, "validation_error");
    EXPECT_NE(r.json["error"]["message"].str().find("head"), std::string::npos) << r.describe();
  }
  {
    RawHttpConnection conn = connect();
    conn.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n");
    expectEnvelope(conn.readResponse(), 400, "validation_error");
  }
  {
    RawHttpConnection conn = connect();
    conn.send("GET /healthz?q=" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
    expectEnvelope(conn.readResponse(), 400, "validation_error");
  }
}

TEST_F(HttpFramingTest, ABodyThatStallsIsAnswered408AndClosed) {
  RawHttpConnection conn = connect();
  conn.send("POST /api/pipelines HTTP/1.1\r\nHost: x\r\n" + bearer(daemon_->adminKey()) +
            "Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"name\":");
  HttpResponse r = conn.readResponse();  // the server reads with a 1 s timeout
  expectEnvelope(r, 408, "request_timeout");
  EXPECT_TRUE(conn.closedByPeer());
  // Nothing was created from the half body.
  HttpResponse list = daemon_->client().get("/api/pipelines");
  EXPECT_EQ(list.json["data"].size(), 1u) << list.describe();
}

TEST_F(HttpFramingTest, AHeadThatStallsIsAnswered408) {
  RawHttpConnection conn = connect();
  conn.send("GET /healthz HTTP/1.1\r\nHost: x\r\n");
  expectEnvelope(conn.readResponse(), 408, "request_timeout");
}

class HttpTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = (dir_.path() / "cert.pem").string();
    key_ = (dir_.path() / "key.pem").string();
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -days 1 -keyout " + key_ +
                      " -out " + cert_ + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl (Debian package openssl) must be installed";
    DaemonOptions options{{"--set", "tls.cert_file=" + cert_, "--set", "tls.key_file=" + key_}};
    options.any_answer_is_ready = true;
    daemon_ = std::make_unique<DaemonHarness>(options);
  }
  void TearDown() override {
    if (daemon_) {
      daemon_->printLogIfFailed();
    }
  }

  TempDir dir_;
  std::string cert_;
  std::string key_;
  std::unique_ptr<DaemonHarness> daemon_;
};

TEST_F(HttpTlsTest, PlainHttpOnTheTlsPortIsAJsonErrorAndHttpsWorks) {
  ASSERT_TRUE(daemon_->start());
  RawHttpConnection plain("127.0.0.1", daemon_->port());
  plain.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  HttpResponse r = plain.readResponse();
  expectEnvelope(r, 400, "validation_error");
  EXPECT_NE(r.json["error"]["message"].str().find("HTTPS"), std::string::npos) << r.describe();

  Poco::Net::Context::Ptr ctx =
      new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "", Poco::Net::Context::VERIFY_NONE);
  Poco::Net::HTTPSClientSession session("127.0.0.1", daemon_->port(), ctx);
  session.setTimeout(Poco::Timespan(5, 0));
  Poco::Net::HTTPRequest req("GET", "/api/nowhere", Poco::Net::HTTPMessage::HTTP_1_1);
  req.set("Authorization", "Bearer " + daemon_->adminKey());
  session.sendRequest(req);
  Poco::Net::HTTPResponse resp;
  std::string body;
  Poco::StreamCopier::copyToString(session.receiveResponse(resp), body);
  EXPECT_EQ(resp.getStatus(), Poco::Net::HTTPResponse::HTTP_NOT_FOUND) << body;
  auto j = Json::parse(body);
  ASSERT_TRUE(j.has_value()) << body;
  EXPECT_EQ((*j)["error"]["code"].str(), "not_found");
}


TEST(HttpReadyzTest, NotReadyIsAnErrorEnvelopeThatKeepsTheChecks) {
  TempDir empty;
  DaemonHarness daemon(DaemonOptions{{"--plugin-dir", empty.str()}});
  ASSERT_TRUE(daemon.start());
  HttpResponse r = daemon.clientWithKey("").get("/readyz");
  expectEnvelope(r, 503, "unavailable");
  EXPECT_EQ(r.json["status"].str(), "not_ready") << r.describe();
  EXPECT_EQ(r.json["checks"]["plugins"].str(), "no plugin loaded") << r.describe();
  daemon.printLogIfFailed();
}

}  // namespace
}  // namespace streamhost::testing
