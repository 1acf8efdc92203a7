// Security properties over a real daemon: stream-config secrets sealed at
// rest (and the rows of older builds sealed on start), a redacted config
// written back keeping its secrets, webhook replay defences, ingest limits,
// and API keys managed through the API.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "common/crypto.h"
#include "store/sqlite_db.h"
#include "stream_test_helpers.h"
#include "support/daemon_harness.h"
#include "support/http_client.h"

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

}  // namespace
}  // namespace streamhost::testing
