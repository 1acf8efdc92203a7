// postgres_cdc lifecycle end to end: connection tests, config errors,
// stop/start, delete and slot release, fatal setups, lag, and faults (SIGKILL
// of the daemon, PostgreSQL restart, pause past wal_sender_timeout).
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "integration/pg_cdc_fixture.h"

namespace streamhost::testing {
namespace {

using namespace std::chrono_literals;

// ---------------------------------------------------------------------------
// Connections and configuration.

TEST_F(PostgresCdcTest, ConnectionTestPassesForASuperuserOnLogicalWal) {
  HttpResponse r = api().post("/api/connections/" + conn_ + "/test");
  ASSERT_EQ(r.status, 200) << r.describe();
  const Json& a = r.json["data"]["attributes"];
  EXPECT_TRUE(a["ok"].isBool() && a["ok"].boolean()) << r.describe();
  EXPECT_FALSE(a["message"].str().empty()) << r.describe();
  EXPECT_TRUE(a["latency_ms"].isNumber()) << r.describe();
}

TEST_F(PostgresCdcTest, RoleWithoutReplicationFailsTestAndStream) {
  ASSERT_TRUE(db_.exec("CREATE ROLE norepl LOGIN NOREPLICATION NOSUPERUSER; GRANT ALL ON SCHEMA public TO norepl"));
  std::string weak = createPgConnection(api(), "weak", pg(), db_name_, "norepl");
  HttpResponse r = api().post("/api/connections/" + weak + "/test");
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_TRUE(r.json["data"]["attributes"]["ok"].isBool()) << r.describe();
  EXPECT_FALSE(r.json["data"]["attributes"]["ok"].boolean()) << r.describe();
  EXPECT_NE(r.json["data"]["attributes"]["message"].str().find("REPLICATION"), std::string::npos) << r.describe();

  HttpResponse s = postCdcStream(api(), "weak", pipeline_, weak, R"({"slot_name":"weak_slot"})");
  ASSERT_EQ(s.status, 201) << s.describe();
  std::string id = s.json["data"]["id"].str();
  ASSERT_EQ(api().post("/api/streams/" + id + "/start").status, 200);
  EXPECT_TRUE(waitForErrorMentioning(api(), id, "REPLICATION"));
}

TEST_F(PostgresCdcTest, WalLevelReplicaFailsTestAndStream) {
  PgServer replica(PgServerOptions{.wal_level = "replica"});
  ASSERT_TRUE(replica.start());
  std::string c = createPgConnection(api(), "replica", replica, "postgres");
  HttpResponse r = api().post("/api/connections/" + c + "/test");
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_TRUE(r.json["data"]["attributes"]["ok"].isBool()) << r.describe();
  EXPECT_FALSE(r.json["data"]["attributes"]["ok"].boolean()) << r.describe();
  EXPECT_NE(r.json["data"]["attributes"]["message"].str().find("wal_level"), std::string::npos) << r.describe();

  HttpResponse s = postCdcStream(api(), "replica", pipeline_, c, R"({"slot_name":"replica_slot"})");
  ASSERT_EQ(s.status, 201) << s.describe();
  std::string id = s.json["data"]["id"].str();
  ASSERT_EQ(api().post("/api/streams/" + id + "/start").status, 200);
  EXPECT_TRUE(waitForErrorMentioning(api(), id, "wal_level"));
}

TEST_F(PostgresCdcTest, InvalidConfigIsA400NamingTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"slot_name":"Bad-Name"})", "config.slot_name"},
      {R"({"slot_name":""})", "config.slot_name"},
      {R"({"publication":"1bad"})", "config.publication"},
      {R"({"snapshot_mode":"sometimes"})", "config.snapshot_mode"},
      {R"({"max_batch_rows":0})", "config.max_batch_rows"},
      {R"({"max_batch_bytes":100})", "config.max_batch_bytes"},
  };
  int n = 0;
  for (const auto& [config, field] : cases) {
    HttpResponse r = postCdcStream(api(), "bad" + std::to_string(n++), pipeline_, conn_, config);
    EXPECT_EQ(r.status, 400) << config << ": " << r.describe();
    EXPECT_EQ(r.json["error"]["field"].str(), field) << config << ": " << r.describe();
  }
}

// ---------------------------------------------------------------------------
// Events and types.

TEST_F(PostgresCdcTest, StopThenStartResumesWithoutLossOrDuplicates) {
  ASSERT_TRUE(db_.exec("CREATE TABLE ss_t (id int PRIMARY KEY)"));
  std::string id = runCdc("ss_slot");
  for (int i = 1; i <= 100; i += 10) {
    ASSERT_TRUE(db_.exec("INSERT INTO ss_t SELECT generate_series(" + std::to_string(i) + ", " +
                         std::to_string(i + 9) + ")"));
  }
  EventTail t = tail();
  ASSERT_TRUE(t.waitForRow("public.ss_t", 100));
  HttpResponse stopped = api().post("/api/streams/" + id + "/stop");
  ASSERT_EQ(stopped.status, 200) << stopped.describe();
  EXPECT_EQ(stopped.json["data"]["attributes"]["status"].str(), "stopped");
  EXPECT_FALSE(stopped.json["data"]["attributes"]["committed_offset"].str().empty()) << stopped.describe();
  ASSERT_TRUE(pollUntil([&] { return slotState(db_, "ss_slot") == std::make_pair(false, 0); }, 10s))
      << "stop must release the replication connection";
  for (int i = 101; i <= 200; i += 10) {
    ASSERT_TRUE(db_.exec("INSERT INTO ss_t SELECT generate_series(" + std::to_string(i) + ", " +
                         std::to_string(i + 9) + ")"));
  }
  ASSERT_TRUE(startCdc(id, "ss_slot"));
  ASSERT_TRUE(t.waitForRow("public.ss_t", 200));
  ASSERT_TRUE(db_.exec("INSERT INTO ss_t VALUES (1000)"));
  ASSERT_TRUE(t.waitForRow("public.ss_t", 1000));
  std::vector<Json> evs = ofTable(t.events(), "public.ss_t");
  ASSERT_EQ(evs.size(), 201u) << "each committed row exactly once across stop/start";
  for (size_t i = 0; i < 200; ++i) {
    EXPECT_EQ(rowId(evs[i]), static_cast<int64_t>(i + 1));
  }
}

TEST_F(PostgresCdcTest, DeleteDropsSlotAndOwnPublicationButKeepsAForeignOne) {
  ASSERT_TRUE(db_.exec("CREATE TABLE del_t (id int PRIMARY KEY); CREATE PUBLICATION user_pub FOR TABLE del_t"));
  std::string own = runCdc("del_slot", R"("publication":"del_pub","include_tables":["public.del_t"])");
  std::string foreign = runCdc("del_slot2", R"("publication":"user_pub","create_publication":false)");
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM pg_publication WHERE pubname = 'del_pub'"), "1");

  HttpResponse r = api().del("/api/streams/" + own);
  ASSERT_EQ(r.status, 200) << r.describe();
  std::string released = r.json["meta"]["teardown"]["released"].dump();
  EXPECT_NE(released.find("dropped replication slot del_slot"), std::string::npos) << r.describe();
  EXPECT_NE(released.find("dropped publication del_pub"), std::string::npos) << r.describe();
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'del_slot'"), "0");
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM pg_publication WHERE pubname = 'del_pub'"), "0");
  EXPECT_EQ(api().get("/api/streams/" + own).status, 404);

  HttpResponse r2 = api().del("/api/streams/" + foreign);
  ASSERT_EQ(r2.status, 200) << r2.describe();
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'del_slot2'"), "0");
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM pg_publication WHERE pubname = 'user_pub'"), "1")
      << "a publication the stream did not create must survive its delete";
}

TEST_F(PostgresCdcTest, DeleteWhileAnotherClientHoldsTheSlotIs409UnlessForced) {
  ASSERT_TRUE(db_.exec("CREATE TABLE held_t (id int PRIMARY KEY)"));
  std::string id = runCdc("held_slot", R"("publication":"held_pub")");
  ASSERT_EQ(api().post("/api/streams/" + id + "/stop").status, 200);
  ASSERT_TRUE(pollUntil([&] { return slotState(db_, "held_slot") == std::make_pair(false, 0); }, 10s));

  PgConnection holder = pg().connect(db_name_, "postgres", "replication=database");
  ASSERT_TRUE(holder.ok()) << holder.error();
  ASSERT_TRUE(holder.startReplication("held_slot", "held_pub"));
  const int pid = holder.backendPid();
  ASSERT_TRUE(waitSlotActive(db_, "held_slot"));
  ASSERT_EQ(slotState(db_, "held_slot")->second, pid);

  HttpResponse refused = api().del("/api/streams/" + id);
  EXPECT_EQ(refused.status, 409) << refused.describe();
  EXPECT_NE(refused.json["error"]["message"].str().find("pid " + std::to_string(pid)), std::string::npos)
      << refused.describe();
  EXPECT_EQ(api().get("/api/streams/" + id).status, 200) << "a refused delete removes nothing";
  EXPECT_TRUE(slotState(db_, "held_slot").has_value());

  HttpResponse forced = api().del("/api/streams/" + id + "?force=true");
  ASSERT_EQ(forced.status, 200) << forced.describe();
  EXPECT_NE(forced.json["meta"]["teardown"]["released"].dump().find("held_slot"), std::string::npos)
      << forced.describe();
  EXPECT_TRUE(pollUntil([&] { return !slotState(db_, "held_slot").has_value(); }, 10s)) << "slot still there";
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = " + std::to_string(pid)), "0")
      << "the holding backend must be terminated";
  EXPECT_EQ(api().get("/api/streams/" + id).status, 404);
}

TEST_F(PostgresCdcTest, MissingPublicationWithoutCreateIsFatal) {
  ASSERT_TRUE(db_.exec("CREATE TABLE np_t (id int PRIMARY KEY)"));
  std::string id = createCdc("np", R"({"slot_name":"np_slot","publication":"no_such_pub","create_publication":false})");
  ASSERT_EQ(api().post("/api/streams/" + id + "/start").status, 200);
  EXPECT_TRUE(waitForErrorMentioning(api(), id, "publication"));
}

TEST_F(PostgresCdcTest, SlotDroppedAfterCommitIsFatal) {
  ASSERT_TRUE(db_.exec("CREATE TABLE sd_t (id int PRIMARY KEY)"));
  std::string id = runCdc("sd_slot");
  ASSERT_TRUE(db_.exec("INSERT INTO sd_t VALUES (1)"));
  EventTail t = tail();
  ASSERT_TRUE(t.waitForRow("public.sd_t", 1));
  HttpResponse stopped = api().post("/api/streams/" + id + "/stop");
  ASSERT_EQ(stopped.status, 200);
  ASSERT_FALSE(stopped.json["data"]["attributes"]["committed_offset"].str().empty()) << stopped.describe();
  ASSERT_TRUE(pollUntil([&] { return slotState(db_, "sd_slot") == std::make_pair(false, 0); }, 10s));
  ASSERT_TRUE(db_.exec("SELECT pg_drop_replication_slot('sd_slot')"));
  ASSERT_EQ(api().post("/api/streams/" + id + "/start").status, 200);
  EXPECT_TRUE(waitForErrorMentioning(api(), id, "slot"));
  EXPECT_FALSE(slotState(db_, "sd_slot").has_value()) << "a silently recreated slot would hide lost changes";
}

TEST_F(PostgresCdcTest, HeartbeatAdvancesTheSlotOnAQuietDatabase) {
  // Two streams on this database; only one sends heartbeats. WAL written in
  // another database holds no change of theirs.
  ASSERT_TRUE(db_.exec("CREATE TABLE hb_t (id int PRIMARY KEY)"));
  runCdc("hb_on", "\"heartbeat_interval_ms\":200");
  runCdc("hb_off", "\"heartbeat_interval_ms\":0");
  ASSERT_TRUE(pg().exec("CREATE TABLE IF NOT EXISTS hb_elsewhere (id int, pad text)"));
  ASSERT_TRUE(pg().exec("INSERT INTO hb_elsewhere SELECT g, repeat('z', 200) FROM generate_series(1, 5000) g"));
  const std::string target = pg().scalar("SELECT pg_current_wal_lsn()").value_or("");
  ASSERT_FALSE(target.empty());
  auto passed = [&](const std::string& slot) {
    return db_.scalar("SELECT confirmed_flush_lsn >= '" + target + "'::pg_lsn FROM pg_replication_slots "
                      "WHERE slot_name = '" + slot + "'") == "t";
  };
  EXPECT_TRUE(pollUntil([&] { return passed("hb_on"); }, 20s))
      << "the slot with heartbeats did not move past " << target;
  EXPECT_FALSE(passed("hb_off")) << "without heartbeats nothing of this database's changes was confirmed";
}

TEST_F(PostgresCdcTest, AnExistingSlotThisStreamDidNotCreateIsLeftAlone) {
  ASSERT_TRUE(db_.exec("CREATE TABLE fs_t (id int PRIMARY KEY)"));
  ASSERT_TRUE(db_.exec("SELECT pg_create_logical_replication_slot('foreign_slot', 'pgoutput')"));
  std::string id = createCdc("fs", "{\"slot_name\":\"foreign_slot\"}");
  ASSERT_EQ(api().post("/api/streams/" + id + "/start").status, 200);
  EXPECT_TRUE(waitForErrorMentioning(api(), id, "did not create", 20s));
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'foreign_slot'"), "1");
}

// Delete applies the same ownership rule as start: a slot this stream did not
// create is neither dropped nor taken from its holder, even with force.
TEST_F(PostgresCdcTest, DeleteKeepsASlotThisStreamDidNotCreateEvenWhenForced) {
  ASSERT_TRUE(db_.exec("CREATE TABLE fd_t (id int PRIMARY KEY); CREATE PUBLICATION fd_pub FOR TABLE fd_t"));
  ASSERT_TRUE(db_.exec("SELECT pg_create_logical_replication_slot('their_slot', 'pgoutput')"));
  PgConnection holder = pg().connect(db_name_, "postgres", "replication=database");
  ASSERT_TRUE(holder.ok()) << holder.error();
  ASSERT_TRUE(holder.startReplication("their_slot", "fd_pub"));
  const int pid = holder.backendPid();
  ASSERT_TRUE(waitSlotActive(db_, "their_slot"));
  std::string id = createCdc("fd", R"({"slot_name":"their_slot","publication":"fd_pub","create_publication":false})");

  HttpResponse r = api().del("/api/streams/" + id + "?force=true");
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_NE(r.json["meta"]["teardown"]["released"].dump().find("kept replication slot their_slot"), std::string::npos)
      << r.describe();
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'their_slot'"), "1")
      << "someone else's slot was dropped";
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = " + std::to_string(pid)), "1")
      << "someone else's walsender was terminated";
}

TEST_F(PostgresCdcTest, LagMetricTracksUnconfirmedWal) {
  ASSERT_TRUE(db_.exec("CREATE TABLE lag_t (id int PRIMARY KEY, pad text)"));
  std::string id = runCdc("lag_slot");
  ASSERT_TRUE(db_.exec("INSERT INTO lag_t VALUES (1, 'x')"));
  EventTail t = tail();
  ASSERT_TRUE(t.waitForRow("public.lag_t", 1));
  auto lag = [&] {
    return api().get("/api/streams/" + id + "/metrics?window=1m").json["data"]["attributes"]["consumer_lag"];
  };
  Json first;
  ASSERT_TRUE(pollUntil(
      [&] {
        first = lag();
        return first["bytes"].isNumber() && first["seconds"].isNumber();
      },
      15s))
      << "consumer_lag: " << first.dump();
  EXPECT_GE(first["bytes"].integer(), 0);
  EXPECT_GE(first["seconds"].number(), 0.0);

  ASSERT_EQ(api().post("/api/streams/" + id + "/pause").status, 200);
  ASSERT_TRUE(db_.exec("INSERT INTO lag_t SELECT g, repeat('y', 100) FROM generate_series(2, 2001) g"));
  Json paused;
  EXPECT_TRUE(pollUntil(
      [&] {
        paused = lag();
        return paused["bytes"].integer() > 100000;
      },
      15s))
      << "2000 unread rows (>200 kB of WAL) while paused; consumer_lag: " << paused.dump();
  ASSERT_EQ(api().post("/api/streams/" + id + "/resume").status, 200);
  ASSERT_TRUE(t.waitForRow("public.lag_t", 2001));
  Json caught_up;
  EXPECT_TRUE(pollUntil(
      [&] {
        caught_up = lag();
        return caught_up["bytes"].isNumber() && caught_up["bytes"].integer() < 100000;
      },
      15s))
      << "after catching up; consumer_lag: " << caught_up.dump();
}

TEST_F(PostgresCdcTest, SigkillOfTheDaemonDuringLoadLosesNoCommittedRow) {
  ASSERT_TRUE(db_.exec("CREATE TABLE kill_t (id bigint PRIMARY KEY, pad text)"));
  runCdc("kill_slot");
  RowWriter writer(pg().conninfo(db_name_), "kill_t", 20, false);
  for (int k = 1; k <= 2; ++k) {
    const int64_t before = writer.committed();
    ASSERT_TRUE(pollUntil([&] { return writer.committed() >= before + 1000; }, 20s)) << "writer stalled";
    ASSERT_TRUE(daemon_.stop(SIGKILL)) << "kill " << k;
    ASSERT_TRUE(daemon_.start()) << "restart " << k;
    ASSERT_TRUE(waitSlotActive(db_, "kill_slot", 30s)) << "after kill " << k;
  }
  const int64_t before = writer.committed();
  ASSERT_TRUE(pollUntil([&] { return writer.committed() >= before + 1000; }, 20s));
  writer.stop();
  EXPECT_EQ(writer.failures(), 0);
  ASSERT_TRUE(db_.exec("INSERT INTO kill_t VALUES (-1, 'marker')"));
  EventTail t(api(), pipeline_);
  ASSERT_TRUE(t.waitForRow("public.kill_t", -1, 60s));
  int64_t duplicates = 0;
  EXPECT_TRUE(allRowsDelivered(db_, "kill_t", t.events(), &duplicates));
  std::printf("[pg-kill] rows=%lld duplicates=%lld\n", static_cast<long long>(writer.committed()),
              static_cast<long long>(duplicates));
}

TEST_F(PostgresCdcFaultTest, PostgresRestartDuringLoadLosesNothing) {
  ASSERT_TRUE(db_.exec("CREATE TABLE pgr_t (id bigint PRIMARY KEY, pad text)"));
  std::string id = runCdc("pgr_slot");
  RowWriter writer(pg().conninfo(db_name_), "pgr_t", 20, true);
  ASSERT_TRUE(pollUntil([&] { return writer.committed() >= 1000; }, 20s)) << "writer stalled";
  ASSERT_TRUE(pg().stop());
  EXPECT_TRUE(waitForErrorMentioning(api(), id, "retrying", 15s)) << "the outage must show as a retrying error";
  ASSERT_TRUE(pg().start());
  db_ = pg().connect(db_name_);
  ASSERT_TRUE(db_.ok()) << db_.error();
  const int64_t before = writer.committed();
  ASSERT_TRUE(pollUntil([&] { return writer.committed() >= before + 1000; }, 20s)) << "writer did not reconnect";
  ASSERT_TRUE(waitForStatus(api(), id, "running", 40s));
  ASSERT_TRUE(waitSlotActive(db_, "pgr_slot", 40s));
  writer.stop();
  ASSERT_TRUE(db_.exec("INSERT INTO pgr_t VALUES (-1, 'marker')"));
  EventTail t = tail();
  ASSERT_TRUE(t.waitForRow("public.pgr_t", -1, 60s));
  EXPECT_TRUE(allRowsDelivered(db_, "pgr_t", t.events()));
}

namespace {

/// How often each id of `table` was delivered as a snapshot row ('r').
std::map<int64_t, int> snapshotRowCounts(const std::vector<Json>& events) {
  std::map<int64_t, int> seen;
  for (const auto& e : events) {
    if (e["value"]["op"].str() == "r") {
      ++seen[e["value"]["after"]["id"].integer()];
    }
  }
  return seen;
}

constexpr int kSnapRows = 100000;
constexpr int kSnapBatch = 250;

}  // namespace

// A kill during the initial snapshot read it all again from the first row;
// it now resumes after the last durable row, so a kill repeats at most a batch.
TEST_F(PostgresCdcSlowSnapshotTest, SigkillDuringTheSnapshotRepeatsAtMostABatch) {
  ASSERT_TRUE(db_.exec("CREATE TABLE snap_k (id bigint PRIMARY KEY, pad text); "
                       "INSERT INTO snap_k SELECT g, 'row ' || g FROM generate_series(1, " +
                       std::to_string(kSnapRows) + ") g"));
  std::string id = startSnapshotStream("snapk_slot");
  ASSERT_TRUE(waitForHead(api(), pipeline_, 5000, 60s));
  ASSERT_TRUE(daemon_.stop(SIGKILL));
  ASSERT_TRUE(daemon_.start());
  ASSERT_TRUE(waitForStatus(api(), id, "running", 30s));
  std::map<int64_t, int> seen;
  ASSERT_TRUE(pollUntil(
      [&] {
        seen = snapshotRowCounts(allEvents(api(), pipeline_));
        return seen.size() >= static_cast<size_t>(kSnapRows);
      },
      120s))
      << seen.size() << " of " << kSnapRows << " rows delivered";
  int64_t repeats = 0;
  for (const auto& [row, n] : seen) {
    repeats += n - 1;
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kSnapRows));
  EXPECT_LE(repeats, kSnapBatch) << "the kill repeated more than one batch";
  // Also shows the kill landed inside the snapshot.
  EXPECT_NE(daemon_.log().find("resuming the snapshot at public.snap_k after its last delivered row"),
            std::string::npos);
}

// The snapshot's connection dropping mid-way put the stream in a fatal error
// (its cursor was gone on the silently reopened connection); it now resumes.
TEST_F(PostgresCdcSlowSnapshotTest, MetricsShowTheSnapshotsProgressPerTable) {
  ASSERT_TRUE(db_.exec("CREATE TABLE a (id int PRIMARY KEY, v text)"));
  ASSERT_TRUE(db_.exec("CREATE TABLE b (id int PRIMARY KEY, v text)"));
  ASSERT_TRUE(db_.exec("INSERT INTO a SELECT g, 'a' || g FROM generate_series(1, 3000) g"));
  ASSERT_TRUE(db_.exec("INSERT INTO b SELECT g, 'b' || g FROM generate_series(1, 1200) g"));
  ASSERT_TRUE(db_.exec("ANALYZE a, b"));
  std::string id = startSnapshotStream("progress");
  const std::string metrics = "/api/streams/" + id + "/metrics";
  // While it runs, what is read never passes the estimate of a table not yet done.
  Json snap;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (true) {
    snap = api().get(metrics).json["data"]["attributes"]["snapshot"];
    for (size_t i = 0; i < snap["tables"].size(); ++i) {
      const Json& t = snap["tables"][i];
      if (!t["done"].boolean() && !t["rows_total"].isNull()) {
        EXPECT_LE(t["rows_done"].integer(), t["rows_total"].integer()) << snap.dump();
      }
    }
    if (snap["tables"].size() == 2 && snap["tables"][size_t{0}]["done"].boolean() &&
        snap["tables"][size_t{1}]["done"].boolean()) {
      break;
    }
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << snap.dump() << attributes(id).dump();
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(waitForHead(api(), pipeline_, 4200, 30s));
  EXPECT_EQ(snap["tables"][size_t{0}]["table"].str(), "public.a") << snap.dump();
  EXPECT_EQ(snap["tables"][size_t{0}]["rows_done"].integer(), 3000) << snap.dump();
  EXPECT_EQ(snap["tables"][size_t{0}]["rows_total"].integer(), 3000) << snap.dump();
  EXPECT_EQ(snap["tables"][size_t{1}]["table"].str(), "public.b") << snap.dump();
  EXPECT_EQ(snap["tables"][size_t{1}]["rows_done"].integer(), 1200) << snap.dump();
  const Json g = api().get(metrics).json["data"]["attributes"]["gauges"];
  EXPECT_EQ(g["snapshot.table.public.a.rows_estimate"].number(), 3000.0) << g.dump();
}

TEST_F(PostgresCdcSlowSnapshotTest, ALostSnapshotConnectionResumesTheSnapshot) {
  ASSERT_TRUE(db_.exec("CREATE TABLE snap_c (id bigint PRIMARY KEY, pad text); "
                       "INSERT INTO snap_c SELECT g, 'row ' || g FROM generate_series(1, " +
                       std::to_string(kSnapRows) + ") g"));
  std::string id = startSnapshotStream("snapc_slot");
  ASSERT_TRUE(waitForHead(api(), pipeline_, 5000, 60s));
  ASSERT_TRUE(db_.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND query LIKE 'COPY (SELECT%' AND pid <> pg_backend_pid()"));
  std::map<int64_t, int> seen;
  ASSERT_TRUE(pollUntil(
      [&] {
        seen = snapshotRowCounts(allEvents(api(), pipeline_));
        return seen.size() >= static_cast<size_t>(kSnapRows);
      },
      120s))
      << seen.size() << " of " << kSnapRows << " rows; stream: " << attributes(id).dump();
  int64_t repeats = 0;
  for (const auto& [row, n] : seen) {
    repeats += n - 1;
  }
  EXPECT_LE(repeats, kSnapBatch);
  EXPECT_TRUE(waitForStatus(api(), id, "running", 30s));
  EXPECT_NE(daemon_.log().find("resuming the snapshot at public.snap_c after its last delivered row"),
            std::string::npos);
}

// A stream in a transient error at shutdown was left in error by the next
// start, and could be PATCHed while its worker still retried the old config.
TEST_F(PostgresCdcFaultTest, AStreamRetryingAtShutdownResumesAfterRestart) {
  ASSERT_TRUE(db_.exec("CREATE TABLE rr_t (id bigint PRIMARY KEY)"));
  std::string id = runCdc("rr_slot");
  ASSERT_TRUE(db_.exec("INSERT INTO rr_t VALUES (0)"));
  EventTail first = tail();
  ASSERT_TRUE(first.waitForRow("public.rr_t", 0, 30s));  // streaming, not just started
  ASSERT_TRUE(pg().stop());
  ASSERT_TRUE(waitForErrorMentioning(api(), id, "retrying", 15s));
  HttpResponse patch = api().patch("/api/streams/" + id, R"({"config":{"heartbeat_interval_ms":5000}})");
  EXPECT_EQ(patch.status, 409) << "a retrying stream took a new config: " << patch.describe();
  EXPECT_EQ(patch.errorCode(), "invalid_state") << patch.describe();

  ASSERT_TRUE(daemon_.restart());
  ASSERT_TRUE(pg().start());
  db_ = pg().connect(db_name_);
  ASSERT_TRUE(db_.ok()) << db_.error();
  ASSERT_TRUE(waitForStatus(api(), id, "running", 40s)) << "the retrying stream was not resumed";
  ASSERT_TRUE(db_.exec("INSERT INTO rr_t VALUES (1)"));
  EventTail t = tail();
  EXPECT_TRUE(t.waitForRow("public.rr_t", 1, 30s));
}

TEST_F(PostgresCdcFaultTest, FastShutdownIsNotHeldUpByARunningOrPausedStream) {
  // A stopping server waits for its walsenders' clients to confirm all it sent.
  ASSERT_TRUE(db_.exec("CREATE TABLE sd_t (id int PRIMARY KEY)"));
  std::string id = runCdc("sd_slot", "\"heartbeat_interval_ms\":0");
  EventTail t = tail();
  for (int round = 1; round <= 2; ++round) {
    SCOPED_TRACE(round == 1 ? "running, no heartbeats" : "paused");
    ASSERT_TRUE(db_.exec("INSERT INTO sd_t VALUES (" + std::to_string(round) + ")"));
    ASSERT_TRUE(t.waitForRow("public.sd_t", round));
    if (round == 2) {
      ASSERT_EQ(api().post("/api/streams/" + id + "/pause").status, 200);
    }
    // WAL the stream has no change in (another database), read by its walsender
    // past the last commit the stream confirmed.
    ASSERT_TRUE(pg().exec("CREATE TABLE IF NOT EXISTS sd_other (x int); INSERT INTO sd_other VALUES (1)"));
    const std::string end = pg().scalar("SELECT pg_current_wal_lsn()").value_or("");
    ASSERT_TRUE(pollUntil(
        [&] {
          return pg().scalar("SELECT bool_and(sent_lsn >= '" + end + "'::pg_lsn) FROM pg_stat_replication") == "t";
        },
        10s));
    auto started = std::chrono::steady_clock::now();
    ASSERT_TRUE(pg().stop());
    EXPECT_LT(std::chrono::steady_clock::now() - started, 15s);
    ASSERT_TRUE(pg().start());
    db_ = pg().connect(db_name_);
    ASSERT_TRUE(db_.ok()) << db_.error();
    if (round == 2) {
      ASSERT_TRUE(pollUntil([&] { return api().post("/api/streams/" + id + "/resume").status == 200; }, 30s));
    }
    ASSERT_TRUE(waitForStatus(api(), id, "running", 40s));
  }
  ASSERT_TRUE(db_.exec("INSERT INTO sd_t VALUES (3)"));
  EXPECT_TRUE(t.waitForRow("public.sd_t", 3, 40s)) << "the stream came back after both restarts";
}

TEST_F(PostgresCdcTlsTest, StreamsOverTlsWithoutHoldingBackTheLastChange) {
  ASSERT_TRUE(db_.exec("CREATE TABLE tls_t (id int PRIMARY KEY, pad text)"));
  runCdc("tls_slot");
  EXPECT_EQ(pg().scalar("SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_replication r ON r.pid = s.pid"),
            "t")
      << "the replication connection should use TLS";
  ASSERT_TRUE(db_.exec("INSERT INTO tls_t SELECT g, repeat('t', 100) FROM generate_series(1, 5000) g"));
  for (int i = 5001; i <= 5020; ++i) {
    ASSERT_TRUE(db_.exec("INSERT INTO tls_t VALUES (" + std::to_string(i) + ", 'x')"));
  }
  // The last change must arrive well before the next keepalive (30 s) would wake the reader.
  EventTail t = tail();
  ASSERT_TRUE(t.waitForRow("public.tls_t", 5020, 20s));
  EXPECT_TRUE(allRowsDelivered(db_, "tls_t", t.events()));
}

TEST_F(PostgresCdcFaultTest, PauseLongerThanWalSenderTimeoutKeepsTheSlotAndResumes) {
  ASSERT_EQ(pg().scalar("SHOW wal_sender_timeout"), "2s");
  ASSERT_TRUE(db_.exec("CREATE TABLE pause_t (id int PRIMARY KEY)"));
  std::string id = runCdc("pause_slot");
  ASSERT_TRUE(db_.exec("INSERT INTO pause_t SELECT generate_series(1, 10)"));
  EventTail t = tail();
  ASSERT_TRUE(t.waitForRow("public.pause_t", 10));
  const int pid = slotState(db_, "pause_slot").value_or(std::make_pair(false, 0)).second;
  ASSERT_GT(pid, 0);

  HttpResponse paused = api().post("/api/streams/" + id + "/pause");
  ASSERT_EQ(paused.status, 200) << paused.describe();
  EXPECT_EQ(paused.json["data"]["attributes"]["status"].str(), "paused");
  const size_t seen = t.fetch().size();
  ASSERT_TRUE(db_.exec("INSERT INTO pause_t SELECT generate_series(11, 110)"));
  // 5 s is 2.5 × wal_sender_timeout: the slot must stay held by the same backend throughout.
  const auto until = std::chrono::steady_clock::now() + 5s;
  std::string broken;
  pollUntil(
      [&] {
        auto s = slotState(db_, "pause_slot");
        if (!s || !s->first || s->second != pid) {
          broken = !s ? "slot gone" : "active=" + std::to_string(s->first) + " pid=" + std::to_string(s->second);
          return true;
        }
        return std::chrono::steady_clock::now() >= until;
      },
      6s, 200ms);
  EXPECT_TRUE(broken.empty()) << "while paused (walsender pid " << pid << "): " << broken;
  EXPECT_EQ(streamStatus(api(), id), "paused");
  EXPECT_EQ(t.fetch().size(), seen) << "a paused stream takes no rows";

  HttpResponse resumed = api().post("/api/streams/" + id + "/resume");
  ASSERT_EQ(resumed.status, 200) << resumed.describe();
  ASSERT_TRUE(t.waitForRow("public.pause_t", 110));
  std::vector<Json> evs = ofTable(t.events(), "public.pause_t");
  ASSERT_EQ(evs.size(), 110u);
  for (size_t i = 0; i < evs.size(); ++i) {
    EXPECT_EQ(rowId(evs[i]), static_cast<int64_t>(i + 1));
  }
  EXPECT_EQ(pg().log().find("replication timeout"), std::string::npos) << "a walsender timed out";
}

}  // namespace
}  // namespace streamhost::testing
