// Security properties over a real daemon: stream-config secrets sealed at
// rest (and the rows of older builds sealed on start), a redacted config
// written back keeping its secrets, webhook replay defences, ingest limits,
// and API keys managed through the API.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "common/crypto.h"
#include "store/sqlite_db.h"
#include "store/sqlite_reseal.h"
#include "store/sqlite_store.h"
#include "stream_test_helpers.h"
#include "support/daemon_harness.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

namespace streamhost::testing {
namespace {

const std::string kSecret = "wh-secret-marker-91c2";
const std::string kVisible = "X-Visible-Marker-7a";

std::string githubSig(const std::string& secret, const std::string& body) {
  return "sha256=" + crypto::hexEncode(crypto::hmacSha256(secret, body));
}

/// Every byte of the store's files (database, WAL, shared memory).
std::string storeBytes(const std::filesystem::path& data_dir) {
  std::string out;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir)) {
    if (entry.path().filename().string().rfind("streamhost.db", 0) == 0) {
      std::ifstream in(entry.path(), std::ios::binary);
      out.append(std::istreambuf_iterator<char>(in), {});
    }
  }
  return out;
}

class SecurityTest : public ::testing::Test {
 protected:
  explicit SecurityTest(DaemonOptions options = {}) : daemon_(std::move(options)) {}
  void SetUp() override {
    ASSERT_TRUE(daemon_.start());
    pipeline_ = createPipeline(api(), "sec");
  }
  void TearDown() override { daemon_.printLogIfFailed(); }

  HttpClient api() const { return daemon_.client(); }
  std::string createWebhook(const std::string& name, const std::string& config) {
    HttpResponse r = api().post("/api/streams", "{\"name\":" + jsonQuote(name) +
                                                    ",\"sourceType\":\"webhook\",\"pipelineId\":" +
                                                    jsonQuote(pipeline_) + ",\"config\":" + config + "}");
    EXPECT_EQ(r.status, 201) << r.describe();
    return r.json["data"]["id"].str();
  }
  void start(const std::string& id) {
    HttpResponse s = api().post("/api/streams/" + id + "/start");
    EXPECT_EQ(s.status, 200) << s.describe();
    EXPECT_TRUE(waitForStatus(api(), id, "running"));
  }
  HttpResponse ingest(const std::string& id, const std::string& body, const HeaderList& headers = {},
                      const std::string& content_type = "application/json") const {
    return daemon_.clientWithKey("").request("POST", "/ingest/" + id, body, headers, content_type);
  }
  HttpResponse signedIngest(const std::string& id, const std::string& body) const {
    return ingest(id, body, {{"X-Hub-Signature-256", githubSig(kSecret, body)}});
  }
  std::string githubConfig() const {
    return R"({"auth":{"scheme":"github","secrets":[")" + kSecret + R"("]},"headers":[")" + kVisible + R"("]})";
  }

  DaemonHarness daemon_;
  std::string pipeline_;
};

TEST_F(SecurityTest, StreamConfigSecretsNeverReachTheDiskInPlaintext) {
  std::string id = createWebhook("sealed", githubConfig());
  ASSERT_TRUE(daemon_.stop());
  std::string bytes = storeBytes(daemon_.dataDir());
  ASSERT_NE(bytes.find(kVisible), std::string::npos) << "the scan did not see the stream row";
  EXPECT_EQ(bytes.find(kSecret), std::string::npos) << "the webhook secret is stored in plaintext";

  ASSERT_TRUE(daemon_.start());
  start(id);
  EXPECT_EQ(signedIngest(id, R"({"n":1})").status, 202);
  EXPECT_EQ(ingest(id, R"({"n":1})", {{"X-Hub-Signature-256", githubSig("other", R"({"n":1})")}}).status, 401);
}

TEST_F(SecurityTest, PlaintextSecretsOfAnOlderStoreAreSealedOnStart) {
  std::string id = createWebhook("legacy", githubConfig());
  ASSERT_TRUE(daemon_.stop());
  {
    // A row as builds before sealing wrote it: the whole config readable.
    auto db = store::SqliteDb::open((daemon_.dataDir() / "streamhost.db").string());
    ASSERT_TRUE(db.isOk()) << db.status().toString();
    auto q = (*db)->prepare("UPDATE streams SET config_json = ?1, config_sealed = '{}' WHERE id = ?2");
    ASSERT_TRUE(q.isOk()) << q.status().toString();
    ASSERT_TRUE(q->bindText(1, githubConfig()).bindText(2, id).run().isOk());
  }
  ASSERT_NE(storeBytes(daemon_.dataDir()).find(kSecret), std::string::npos);
  ASSERT_TRUE(daemon_.start());
  ASSERT_TRUE(daemon_.stop());
  EXPECT_EQ(storeBytes(daemon_.dataDir()).find(kSecret), std::string::npos) << "start-up left the secret readable";
  ASSERT_TRUE(daemon_.start());
  start(id);
  EXPECT_EQ(signedIngest(id, R"({"n":2})").status, 202);
}

TEST_F(SecurityTest, RedactedOrAbsentSecretInAPatchKeepsTheStoredValue) {
  std::string id = createWebhook("patched", githubConfig());
  HttpResponse got = api().get("/api/streams/" + id);
  ASSERT_EQ(got.status, 200) << got.describe();
  ASSERT_EQ(got.json["data"]["attributes"]["config"]["auth"].str(), "***") << got.describe();

  // GET, edit, PATCH: the marker comes back and must not become the secret.
  std::string edited = R"({"auth":"***","max_body_bytes":4096,"headers":[")" + kVisible + R"("]})";
  HttpResponse p1 = api().patch("/api/streams/" + id, "{\"config\":" + edited + "}");
  ASSERT_EQ(p1.status, 200) << p1.describe();
  EXPECT_EQ(p1.json["data"]["attributes"]["config"]["max_body_bytes"].integer(), 4096);
  // Left out altogether: kept as well.
  HttpResponse p2 = api().patch("/api/streams/" + id, R"({"config":{"max_body_bytes":8192}})");
  ASSERT_EQ(p2.status, 200) << p2.describe();
  start(id);
  EXPECT_EQ(signedIngest(id, R"({"n":3})").status, 202);

  // An explicit new value replaces it.
  ASSERT_EQ(api().post("/api/streams/" + id + "/stop").status, 200);
  HttpResponse p3 = api().patch("/api/streams/" + id, R"({"config":{"auth":{"scheme":"github","secrets":["rotated"]}}})");
  ASSERT_EQ(p3.status, 200) << p3.describe();
  start(id);
  EXPECT_EQ(signedIngest(id, R"({"n":4})").status, 401);
  std::string body = R"({"n":5})";
  EXPECT_EQ(ingest(id, body, {{"X-Hub-Signature-256", githubSig("rotated", body)}}).status, 202);
}

TEST_F(SecurityTest, TimestampHeaderOutsideTheSignatureIsRefusedWithItsField) {
  HttpResponse r = api().post("/api/streams", "{\"name\":\"replay\",\"sourceType\":\"webhook\",\"pipelineId\":" +
                                                  jsonQuote(pipeline_) +
                                                  R"(,"config":{"auth":{"scheme":"hmac","secrets":["k"],"header":"X-Sig",)"
                                                  R"("timestamp_header":"X-Ts"}}})");
  EXPECT_EQ(r.status, 400) << r.describe();
  EXPECT_EQ(r.json["error"]["field"].str(), "config.auth.timestamp_header") << r.describe();
}

TEST_F(SecurityTest, GithubRedeliveryIsStoredOnce) {
  std::string id = createWebhook("redeliver", githubConfig());
  start(id);
  std::string body = R"({"action":"opened"})";
  HeaderList h = {{"X-Hub-Signature-256", githubSig(kSecret, body)},
                  {"X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"}};
  ASSERT_EQ(ingest(id, body, h).status, 202);
  // The first copy becomes durable before its id counts as seen.
  HttpResponse again;
  ASSERT_TRUE(pollUntil([&] { again = ingest(id, body, h); return again.status != 409; },
                        std::chrono::milliseconds(10000)));
  EXPECT_EQ(again.status, 200) << again.describe();
  EXPECT_EQ(again.json["duplicates"].integer(), 1) << again.describe();
  EXPECT_EQ(allEvents(api(), pipeline_).size(), 1u);
}

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(SecurityTest, DataKeyRotationKeepsConnectionAndStreamSecretsWorking) {
  std::string id = createWebhook("rotated", githubConfig());
  start(id);
  ASSERT_EQ(signedIngest(id, R"({"n":1})").status, 202);
  HttpResponse c = api().post("/api/connections",
                              R"({"name":"db","type":"postgres","config":{"host":"db.internal","database":"shop",)"
                              R"("user":"cdc"},"secrets":{"password":"pg-pw-3c1"}})");
  ASSERT_EQ(c.status, 201) << c.describe();
  const std::string conn = c.json["data"]["id"].str();
  const auto key_file = daemon_.dataDir() / "secret.key";
  const std::string old_key = readFile(key_file);

  std::string out;
  EXPECT_EQ(daemon_.runCommand({"keys", "rotate-data-key"}, out), 1) << out;
  EXPECT_NE(out.find("running streamhostd"), std::string::npos) << out;
  EXPECT_EQ(readFile(key_file), old_key) << "rotation went ahead under a running daemon";

  ASSERT_TRUE(daemon_.stop());
  ASSERT_EQ(daemon_.runCommand({"keys", "rotate-data-key"}, out), 0) << out;
  EXPECT_NE(out.find("re-sealed the secrets of 1 connections and 1 stream-config values"), std::string::npos)
      << out;
  const std::string new_key = readFile(key_file);
  ASSERT_EQ(new_key.size(), 32u);
  EXPECT_NE(new_key, old_key);
  EXPECT_EQ(readFile(daemon_.dataDir() / ("secret.key.retired-" + crypto::keyFingerprint(old_key))), old_key);
  EXPECT_FALSE(std::filesystem::exists(daemon_.dataDir() / "secret.key.next"));
  {
    const std::string db = (daemon_.dataDir() / "streamhost.db").string();
    auto with_old = store::openSqliteStore(db, old_key);
    ASSERT_TRUE(with_old.isOk()) << with_old.status().toString();
    EXPECT_FALSE((*with_old)->getStream(id).isOk()) << "the old key still opens the stream's secret";
    EXPECT_FALSE((*with_old)->getConnection(conn).isOk()) << "the old key still opens the connection's secrets";
  }
  EXPECT_EQ(storeBytes(daemon_.dataDir()).find(kSecret), std::string::npos);

  ASSERT_TRUE(daemon_.start());
  EXPECT_TRUE(waitForStatus(api(), id, "running"));
  EXPECT_EQ(signedIngest(id, R"({"n":2})").status, 202);
  EXPECT_EQ(ingest(id, R"({"n":3})", {{"X-Hub-Signature-256", githubSig("other", R"({"n":3})")}}).status, 401);
  HttpResponse got = api().get("/api/connections/" + conn);
  EXPECT_EQ(got.status, 200) << got.describe();
  EXPECT_NE(got.body.find("password"), std::string::npos) << got.describe();
  EXPECT_EQ(got.body.find("pg-pw-3c1"), std::string::npos) << "a secret reached a response";
}

// A rotation cut short after its store transaction (new key in secret.key.next,
// values sealed under it, secret.key still the old one) is finished by the next start.
TEST_F(SecurityTest, AnInterruptedDataKeyRotationIsFinishedByTheNextStart) {
  std::string id = createWebhook("interrupted", githubConfig());
  start(id);
  ASSERT_TRUE(daemon_.stop());
  const auto key_file = daemon_.dataDir() / "secret.key";
  const std::string old_key = readFile(key_file);
  const std::string next = crypto::randomBytes(crypto::kAesKeySize);
  ASSERT_TRUE(crypto::writeKeyFile((daemon_.dataDir() / "secret.key.next").string(), next).isOk());
  auto resealed = store::resealSqliteStore((daemon_.dataDir() / "streamhost.db").string(), old_key, next);
  ASSERT_TRUE(resealed.isOk()) << resealed.status().toString();
  ASSERT_EQ(resealed->stream_values, 1u);

  ASSERT_TRUE(daemon_.start());
  EXPECT_NE(daemon_.log().find("finished an interrupted data key rotation"), std::string::npos);
  EXPECT_EQ(readFile(key_file), next);
  EXPECT_FALSE(std::filesystem::exists(daemon_.dataDir() / "secret.key.next"));
  EXPECT_TRUE(waitForStatus(api(), id, "running"));
  EXPECT_EQ(signedIngest(id, R"({"n":1})").status, 202);
}

TEST_F(SecurityTest, ApiKeysAreManagedThroughTheApi) {
  HttpResponse made = api().post("/api/keys", R"({"name":"reader","scopes":["streams:read"]})");
  ASSERT_EQ(made.status, 201) << made.describe();
  std::string key = made.json["data"]["attributes"]["key"].str();
  std::string key_id = made.json["data"]["id"].str();
  ASSERT_EQ(key.rfind("sk_", 0), 0u) << made.describe();

  HttpClient reader = daemon_.clientWithKey(key);
  HttpResponse me = reader.get("/api/keys/current");
  ASSERT_EQ(me.status, 200) << me.describe();
  EXPECT_EQ(me.json["data"]["attributes"]["name"].str(), "reader");
  EXPECT_EQ(me.json["data"]["attributes"]["scopes"][size_t{0}].str(), "streams:read");
  EXPECT_EQ(reader.get("/api/streams").status, 200);
  EXPECT_EQ(reader.get("/api/keys").status, 403);
  EXPECT_EQ(reader.post("/api/keys", R"({"name":"escalate","scopes":["admin"]})").status, 403);

  HttpResponse listed = api().get("/api/keys");
  ASSERT_EQ(listed.status, 200) << listed.describe();
  EXPECT_EQ(listed.body.find(key), std::string::npos) << "a listing shows a key";
  EXPECT_EQ(listed.body.find(crypto::sha256Hex(key)), std::string::npos) << "a listing shows a key hash";
  bool found = false;
  for (const auto& k : listed.json["data"].items()) {
    if (k["id"].str() == key_id) {
      found = true;
      EXPECT_FALSE(k["attributes"]["last_used_at"].str().empty()) << listed.describe();
    }
  }
  EXPECT_TRUE(found) << listed.describe();

  // Revoked at once, although the key was just verified (and cached).
  HttpResponse revoked = api().del("/api/keys/" + key_id);
  ASSERT_EQ(revoked.status, 200) << revoked.describe();
  EXPECT_EQ(reader.get("/api/streams").status, 401);
  EXPECT_EQ(api().del("/api/keys/" + key_id).status, 404);

  HttpResponse bad_scope = api().post("/api/keys", R"({"name":"x","scopes":["streams:everything"]})");
  EXPECT_EQ(bad_scope.status, 400);
  EXPECT_EQ(bad_scope.json["error"]["field"].str(), "scopes") << bad_scope.describe();
  HttpResponse past = api().post("/api/keys", R"({"name":"x","scopes":["admin"],"expires_at":"2001-01-01T00:00:00Z"})");
  EXPECT_EQ(past.status, 400);
  EXPECT_EQ(past.json["error"]["field"].str(), "expires_at") << past.describe();
  HttpResponse garbled = api().post("/api/keys", R"({"name":"x","scopes":["admin"],"expires_at":"soon"})");
  EXPECT_EQ(garbled.status, 400);
  EXPECT_EQ(garbled.json["error"]["field"].str(), "expires_at") << garbled.describe();
  HttpResponse later = api().post("/api/keys", R"({"name":"later","scopes":["admin"],"expires_at":"2999-01-01T00:00:00Z"})");
  ASSERT_EQ(later.status, 201) << later.describe();
  EXPECT_EQ(later.json["data"]["attributes"]["expires_at"].str(), "2999-01-01T00:00:00.000Z");
}

TEST_F(SecurityTest, MetricsNeedAKeyWithMetricsRead) {
  EXPECT_EQ(daemon_.clientWithKey("").get("/metrics").status, 401);
  EXPECT_EQ(daemon_.clientWithKey(daemon_.createKey("reader", "streams:read")).get("/metrics").status, 403);
  HttpResponse ok = daemon_.clientWithKey(daemon_.createKey("scraper", "metrics:read")).get("/metrics");
  EXPECT_EQ(ok.status, 200) << ok.describe();
  EXPECT_NE(ok.body.find("streamhost_"), std::string::npos);
}

class SecurityOpenMetricsTest : public SecurityTest {
 protected:
  SecurityOpenMetricsTest() : SecurityTest(DaemonOptions{{"--set", "metrics.require_key=false"}}) {}
};

TEST_F(SecurityOpenMetricsTest, MetricsCanBeMadePublicByConfig) {
  EXPECT_EQ(daemon_.clientWithKey("").get("/metrics").status, 200);
}

class SecurityLimitsTest : public SecurityTest {
 protected:
  // One request per 100 s after a burst of two: the third is refused
  // however slowly this machine runs.
  SecurityLimitsTest()
      : SecurityTest(DaemonOptions{{"--set", "limits.ingest_requests_per_second=0.01", "--set", "limits.ingest_burst=2",
                                    "--set", "limits.auth_failures_per_minute=5"}}) {}
};

TEST_F(SecurityLimitsTest, IngestIsRateLimitedPerStream) {
  std::string a = createWebhook("a", R"({"auth":{"scheme":"none"}})");
  std::string b = createWebhook("b", R"({"auth":{"scheme":"none"}})");
  start(a);
  start(b);
  EXPECT_EQ(ingest(a, R"({"n":1})").status, 202);
  EXPECT_EQ(ingest(a, R"({"n":2})").status, 202);
  HttpResponse third = ingest(a, R"({"n":3})");
  EXPECT_EQ(third.status, 429) << third.describe();
  EXPECT_EQ(third.errorCode(), "rate_limited");
  ASSERT_TRUE(third.header("Retry-After")) << third.describe();
  EXPECT_GE(std::stoi(*third.header("Retry-After")), 1);
  EXPECT_EQ(ingest(b, R"({"n":1})").status, 202) << "each stream has its own bucket";
  EXPECT_EQ(allEvents(api(), pipeline_).size(), 3u);
}

TEST_F(SecurityLimitsTest, AnAddressGuessingKeysIsRefusedBeforeLookup) {
  HttpClient guesser = daemon_.clientWithKey("sk_wrong");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(guesser.get("/api/streams").status, 401) << i;
  }
  HttpResponse blocked = guesser.get("/api/streams");
  EXPECT_EQ(blocked.status, 429) << blocked.describe();
  ASSERT_TRUE(blocked.header("Retry-After"));
  EXPECT_GE(std::stoi(*blocked.header("Retry-After")), 1);
  // The address is refused whatever key it presents until the minute is over;
  // requests without a key (health checks) are not affected.
  EXPECT_EQ(api().get("/api/streams").status, 429);
  EXPECT_EQ(daemon_.clientWithKey("").get("/healthz").status, 200);
}

class HttpsSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string cert = (dir_.path() / "cert.pem").string();
    std::string key = (dir_.path() / "key.pem").string();
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -days 1 -keyout " + key +
                      " -out " + cert + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl (Debian package openssl) must be installed";
    DaemonOptions options{{"--set", "tls.cert_file=" + cert, "--set", "tls.key_file=" + key}};
    options.any_answer_is_ready = true;
    daemon_ = std::make_unique<DaemonHarness>(options);
    ASSERT_TRUE(daemon_->start());
  }
  void TearDown() override {
    if (daemon_) {
      daemon_->printLogIfFailed();
    }
  }
  /// Whether `openssl s_client` with `args` completes a handshake with the daemon.
  bool handshake(const std::string& args) const {
    std::string cmd = "timeout 20 openssl s_client -connect 127.0.0.1:" + std::to_string(daemon_->port()) + " " +
                      args + " </dev/null >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
  }

  TempDir dir_;
  std::unique_ptr<DaemonHarness> daemon_;
};

TEST_F(HttpsSettingsTest, OnlyTls12AndLaterWithForwardSecretAeadSuites) {
  EXPECT_TRUE(handshake("-tls1_3"));
  EXPECT_TRUE(handshake("-tls1_2"));
  EXPECT_TRUE(handshake("-tls1_2 -cipher ECDHE-RSA-CHACHA20-POLY1305"));
  // The client is told to allow old protocols and weak suites, so only the
  // server can refuse them.
  EXPECT_FALSE(handshake("-tls1_1 -cipher DEFAULT@SECLEVEL=0"));
  EXPECT_FALSE(handshake("-tls1 -cipher DEFAULT@SECLEVEL=0"));
  EXPECT_FALSE(handshake("-tls1_2 -cipher AES128-SHA@SECLEVEL=0")) << "a suite without forward secrecy";
  EXPECT_FALSE(handshake("-tls1_2 -cipher ECDHE-RSA-AES128-SHA@SECLEVEL=0")) << "a CBC suite";
}

}  // namespace
}  // namespace streamhost::testing
