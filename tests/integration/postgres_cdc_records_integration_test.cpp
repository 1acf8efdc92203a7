// postgres_cdc records end to end: a real PostgreSQL 15 (PgServer), a child
// streamhostd over real sockets, events read back from the pipeline. Types,
// replica identities, filters, large transactions, snapshots.
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
// The harness itself.

TEST(PostgresCdcHarness, ServesQueriesRolesAndReplicationAndRestarts) {
  PgServer pg(PgServerOptions{.settings = {{"wal_sender_timeout", "7s"}}});
  ASSERT_TRUE(pg.start());
  EXPECT_GT(pg.port(), 0);
  EXPECT_EQ(pg.scalar("SHOW wal_level"), "logical");
  EXPECT_EQ(pg.scalar("SHOW wal_sender_timeout"), "7s");
  EXPECT_EQ(pg.scalar("SHOW max_replication_slots"), "10");
  ASSERT_TRUE(pg.exec("CREATE TABLE h (id int PRIMARY KEY, v text); INSERT INTO h VALUES (1, 'a'), (2, NULL)"));
  auto rows = pg.query("SELECT id, v FROM h ORDER BY id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][1], "a");
  EXPECT_FALSE(rows[1][1].has_value());
  EXPECT_NONFATAL_FAILURE(pg.exec("SELECT * FROM no_such_table"), "no_such_table");

  ASSERT_TRUE(pg.createRoleWithoutReplication("plain"));
  EXPECT_EQ(pg.scalar("SELECT rolreplication FROM pg_roles WHERE rolname = 'plain'"), "f");
  PgConnection plain = pg.connect("postgres", "plain");
  EXPECT_TRUE(plain.ok()) << plain.error();

  // A replication session holds a slot until it closes.
  ASSERT_TRUE(pg.exec("CREATE PUBLICATION hp FOR TABLE h"));
  ASSERT_TRUE(pg.exec("SELECT pg_create_logical_replication_slot('hs', 'pgoutput')"));
  {
    PgConnection repl = pg.connect("postgres", "postgres", "replication=database");
    ASSERT_TRUE(repl.ok()) << repl.error();
    ASSERT_TRUE(repl.startReplication("hs", "hp"));
    EXPECT_EQ(pg.scalar("SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'hs'"),
              std::to_string(repl.backendPid()));
  }
  PgConnection probe = pg.connect();
  EXPECT_TRUE(pollUntil([&] { return slotState(probe, "hs") == std::make_pair(false, 0); }, 10s));

  const uint16_t port = pg.port();
  ASSERT_TRUE(pg.restart());
  EXPECT_EQ(pg.port(), port);
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM h"), "2");
  EXPECT_FALSE(probe.tryExec("SELECT 1")) << "a session must not survive the restart";
}

TEST_F(PostgresCdcTest, TypesMapToJson) {
  ASSERT_TRUE(db_.exec(
      "CREATE TABLE types_t (id int PRIMARY KEY, i2 int2, i4 int4, i8 int8, num numeric(10,3), b bool, t text, "
      "vc varchar(20), ts timestamp, tstz timestamptz, d date, j json, jb jsonb, by bytea, ia int[], ta text[], "
      "nia int[])"));
  runCdc("types_slot");
  ASSERT_TRUE(db_.exec(
      R"(INSERT INTO types_t VALUES (1, -32768, 2147483647, 9223372036854775807, 12.34, true, )"
      R"(E'quote " backslash \\ newline\n tab\t é', 'héllo', '2024-01-02 03:04:05.123456', )"
      R"('2024-01-02 03:04:05.123456+02', '2024-01-02', '{"a":[1,2,{"b":null}]}', '{"k": "v", "n": 1.5}', )"
      R"('\x00ff10', '{1,NULL,3}', '{"a b",NULL,"c\"q",""}', '{{1,2},{3,4}}'))"));
  ASSERT_TRUE(db_.exec("INSERT INTO types_t (id) VALUES (2)"));
  EventTail t = tail();
  ASSERT_TRUE(t.waitForRow("public.types_t", 2));
  std::vector<Json> evs = ofTable(t.events(), "public.types_t");
  ASSERT_EQ(evs.size(), 2u);

  const Json& e = evs[0];
  EXPECT_EQ(e["op"].str(), "c");
  EXPECT_EQ(eventKey(e).dump(), "{\"id\":1}") << e.dump();
  const Json& a = e["value"]["after"];
  EXPECT_EQ(e["value"]["op"].str(), "c");
  EXPECT_TRUE(e["value"]["before"].isNull());
  EXPECT_TRUE(a["i2"].isNumber() && a["i2"].integer() == -32768) << a.dump();
  EXPECT_TRUE(a["i4"].isNumber() && a["i4"].integer() == 2147483647) << a.dump();
  EXPECT_TRUE(a["i8"].isNumber() && a["i8"].integer() == INT64_MAX) << a.dump();
  EXPECT_EQ(a["num"].str(), "12.340") << a.dump();
  EXPECT_TRUE(a["b"].isBool() && a["b"].boolean()) << a.dump();
  EXPECT_EQ(a["t"].str(), "quote \" backslash \\ newline\n tab\t é");
  EXPECT_EQ(a["vc"].str(), "héllo");
  EXPECT_EQ(a["ts"].str(), "2024-01-02T03:04:05.123456");
  EXPECT_EQ(a["tstz"].str(), "2024-01-02T01:04:05.123456Z");
  EXPECT_EQ(a["d"].str(), "2024-01-02");
  EXPECT_TRUE(a["j"].isObject()) << "json must be inline: " << a["j"].dump();
  EXPECT_EQ(a["j"]["a"][1].integer(), 2);
  EXPECT_TRUE(a["j"]["a"][2].isObject() && a["j"]["a"][2].has("b") && a["j"]["a"][2]["b"].isNull());
  EXPECT_TRUE(a["jb"].isObject()) << "jsonb must be inline: " << a["jb"].dump();
  EXPECT_EQ(a["jb"]["k"].str(), "v");
  EXPECT_DOUBLE_EQ(a["jb"]["n"].number(), 1.5);
  EXPECT_EQ(a["by"].str(), "AP8Q");
  EXPECT_EQ(a["ia"].dump(), "[1,null,3]");
  EXPECT_EQ(a["ta"].dump(), "[\"a b\",null,\"c\\\"q\",\"\"]");
  EXPECT_EQ(a["nia"].dump(), "[[1,2],[3,4]]");

  const Json& nulls = evs[1]["value"]["after"];
  for (const char* col : {"i2", "i4", "i8", "num", "b", "t", "vc", "ts", "tstz", "d", "j", "jb", "by", "ia", "ta",
                          "nia"}) {
    EXPECT_TRUE(nulls.has(col) && nulls[col].isNull()) << col << " must be present as null: " << nulls.dump();
  }
}

TEST_F(PostgresCdcTest, UnchangedToastIsMarkedNotInventedAndNullStaysNull) {
  ASSERT_TRUE(db_.exec(
      "CREATE TABLE toast_t (id int PRIMARY KEY, big text, small int); "
      "ALTER TABLE toast_t ALTER COLUMN big SET STORAGE EXTERNAL"));
  runCdc("toast_slot");
  ASSERT_TRUE(db_.exec("INSERT INTO toast_t VALUES (1, repeat('x', 20000), 1), (2, NULL, 1)"));
  ASSERT_TRUE(db_.exec("UPDATE toast_t SET small = 2 WHERE id = 1"));
  ASSERT_TRUE(db_.exec("UPDATE toast_t SET small = 2 WHERE id = 2"));
  ASSERT_TRUE(db_.exec("UPDATE toast_t SET small = 3, big = 'short' WHERE id = 1"));
  EventTail t = tail();
  ASSERT_TRUE(t.waitFor([](const std::vector<Json>& evs) { return ofTable(evs, "public.toast_t").size() >= 5; }, 20s,
                        "5 toast_t events"));
  std::vector<Json> evs = ofTable(t.events(), "public.toast_t");
  ASSERT_EQ(evs.size(), 5u);
  EXPECT_EQ(evs[0]["value"]["after"]["big"].str().size(), 20000u);

  const Json& untouched = evs[2]["value"];
  ASSERT_EQ(untouched["op"].str(), "u");
  EXPECT_EQ(untouched["after"]["small"].integer(), 2);
  EXPECT_FALSE(untouched["after"].has("big")) << "unchanged TOAST must not be invented: " << untouched.dump();
  ASSERT_TRUE(untouched["unchanged_toast"].isArray()) << untouched.dump();
  EXPECT_EQ(untouched["unchanged_toast"].dump(), "[\"big\"]");

  const Json& null_big = evs[3]["value"];
  EXPECT_TRUE(null_big["after"].has("big") && null_big["after"]["big"].isNull()) << null_big.dump();
  EXPECT_EQ(null_big["unchanged_toast"].dump().find("big"), std::string::npos) << null_big.dump();

  const Json& changed = evs[4]["value"];
  EXPECT_EQ(changed["after"]["big"].str(), "short") << changed.dump();
  EXPECT_EQ(changed["unchanged_toast"].dump().find("big"), std::string::npos) << changed.dump();
}

TEST_F(PostgresCdcTest, ReplicaIdentityDefaultAndFullAndTruncate) {
  ASSERT_TRUE(db_.exec(
      "CREATE TABLE ri_def (id int PRIMARY KEY, v text); CREATE TABLE ri_full (id int PRIMARY KEY, v text); "
      "ALTER TABLE ri_full REPLICA IDENTITY FULL"));
  runCdc("ri_slot");
  for (const char* sql :
       {"INSERT INTO ri_def VALUES (1, 'a')", "INSERT INTO ri_full VALUES (1, 'a')",
        "UPDATE ri_def SET v = 'b' WHERE id = 1", "UPDATE ri_full SET v = 'b' WHERE id = 1",
        "UPDATE ri_def SET id = 10 WHERE id = 1", "DELETE FROM ri_def WHERE id = 10",
        "DELETE FROM ri_full WHERE id = 1", "TRUNCATE ri_def, ri_full", "INSERT INTO ri_def VALUES (99, 'end')"}) {
    ASSERT_TRUE(db_.exec(sql));
  }
  EventTail t = tail();
  ASSERT_TRUE(t.waitForRow("public.ri_def", 99));
  std::vector<Json> def = ofTable(t.events(), "public.ri_def");
  std::vector<Json> full = ofTable(t.events(), "public.ri_full");
  std::string ops_def, ops_full;
  for (const auto& e : def) {
    ops_def += e["op"].str();
  }
  for (const auto& e : full) {
    ops_full += e["op"].str();
  }
  ASSERT_EQ(ops_def, "cuudtc");
  ASSERT_EQ(ops_full, "cudt");

  const Json& ins = def[0]["value"];
  EXPECT_EQ(ins["source"]["schema"].str(), "public");
  EXPECT_EQ(ins["source"]["table"].str(), "ri_def");
  EXPECT_TRUE(ins["source"]["snapshot"].isBool() && !ins["source"]["snapshot"].boolean()) << ins.dump();
  EXPECT_TRUE(ins["source"]["txid"].isNumber() && ins["source"]["txid"].integer() > 0) << ins.dump();
  EXPECT_TRUE(std::regex_match(ins["source"]["lsn"].str(), std::regex("[0-9A-F]+/[0-9A-F]+"))) << ins.dump();
  EXPECT_GT(ins["source"]["ts_ms"].integer(), 1600000000000);
  EXPECT_GT(ins["ts_ms"].integer(), 1600000000000);
  EXPECT_FALSE(def[0]["offset"].str().empty());

  EXPECT_TRUE(def[1]["value"]["before"].isNull()) << def[1].dump();
  EXPECT_EQ(def[1]["value"]["after"].dump(), "{\"id\":1,\"v\":\"b\"}");
  EXPECT_EQ(def[2]["value"]["before"].dump(), "{\"id\":1}") << "key change: before holds the old key only";
  EXPECT_EQ(def[2]["value"]["after"].dump(), "{\"id\":10,\"v\":\"b\"}");
  EXPECT_EQ(eventKey(def[2]).dump(), "{\"id\":10}");
  EXPECT_EQ(def[3]["value"]["before"].dump(), "{\"id\":10}");
  EXPECT_TRUE(def[3]["value"]["after"].isNull());
  EXPECT_EQ(eventKey(def[3]).dump(), "{\"id\":10}");

  EXPECT_EQ(full[1]["value"]["before"].dump(), "{\"id\":1,\"v\":\"a\"}");
  EXPECT_EQ(full[1]["value"]["after"].dump(), "{\"id\":1,\"v\":\"b\"}");
  EXPECT_EQ(full[2]["value"]["before"].dump(), "{\"id\":1,\"v\":\"b\"}");
  EXPECT_TRUE(full[2]["value"]["after"].isNull());

  for (const Json* tr : {&def[4], &full[3]}) {
    EXPECT_TRUE((*tr)["key"].isNull()) << tr->dump();
    EXPECT_TRUE((*tr)["value"]["before"].isNull() && (*tr)["value"]["after"].isNull()) << tr->dump();
    EXPECT_EQ((*tr)["value"]["op"].str(), "t");
  }
}

TEST_F(PostgresCdcTest, IncludeAndExcludeTablesFilterSnapshotAndStream) {
  ASSERT_TRUE(db_.exec(
      "CREATE SCHEMA s2; CREATE TABLE inc_a (id int PRIMARY KEY); CREATE TABLE inc_b (id int PRIMARY KEY); "
      "CREATE TABLE skip_c (id int PRIMARY KEY); CREATE TABLE s2.keep (id int PRIMARY KEY); "
      "CREATE TABLE s2.other (id int PRIMARY KEY); "
      "INSERT INTO inc_a VALUES (1); INSERT INTO inc_b VALUES (1); INSERT INTO skip_c VALUES (1); "
      "INSERT INTO s2.keep VALUES (1); INSERT INTO s2.other VALUES (1)"));
  runCdc("filter_slot",
         R"("snapshot_mode":"initial","include_tables":["public.*","s2.keep"],"exclude_tables":["public.skip_c"])");
  for (const char* table : {"inc_a", "inc_b", "skip_c", "s2.keep", "s2.other"}) {
    ASSERT_TRUE(db_.exec(std::string("INSERT INTO ") + table + " VALUES (2)"));
  }
  ASSERT_TRUE(db_.exec("INSERT INTO inc_a VALUES (3)"));
  EventTail t = tail();
  ASSERT_TRUE(t.waitForRow("public.inc_a", 3));
  std::set<std::string> got;
  for (const Json& e : t.events()) {
    got.insert(eventTable(e) + ":" + e["op"].str() + std::to_string(rowId(e)));
  }
  std::set<std::string> want = {"public.inc_a:r1", "public.inc_a:c2", "public.inc_a:c3", "public.inc_b:r1",
                                "public.inc_b:c2", "s2.keep:r1",      "s2.keep:c2"};
  EXPECT_EQ(got, want);
}

TEST_F(PostgresCdcTest, TransactionLargerThanWorkMemArrivesOnceInOrderAndRollbackEmitsNothing) {
  ASSERT_EQ(pg().scalar("SHOW logical_decoding_work_mem"), "64kB");
  ASSERT_TRUE(db_.exec("CREATE TABLE big_t (id int PRIMARY KEY, pad text)"));
  runCdc("big_slot");
  ASSERT_TRUE(db_.exec("INSERT INTO big_t SELECT g, repeat('p', 40) FROM generate_series(1, 20000) g"));
  ASSERT_TRUE(db_.exec(
      "BEGIN; INSERT INTO big_t SELECT g, repeat('r', 40) FROM generate_series(100001, 120000) g; ROLLBACK"));
  ASSERT_TRUE(db_.exec("INSERT INTO big_t VALUES (999999, 'marker')"));
  EventTail t = tail();
  ASSERT_TRUE(t.waitForRow("public.big_t", 999999, 60s));
  std::vector<Json> evs = ofTable(t.events(), "public.big_t");
  ASSERT_EQ(evs.size(), 20001u) << "each row of the big transaction exactly once, then the marker";
  const int64_t txid = evs[0]["value"]["source"]["txid"].integer();
  for (int64_t i = 0; i < 20000; ++i) {
    const Json& e = evs[static_cast<size_t>(i)];
    ASSERT_EQ(rowId(e), i + 1) << "out of order or duplicated at index " << i << ": " << e.dump();
    ASSERT_EQ(e["op"].str(), "c");
    ASSERT_EQ(e["value"]["source"]["txid"].integer(), txid) << "one transaction, one txid";
  }
  EXPECT_EQ(rowId(evs.back()), 999999);
  EXPECT_NE(evs.back()["value"]["source"]["txid"].integer(), txid);
}

TEST_F(PostgresCdcTest, DomainColumnsMapByTheirBaseTypeInSnapshotAndStream) {
  ASSERT_TRUE(db_.exec("CREATE DOMAIN posint AS int CHECK (VALUE > 0);"
                       "CREATE DOMAIN tagged AS posint;"
                       "CREATE TABLE dom_t (id int PRIMARY KEY, p posint, q tagged);"
                       "INSERT INTO dom_t VALUES (1, 5, 6)"));
  runCdc("dom_slot", "\"snapshot_mode\":\"initial\"");
  ASSERT_TRUE(db_.exec("INSERT INTO dom_t VALUES (2, 7, 8)"));
  EventTail t = tail();
  ASSERT_TRUE(t.waitForRow("public.dom_t", 2));
  std::vector<Json> evs = ofTable(t.events(), "public.dom_t");
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0]["op"].str(), "r");
  for (const Json& e : evs) {
    EXPECT_TRUE(e["value"]["after"]["p"].isNumber()) << e.dump();
    EXPECT_TRUE(e["value"]["after"]["q"].isNumber()) << e.dump();
  }
  EXPECT_EQ(evs[1]["value"]["after"]["q"].integer(), 8);
}

TEST_F(PostgresCdcTest, StreamedTransactionSpilledToDiskDropsItsAbortedSubtransaction) {
  // Everything beyond 0 bytes goes to the temp file; a savepoint rolled back
  // after its rows were streamed must not reach the pipeline.
  ASSERT_TRUE(db_.exec("CREATE TABLE spill_t (id int PRIMARY KEY, pad text)"));
  runCdc("spill_slot", "\"max_transaction_memory_bytes\":0");
  ASSERT_TRUE(db_.exec("BEGIN;"
                       "INSERT INTO spill_t SELECT g, repeat('a', 40) FROM generate_series(1, 10000) g;"
                       "SAVEPOINT s;"
                       "INSERT INTO spill_t SELECT g, repeat('b', 40) FROM generate_series(50001, 60000) g;"
                       "ROLLBACK TO SAVEPOINT s;"
                       "INSERT INTO spill_t SELECT g, repeat('c', 40) FROM generate_series(10001, 20000) g;"
                       "COMMIT"));
  ASSERT_TRUE(db_.exec("INSERT INTO spill_t VALUES (999999, 'marker')"));
  EventTail t = tail();
  ASSERT_TRUE(t.waitForRow("public.spill_t", 999999, 60s));
  std::vector<Json> evs = ofTable(t.events(), "public.spill_t");
  ASSERT_EQ(evs.size(), 20001u) << "20000 committed rows once each, then the marker";
  for (int64_t i = 0; i < 20000; ++i) {
    ASSERT_EQ(rowId(evs[static_cast<size_t>(i)]), i + 1) << "at index " << i;
  }
  EXPECT_EQ(evs[0]["value"]["after"]["pad"].str(), std::string(40, 'a'));
  EXPECT_EQ(evs[19999]["value"]["after"]["pad"].str(), std::string(40, 'c'));
  EXPECT_NE(daemon_.log().find("temp file"), std::string::npos) << "the transaction should have been spilled";
}

TEST_F(PostgresCdcTest, SnapshotThenStreamingWithConcurrentWritesConvergesToTheTable) {
  constexpr int kRows = 20000;
  ASSERT_TRUE(db_.exec("CREATE TABLE snap_t (id int PRIMARY KEY, v int NOT NULL); "
                       "INSERT INTO snap_t SELECT g, 0 FROM generate_series(1, " + std::to_string(kRows) + ") g"));
  std::atomic<bool> stop{false};
  std::atomic<int64_t> ops{0};
  std::thread writer([&, conninfo = pg().conninfo(db_name_)] {
    PgConnection c(conninfo);
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> pick(1, kRows);
    int next_id = kRows + 1;
    while (!stop && c.ok()) {
      int kind = static_cast<int>(rng() % 3);
      std::string sql = kind == 0   ? "UPDATE snap_t SET v = v + 1 WHERE id = " + std::to_string(pick(rng))
                        : kind == 1 ? "INSERT INTO snap_t VALUES (" + std::to_string(next_id++) + ", 1)"
                                    : "DELETE FROM snap_t WHERE id = " + std::to_string(pick(rng));
      if (c.tryExec(sql)) {
        ++ops;
      }
    }
  });
  ASSERT_TRUE(pollUntil([&] { return ops.load() >= 50; }, 10s));
  std::string id = createCdc("snap", R"({"slot_name":"snap_slot","snapshot_mode":"initial",)"
                                     R"("include_tables":["public.snap_t"]})");
  HttpResponse started = api().post("/api/streams/" + id + "/start");
  EventTail t = tail();
  // Keep writing until streaming has visibly taken over from the snapshot.
  bool streaming = t.waitFor(
      [](const std::vector<Json>& evs) {
        size_t r = 0, after_r = 0;
        for (const Json& e : evs) {
          if (e["op"].str() == "r") {
            ++r;
            after_r = 0;
          } else {
            ++after_r;
          }
        }
        return r > 0 && after_r >= 200;
      },
      60s, "200 streamed events after the snapshot");
  stop = true;
  writer.join();
  ASSERT_EQ(started.status, 200) << started.describe();
  ASSERT_TRUE(streaming);
  ASSERT_TRUE(db_.exec("INSERT INTO snap_t VALUES (0, -1)"));
  // A deadline, not a speed check: under sanitizers the backlog of the writer takes a while.
  ASSERT_TRUE(t.waitForRow("public.snap_t", 0, 120s));

  std::map<int64_t, int64_t> folded;
  size_t snapshot_rows = 0;
  for (const Json& e : t.events()) {
    const Json& v = e["value"];
    const std::string op = e["op"].str();
    if (op == "r") {
      ++snapshot_rows;
      EXPECT_TRUE(v["before"].isNull() && v["source"]["snapshot"].boolean() && v["source"]["txid"].isNull())
          << e.dump();
    }
    if (op == "d") {
      folded.erase(v["before"]["id"].integer());
    } else {
      folded[v["after"]["id"].integer()] = v["after"]["v"].integer();
    }
  }
  std::map<int64_t, int64_t> table;
  for (const auto& row : db_.query("SELECT id, v FROM snap_t")) {
    table[std::stoll(*row[0])] = std::stoll(*row[1]);
  }
  EXPECT_GT(snapshot_rows, static_cast<size_t>(kRows) / 2);
  EXPECT_EQ(folded.size(), table.size());
  size_t diffs = 0;
  for (const auto& [k, v] : table) {
    auto it = folded.find(k);
    if (it == folded.end() || it->second != v) {
      if (++diffs <= 5) {
        ADD_FAILURE() << "id " << k << ": table v=" << v << ", events give "
                      << (it == folded.end() ? std::string("nothing") : std::to_string(it->second));
      }
    }
  }
  EXPECT_EQ(diffs, 0u) << "folding the events by key must give the table; " << ops.load() << " concurrent writes";
}

// ---------------------------------------------------------------------------
// Lifecycle and faults.

}  // namespace
}  // namespace streamhost::testing
