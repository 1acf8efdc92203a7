#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "integration/stream_test_helpers.h"
#include "support/daemon_harness.h"
#include "support/http_client.h"
#include "support/pg_server.h"

namespace streamhost::testing {

/// Options of the suite-wide server: room for one slot per test, and a work
/// memory small enough that a 20k-row transaction exceeds it.
inline PgServerOptions sharedPgOptions() {
  PgServerOptions o;
  o.max_wal_senders = 40;
  o.max_replication_slots = 40;
  o.settings = {{"logical_decoding_work_mem", "64kB"}};
  return o;
}

/// The JSON document held in an event's "key" string (null when absent or not JSON).
inline Json eventKey(const Json& event) {
  if (!event["key"].isString()) {
    return Json();
  }
  return Json::parse(event["key"].str()).value_or(Json());
}

/// "schema.table" of a CDC event.
inline std::string eventTable(const Json& event) {
  return event["value"]["source"]["schema"].str() + "." + event["value"]["source"]["table"].str();
}

/// The events of one table, in pipeline order.
inline std::vector<Json> ofTable(const std::vector<Json>& events, const std::string& table) {
  std::vector<Json> out;
  std::copy_if(events.begin(), events.end(), std::back_inserter(out),
               [&](const Json& e) { return eventTable(e) == table; });
  return out;
}

/// The integer `id` of a row image (after, or before for deletes).
inline int64_t rowId(const Json& event) {
  const Json& v = event["value"];
  return v["after"].isObject() ? v["after"]["id"].integer() : v["before"]["id"].integer();
}

/// Reads a pipeline incrementally, keeping every event seen so far.
class EventTail {
 public:
  EventTail(HttpClient client, std::string pipeline) : client_(std::move(client)), pipeline_(std::move(pipeline)) {}

  /// Pulls what is new, at most a few pages so a busy stream cannot keep the
  /// caller here past its deadline; returns all events so far.
  const std::vector<Json>& fetch() {
    for (int page = 0; page < 5; ++page) {
      HttpResponse r = eventsPage(client_, pipeline_, after_, 10000);
      if (r.status != 200) {
        ADD_FAILURE() << "events of " << pipeline_ << ": " << r.describe();
        return events_;
      }
      const Json& data = r.json["data"];
      if (data.size() == 0) {
        return events_;
      }
      events_.insert(events_.end(), data.items().begin(), data.items().end());
      after_ = static_cast<uint64_t>(r.json["meta"]["next_after"].integer());
    }
    return events_;
  }

  /// Polls until `pred(events)` holds; the failure names `what` and the event count.
  ::testing::AssertionResult waitFor(const std::function<bool(const std::vector<Json>&)>& pred,
                                     std::chrono::milliseconds timeout, const std::string& what) {
    if (pollUntil([&] { return pred(fetch()); }, timeout, std::chrono::milliseconds(50))) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "no " << what << " within " << timeout.count() << " ms; "
                                         << events_.size() << " events so far"
                                         << (events_.empty() ? std::string() : ", last: " + events_.back().dump());
  }

  /// Waits for a row event of `table` whose row id is `id`.
  ::testing::AssertionResult waitForRow(const std::string& table, int64_t id,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    return waitFor(
        [&](const std::vector<Json>& evs) {
          return std::any_of(evs.begin(), evs.end(),
                             [&](const Json& e) { return eventTable(e) == table && rowId(e) == id; });
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

/// Creates a `postgres` connection to `server` and returns its id.
inline std::string createPgConnection(const HttpClient& c, const std::string& name, const PgServer& server,
                                      const std::string& database, const std::string& user = "postgres",
                                      const std::string& sslmode = "disable") {
  HttpResponse r = c.post("/api/connections",
                          "{\"name\":" + jsonQuote(name) + ",\"type\":\"postgres\",\"config\":{\"host\":" +
                              jsonQuote(server.host()) + ",\"port\":" + std::to_string(server.port()) +
                              ",\"database\":" + jsonQuote(database) + ",\"user\":" + jsonQuote(user) +
                              ",\"sslmode\":" + jsonQuote(sslmode) + "},\"secrets\":{\"password\":\"unused\"}}");
  EXPECT_EQ(r.status, 201) << r.describe();
  return r.json["data"]["id"].str();
}

/// POSTs a postgres_cdc stream with `config_json` (an object literal).
inline HttpResponse postCdcStream(const HttpClient& c, const std::string& name, const std::string& pipeline,
                                  const std::string& connection, const std::string& config_json) {
  return c.post("/api/streams", "{\"name\":" + jsonQuote(name) + ",\"sourceType\":\"postgres_cdc\",\"pipelineId\":" +
                                    jsonQuote(pipeline) + ",\"connectionId\":" + jsonQuote(connection) +
                                    ",\"config\":" + config_json + "}");
}

/// The row of `slot` in pg_replication_slots as (active, active_pid); nullopt when the slot is absent.
inline std::optional<std::pair<bool, int>> slotState(PgConnection& db, const std::string& slot) {
  auto rows = db.query("SELECT active, coalesce(active_pid, 0) FROM pg_replication_slots WHERE slot_name = '" +
                       slot + "'");
  if (rows.empty()) {
    return std::nullopt;
  }
  return std::make_pair(rows[0][0].value_or("f") == "t", std::stoi(rows[0][1].value_or("0")));
}

/// Polls until `slot` exists and is held by a backend.
inline ::testing::AssertionResult waitSlotActive(PgConnection& db, const std::string& slot,
                                                 std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  if (pollUntil(
          [&] {
            auto s = slotState(db, slot);
            return s && s->first;
          },
          timeout, std::chrono::milliseconds(50))) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "replication slot " << slot << " not active within " << timeout.count()
                                       << " ms";
}

/// Polls until the stream is in status error with a last_error containing `needle`.
inline ::testing::AssertionResult waitForErrorMentioning(const HttpClient& c, const std::string& id,
                                                         const std::string& needle,
                                                         std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  Json last;
  bool ok = pollUntil(
      [&] {
        last = c.get("/api/streams/" + id).json["data"]["attributes"];
        return last["status"].str() == "error" && last["last_error"].str().find(needle) != std::string::npos;
      },
      timeout, std::chrono::milliseconds(50));
  if (ok) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "stream " << id << " not in error mentioning '" << needle << "' within "
                                       << timeout.count() << " ms; last: status=" << last["status"].str()
                                       << " last_error=" << last["last_error"].dump();
}

/// Inserts rows with increasing ids into `table` (id bigint, pad text) from
/// its own session, `rows_per_txn` per transaction, until stopped. With
/// `reconnect` it survives server restarts. Which rows committed is read back
/// from the table itself, so an ambiguous commit during a crash is no problem.
class RowWriter {
 public:
  RowWriter(std::string conninfo, std::string table, int rows_per_txn, bool reconnect)
      : conninfo_(std::move(conninfo)), table_(std::move(table)), rows_per_txn_(rows_per_txn), reconnect_(reconnect) {
    thread_ = std::thread([this] { run(); });
  }
  ~RowWriter() { stop(); }
  RowWriter(const RowWriter&) = delete;
  RowWriter& operator=(const RowWriter&) = delete;

  /// Rows whose INSERT returned success so far.
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
    PgConnection conn(conninfo_);
    int64_t next = 1;
    while (!stop_) {
      if (!conn.ok()) {
        if (!reconnect_) {
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        conn = PgConnection(conninfo_);
        continue;
      }
      std::string sql = "INSERT INTO " + table_ + " SELECT g, 'row-' || g FROM generate_series(" +
                        std::to_string(next) + "," + std::to_string(next + rows_per_txn_ - 1) + ") g";
      next += rows_per_txn_;
      if (conn.tryExec(sql)) {
        committed_ += rows_per_txn_;
      } else {
        ++failures_;
        conn = PgConnection();
      }
      // Pacing: a steady load rather than one saturating the two cores.
      std::this_thread::sleep_for(std::chrono::milliseconds(4));
    }
  }

  std::string conninfo_;
  std::string table_;
  int rows_per_txn_;
  bool reconnect_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> committed_{0};
  std::atomic<int64_t> failures_{0};
  std::thread thread_;
};

/// Every id in `table` (column id) is carried by some event of the table; the failure lists the first missing.
inline ::testing::AssertionResult allRowsDelivered(PgConnection& db, const std::string& table,
                                                   const std::vector<Json>& events, int64_t* duplicates = nullptr) {
  std::multiset<int64_t> seen;
  const std::string qualified = table.find('.') == std::string::npos ? "public." + table : table;
  for (const Json& e : events) {
    if (eventTable(e) == qualified) {
      seen.insert(rowId(e));
    }
  }
  auto rows = db.query("SELECT id FROM " + table + " ORDER BY id");
  int64_t missing = 0;
  std::string first;
  for (const auto& r : rows) {
    int64_t id = std::stoll(r[0].value_or("0"));
    if (seen.count(id) == 0) {
      if (missing++ == 0) {
        first = std::to_string(id);
      }
    }
  }
  if (duplicates != nullptr) {
    *duplicates = static_cast<int64_t>(seen.size()) - static_cast<int64_t>(rows.size());
  }
  if (rows.empty()) {
    return ::testing::AssertionFailure() << table << " is empty: nothing was written";
  }
  if (missing > 0) {
    return ::testing::AssertionFailure() << missing << " of " << rows.size() << " committed rows of " << table
                                         << " missing from the pipeline (first id " << first << "); "
                                         << seen.size() << " events of the table";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace streamhost::testing
