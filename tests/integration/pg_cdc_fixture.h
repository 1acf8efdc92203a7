#pragma once
// Fixtures of the postgres_cdc integration tests: one PostgreSQL per suite,
// a database, daemon, pipeline and `postgres` connection per test.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>

#include "integration/pg_test_helpers.h"

namespace streamhost::testing {

inline std::string lowerCase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return s;
}

/// A daemon per test, a database per test on the suite's server, one
/// pipeline and one `postgres` connection to that database.
class PgCdcFixture : public ::testing::Test {
 protected:
  PgCdcFixture() : daemon_(DaemonOptions{{"--set", "limits.api_requests_per_second=0"}}) {}
  explicit PgCdcFixture(DaemonOptions options) : daemon_(std::move(options)) {}

  virtual PgServer* server() = 0;
  virtual std::string sslMode() const { return "disable"; }
  PgServer& pg() { return *server(); }

  void SetUp() override {
    ASSERT_TRUE(server() != nullptr && pg().running()) << "PostgreSQL did not start";
    db_name_ = "db_" + lowerCase(::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(pg().exec("CREATE DATABASE " + db_name_));
    db_ = pg().connect(db_name_);
    ASSERT_TRUE(db_.ok()) << db_.error();
    ASSERT_TRUE(daemon_.start());
    pipeline_ = createPipeline(api(), "pg");
    conn_ = createPgConnection(api(), "pg", pg(), db_name_, "postgres", sslMode());
    ASSERT_FALSE(conn_.empty());
  }
  void TearDown() override {
    daemon_.printLogIfFailed();
    if (server() != nullptr) {
      pg().printLogIfFailed();
      // A test that failed during an outage must not take the suite's server with it.
      if (!pg().running()) {
        EXPECT_TRUE(pg().start());
      }
    }
  }

  /// Starts a suite's server; on failure reports it and leaves `server` empty (every test then fails in SetUp).
  static void startSuiteServer(std::unique_ptr<PgServer>& server, const PgServerOptions& options) {
    server = std::make_unique<PgServer>(options);
    if (auto r = server->start(); !r) {
      ADD_FAILURE() << r.message();
      server.reset();
    }
  }

  HttpClient api() const { return daemon_.client(); }

  /// Creates a stream on this test's connection; "" plus a failure when refused.
  std::string createCdc(const std::string& name, const std::string& config_json) {
    HttpResponse r = postCdcStream(api(), name, pipeline_, conn_, config_json);
    EXPECT_EQ(r.status, 201) << r.describe();
    return r.json["data"]["id"].str();
  }
  /// Starts stream `id` and waits until the server shows `slot` held by it.
  ::testing::AssertionResult startCdc(const std::string& id, const std::string& slot) {
    HttpResponse r = api().post("/api/streams/" + id + "/start");
    if (r.status != 200) {
      return ::testing::AssertionFailure() << "start: " << r.describe();
    }
    return waitSlotActive(db_, slot);
  }
  /// Creates and starts a stream; config gets slot_name and, unless given, snapshot_mode never.
  std::string runCdc(const std::string& slot, const std::string& more_config = "") {
    std::string config = "{\"slot_name\":" + jsonQuote(slot);
    if (more_config.find("snapshot_mode") == std::string::npos) {
      config += ",\"snapshot_mode\":\"never\"";
    }
    config += more_config.empty() ? "}" : "," + more_config + "}";
    std::string id = createCdc(slot, config);
    EXPECT_TRUE(startCdc(id, slot));
    return id;
  }
  Json attributes(const std::string& id) { return api().get("/api/streams/" + id).json["data"]["attributes"]; }
  EventTail tail() { return EventTail(api(), pipeline_); }

  DaemonHarness daemon_;
  std::string db_name_;
  PgConnection db_;
  std::string pipeline_;
  std::string conn_;
};

/// The suite server: logical_decoding_work_mem=64kB, room for a slot per test.
class PostgresCdcTest : public PgCdcFixture {
 protected:
  static void SetUpTestSuite() { startSuiteServer(server_, sharedPgOptions()); }
  static void TearDownTestSuite() { server_.reset(); }
  PgServer* server() override { return server_.get(); }

  static inline std::unique_ptr<PgServer> server_;
};

/// A server with wal_sender_timeout=2s, for pause and PostgreSQL restarts.
class PostgresCdcFaultTest : public PgCdcFixture {
 protected:
  static void SetUpTestSuite() {
    PgServerOptions o = sharedPgOptions();
    o.settings.push_back({"wal_sender_timeout", "2s"});
    startSuiteServer(server_, o);
  }
  static void TearDownTestSuite() { server_.reset(); }
  PgServer* server() override { return server_.get(); }

  static inline std::unique_ptr<PgServer> server_;
};

/// The fault server's settings, and a daemon whose group commit waits 10 ms,
/// so a snapshot of many small batches takes seconds and can be cut mid-way.
class PostgresCdcSlowSnapshotTest : public PgCdcFixture {
 protected:
  PostgresCdcSlowSnapshotTest()
      : PgCdcFixture(DaemonOptions{{"--set", "limits.api_requests_per_second=0", "--set",
                                    "journal.group_commit_delay_ms=10"}}) {}
  static void SetUpTestSuite() { startSuiteServer(server_, sharedPgOptions()); }
  static void TearDownTestSuite() { server_.reset(); }
  PgServer* server() override { return server_.get(); }

  /// Starts a snapshot of every table in small batches, without waiting for
  /// the slot to stream (it does only once the snapshot ends).
  std::string startSnapshotStream(const std::string& slot) {
    std::string id = createCdc(slot, "{\"slot_name\":" + jsonQuote(slot) +
                                         ",\"snapshot_mode\":\"initial\",\"max_batch_rows\":250}");
    HttpResponse r = api().post("/api/streams/" + id + "/start");
    EXPECT_EQ(r.status, 200) << r.describe();
    return id;
  }

  static inline std::unique_ptr<PgServer> server_;
};

/// A server that speaks TLS only to clients that ask (sslmode=require here).
class PostgresCdcTlsTest : public PgCdcFixture {
 protected:
  static void SetUpTestSuite() {
    PgServerOptions o = sharedPgOptions();
    o.ssl = true;
    startSuiteServer(server_, o);
  }
  static void TearDownTestSuite() { server_.reset(); }
  PgServer* server() override { return server_.get(); }
  std::string sslMode() const override { return "require"; }

  static inline std::unique_ptr<PgServer> server_;
};

}  // namespace streamhost::testing
