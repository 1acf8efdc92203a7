#pragma once
// Fixtures of the mysql_cdc integration tests: one MariaDB per suite, a
// database, daemon, pipeline and `mysql` connection per test.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration/stream_test_helpers.h"
#include "support/daemon_harness.h"
#include "support/http_client.h"
#include "support/mariadb_server.h"

namespace streamhost::testing {

/// "db.table" of a mysql_cdc event.
inline std::string myEventTable(const Json& event) {
  return event["value"]["source"]["db"].str() + "." + event["value"]["source"]["table"].str();
}

/// The integer `id` of a row image (after, or before for deletes).
inline int64_t myRowId(const Json& event) {
  const Json& v = event["value"];
  return v["after"].isObject() ? v["after"]["id"].integer() : v["before"]["id"].integer();
}

inline std::vector<Json> myOfTable(const std::vector<Json>& events, const std::string& table) {
  std::vector<Json> out;
  std::copy_if(events.begin(), events.end(), std::back_inserter(out),
               [&](const Json& e) { return myEventTable(e) == table; });
  return out;
}

/// Reads a pipeline incrementally, keeping every event seen so far.
class MyTail {
 public:
  MyTail(HttpClient client, std::string pipeline) : client_(std::move(client)), pipeline_(std::move(pipeline)) {}

  const std::vector<Json>& fetch() {
    for (int page = 0; page < 5; ++page) {
      HttpResponse r = eventsPage(client_, pipeline_, after_, 10000);
      if (r.status != 200) {
        ADD_FAILURE() << "events of " << pipeline_ << ": " << r.describe();
        return events_;
      }
      const Json& data = r.json["data"];
      if (!data.isArray()) {
        ADD_FAILURE() << "events of " << pipeline_ << " are not a JSON page: " << r.body.substr(0, 2000);
        return events_;
      }
      if (data.size() == 0) {
        return events_;
      }
      events_.insert(events_.end(), data.items().begin(), data.items().end());
      after_ = static_cast<uint64_t>(r.json["meta"]["next_after"].integer());
    }
    return events_;
  }
  ::testing::AssertionResult waitFor(const std::function<bool(const std::vector<Json>&)>& pred,
                                     std::chrono::milliseconds timeout, const std::string& what) {
    if (pollUntil([&] { return pred(fetch()); }, timeout, std::chrono::milliseconds(50))) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "no " << what << " within " << timeout.count() << " ms; "
                                         << events_.size() << " events so far"
                                         << (events_.empty() ? std::string() : ", last: " + events_.back().dump());
  }
  ::testing::AssertionResult waitForRow(const std::string& table, int64_t id,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return waitFor(
        [&](const std::vector<Json>& evs) {
          return std::any_of(evs.begin(), evs.end(),
                             [&](const Json& e) { return myEventTable(e) == table && myRowId(e) == id; });
        },
        timeout, "event for " + table + " id " + std::to_string(id));
  }
  const std::vector<Json>& events() const { return events_; }

 private:
  HttpClient client_;
  std::string pipeline_;
  uint64_t after_ = 0;
  std::vector<Json> events_;
};

/// Inserts rows with increasing ids into `table` (id BIGINT, pad TEXT) from its
/// own session, `rows_per_txn` per transaction, until stopped; reconnects when
/// asked. Which rows committed is read back from the table itself.
class MyRowWriter {
 public:
  MyRowWriter(const MariaDbServer& server, std::string db, std::string table, int rows_per_txn, bool reconnect)
      : host_(server.host()), port_(server.port()), db_(std::move(db)), table_(std::move(table)),
        rows_per_txn_(rows_per_txn), reconnect_(reconnect) {
    thread_ = std::thread([this] { run(); });
  }
  ~MyRowWriter() { stop(); }
  int64_t committed() const { return committed_.load(); }
  int64_t failures() const { return failures_.load(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }

 private:
  void run() {
    MyConnection conn(host_, port_, "root", "", db_);
    int64_t next = 1;
    while (!stop_) {
      if (!conn.ok()) {
        if (!reconnect_) {
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        conn = MyConnection(host_, port_, "root", "", db_);
        continue;
      }
      std::string sql = "INSERT INTO " + table_ + " VALUES ";
      for (int i = 0; i < rows_per_txn_; ++i) {
        sql += (i ? ",(" : "(") + std::to_string(next + i) + ",'row-" + std::to_string(next + i) + "')";
      }
      next += rows_per_txn_;
      if (conn.tryExec(sql)) {
        committed_ += rows_per_txn_;
      } else {
        ++failures_;
        conn = MyConnection();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(4));
    }
  }

  std::string host_;
  uint16_t port_;
  std::string db_;
  std::string table_;
  int rows_per_txn_;
  bool reconnect_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> committed_{0};
  std::atomic<int64_t> failures_{0};
  std::thread thread_;
};

/// A daemon per test, a database per test on the suite's MariaDB, one
/// pipeline and one `mysql` connection as root.
class MysqlCdcTest : public ::testing::Test {
 protected:
  MysqlCdcTest() : MysqlCdcTest({}) {}
  /// `more_args`: further daemon arguments, e.g. {"--set", "health.check_interval_ms=200"}.
  explicit MysqlCdcTest(std::vector<std::string> more_args) : daemon_(options(std::move(more_args))) {}
  static DaemonOptions options(std::vector<std::string> more_args) {
    DaemonOptions o{{"--set", "limits.api_requests_per_second=0"}};
    o.extra_args.insert(o.extra_args.end(), more_args.begin(), more_args.end());
    return o;
  }

  // A failure here is reported by each test's SetUp: gtest would mark the
  // suite's tests skipped, not failed, after a failure in SetUpTestSuite.
  static void SetUpTestSuite() {
    server_ = std::make_unique<MariaDbServer>();
    if (auto r = server_->start(); !r) {
      start_error_ = r.message();
      server_.reset();
    }
  }
  static void TearDownTestSuite() { server_.reset(); }
  MariaDbServer& my() { return *server_; }

  void SetUp() override {
    ASSERT_TRUE(server_ && server_->running()) << "MariaDB did not start: " << start_error_;
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    db_name_ = "db_" + name.substr(0, 50);
    ASSERT_TRUE(my().exec("CREATE DATABASE " + db_name_));
    db_ = my().connect(db_name_);
    ASSERT_TRUE(db_.ok()) << db_.error();
    ASSERT_TRUE(daemon_.start());
    pipeline_ = createPipeline(api(), "my");
    conn_ = createConnection("my", "root");
    ASSERT_FALSE(conn_.empty());
  }
  void TearDown() override {
    daemon_.printLogIfFailed();
    if (server_) {
      server_->printLogIfFailed();
      if (!server_->running()) {
        EXPECT_TRUE(server_->start());
      }
    }
  }

  HttpClient api() const { return daemon_.client(); }

  std::string createConnection(const std::string& name, const std::string& user, const std::string& password = "") {
    HttpResponse r = api().post(
        "/api/connections",
        "{\"name\":" + jsonQuote(name) + ",\"type\":\"mysql\",\"config\":{\"host\":" + jsonQuote(my().host()) +
            ",\"port\":" + std::to_string(my().port()) + ",\"user\":" + jsonQuote(user) +
            ",\"ssl_mode\":\"disabled\"},\"secrets\":{\"password\":" + jsonQuote(password) + "}}");
    EXPECT_EQ(r.status, 201) << r.describe();
    return r.json["data"]["id"].str();
  }
  HttpResponse postStream(const std::string& name, const std::string& config_json, const std::string& conn = "") {
    return api().post("/api/streams", "{\"name\":" + jsonQuote(name) +
                                          ",\"sourceType\":\"mysql_cdc\",\"pipelineId\":" + jsonQuote(pipeline_) +
                                          ",\"connectionId\":" + jsonQuote(conn.empty() ? conn_ : conn) +
                                          ",\"config\":" + config_json + "}");
  }
  /// Creates and starts a stream reading this test's database; waits until it runs.
  std::string runCdc(const std::string& name, const std::string& more_config = "") {
    std::string config = "{\"include_tables\":[\"" + db_name_ + ".*\"]";
    if (more_config.find("snapshot_mode") == std::string::npos) {
      config += ",\"snapshot_mode\":\"never\"";
    }
    config += more_config.empty() ? "}" : "," + more_config + "}";
    HttpResponse r = postStream(name, config);
    EXPECT_EQ(r.status, 201) << r.describe();
    std::string id = r.json["data"]["id"].str();
    EXPECT_EQ(api().post("/api/streams/" + id + "/start").status, 200);
    EXPECT_TRUE(waitForStatus(api(), id, "running", std::chrono::seconds(30)));
    return id;
  }
  Json attributes(const std::string& id) { return api().get("/api/streams/" + id).json["data"]["attributes"]; }
  MyTail tail() { return MyTail(api(), pipeline_); }
  std::string table(const std::string& t) const { return db_name_ + "." + t; }

  /// Stops stream `id` once its dump has ended, and purges binlogs until the
  /// file of its committed position is gone, which goes to `purged`.
  /// `while_stopped` runs after the stop, before the purge.
  ::testing::AssertionResult stopAndPurgeItsBinlog(const std::string& id, std::string* purged,
                                                   const std::function<void()>& while_stopped = {}) {
    if (HttpResponse r = api().post("/api/streams/" + id + "/stop"); r.status != 200) {
      return ::testing::AssertionFailure() << r.describe();
    }
    if (while_stopped) {
      while_stopped();
    }
    // The server keeps files a binlog reader still reads: wait for the stopped stream's dump to end.
    if (!pollUntil(
        [&] {
          return my().scalar("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'") ==
                 "0";
        },
        5s)) {
      return ::testing::AssertionFailure() << "stop must end the server's binlog dump";
    }
    // PURGE keeps a file until the binlog checkpoint moved past it: flush and purge until it is gone.
    const std::string offset = attributes(id)["committed_offset"].str();
    const std::string file = offset.substr(0, offset.find(':'));
    if (!pollUntil(
        [&] {
          my().exec("FLUSH BINARY LOGS");
          auto end = my().query("SHOW MASTER STATUS");
          my().exec("PURGE BINARY LOGS TO '" + (end.empty() ? std::string() : end[0][0].value_or("")) + "'");
          auto logs = my().query("SHOW BINARY LOGS");
          return !logs.empty() && logs[0][0].value_or("") > file;
        },
        20s, 200ms)) {
      return ::testing::AssertionFailure() << file << " was not purged";
    }
    *purged = file;
    return ::testing::AssertionSuccess();
  }

  ::testing::AssertionResult waitForErrorMentioning(const std::string& id, const std::string& needle,
                                                    std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    Json last;
    if (pollUntil(
            [&] {
              last = attributes(id);
              return last["status"].str() == "error" && last["last_error"].str().find(needle) != std::string::npos;
            },
            timeout, std::chrono::milliseconds(50))) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "stream " << id << " not in error mentioning '" << needle
                                         << "'; last: status=" << last["status"].str()
                                         << " last_error=" << last["last_error"].dump();
  }

  /// Every id in `t` is carried by some event of it; the failure names the first missing.
  ::testing::AssertionResult allRowsDelivered(const std::string& t, const std::vector<Json>& events,
                                              int64_t* duplicates = nullptr) {
    std::multiset<int64_t> seen;
    for (const Json& e : events) {
      if (myEventTable(e) == table(t)) {
        seen.insert(myRowId(e));
      }
    }
    auto rows = db_.query("SELECT id FROM " + t + " ORDER BY id");
    int64_t missing = 0;
    std::string first;
    for (const auto& r : rows) {
      if (seen.count(std::stoll(r[0].value_or("0"))) == 0 && missing++ == 0) {
        first = r[0].value_or("");
      }
    }
    if (duplicates != nullptr) {
      *duplicates = static_cast<int64_t>(seen.size()) - static_cast<int64_t>(rows.size());
    }
    if (rows.empty()) {
      return ::testing::AssertionFailure() << t << " is empty";
    }
    if (missing > 0) {
      return ::testing::AssertionFailure() << missing << " of " << rows.size() << " rows of " << t
                                           << " missing (first id " << first << ")";
    }
    return ::testing::AssertionSuccess();
  }

  static inline std::unique_ptr<MariaDbServer> server_;
  static inline std::string start_error_;
  DaemonHarness daemon_;
  std::string db_name_;
  MyConnection db_;
  std::string pipeline_;
  std::string conn_;
};

}  // namespace streamhost::testing
