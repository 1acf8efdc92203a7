// postgres_cdc connections and TLS: require by default (never a silent
// plaintext fallback), disable only when chosen, verify-ca against a given
// CA, and a connection test that says which was used.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "integration/pg_test_helpers.h"
#include "support/daemon_harness.h"
#include "support/temp_dir.h"

namespace streamhost::testing {
namespace {

std::string readAll(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class PgTlsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(daemon_.start()); }
  void TearDown() override { daemon_.printLogIfFailed(); }

  /// Creates a connection with `extra` JSON members in its config and tests it.
  HttpResponse testConnection(const PgServer& pg, const std::string& name, const std::string& extra) {
    HttpResponse made = daemon_.client().post(
        "/api/connections", "{\"name\":" + jsonQuote(name) + ",\"type\":\"postgres\",\"config\":{\"host\":" +
                                jsonQuote(pg.host()) + ",\"port\":" + std::to_string(pg.port()) +
                                ",\"database\":\"postgres\",\"user\":\"postgres\"" + extra + "}}");
    EXPECT_EQ(made.status, 201) << made.describe();
    HttpResponse r = daemon_.client().post("/api/connections/" + made.json["data"]["id"].str() + "/test");
    EXPECT_EQ(r.status, 200) << r.describe();
    return r;
  }

  DaemonHarness daemon_;
};

TEST_F(PgTlsTest, PlaintextServerIsRefusedByDefaultAndReachedOnlyWithDisable) {
  PgServer pg;
  ASSERT_TRUE(pg.start());
  HttpResponse by_default = testConnection(pg, "default", "");
  EXPECT_FALSE(by_default.json["data"]["attributes"]["ok"].boolean()) << by_default.describe();
  EXPECT_NE(by_default.json["data"]["attributes"]["message"].str().find("SSL"), std::string::npos)
      << by_default.describe();

  HttpResponse disabled = testConnection(pg, "disabled", ",\"sslmode\":\"disable\"");
  EXPECT_TRUE(disabled.json["data"]["attributes"]["ok"].boolean()) << disabled.describe();
  EXPECT_NE(disabled.json["data"]["attributes"]["message"].str().find("TLS: off (sslmode=disable)"),
            std::string::npos)
      << disabled.describe();
}

TEST_F(PgTlsTest, TlsServerIsReachedWithRequireAndVerifiedAgainstAGivenCa) {
  PgServerOptions o;
  o.ssl = true;
  PgServer pg(o);
  ASSERT_TRUE(pg.start());
  HttpResponse by_default = testConnection(pg, "default", "");
  ASSERT_TRUE(by_default.json["data"]["attributes"]["ok"].boolean()) << by_default.describe();
  std::string message = by_default.json["data"]["attributes"]["message"].str();
  EXPECT_NE(message.find("TLS: TLSv1."), std::string::npos) << message;
  EXPECT_NE(message.find("(sslmode=require)"), std::string::npos) << message;

  std::string ca = readAll(pg.sslCertFile());
  ASSERT_NE(ca.find("BEGIN CERTIFICATE"), std::string::npos);
  HttpResponse verified = testConnection(pg, "verified", ",\"sslmode\":\"verify-ca\",\"ssl_root_cert_pem\":" + jsonQuote(ca));
  EXPECT_TRUE(verified.json["data"]["attributes"]["ok"].boolean()) << verified.describe();
  EXPECT_NE(verified.json["data"]["attributes"]["message"].str().find("(sslmode=verify-ca)"), std::string::npos)
      << verified.describe();

  // A CA that did not sign the server's certificate is refused.
  TempDir dir;
  std::string other = (dir.path() / "other.crt").string();
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=other -days 1 -keyout " +
                    (dir.path() / "other.key").string() + " -out " + other + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl (Debian package openssl) must be installed";
  HttpResponse wrong_ca =
      testConnection(pg, "wrong-ca", ",\"sslmode\":\"verify-ca\",\"ssl_root_cert_pem\":" + jsonQuote(readAll(other)));
  EXPECT_FALSE(wrong_ca.json["data"]["attributes"]["ok"].boolean()) << wrong_ca.describe();

  // Connections are checked against the key table when made; the plugin's
  // own checks speak when the connection is tested or used.
  HttpResponse no_ca = testConnection(pg, "no-ca", ",\"sslmode\":\"verify-full\"");
  EXPECT_FALSE(no_ca.json["data"]["attributes"]["ok"].boolean()) << no_ca.describe();
  EXPECT_NE(no_ca.json["data"]["attributes"]["message"].str().find("ssl_root_cert_pem"), std::string::npos)
      << no_ca.describe();
}

}  // namespace
}  // namespace streamhost::testing
