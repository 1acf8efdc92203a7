// mysql_cdc end to end against a real MariaDB: the connection test, config
// errors, the record envelope, snapshot then binlog, resume after stop and
// after SIGKILL, DDL between rows, include/exclude and fatal setups.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "integration/mysql_cdc_fixture.h"

namespace streamhost::testing {
namespace {

using namespace std::chrono_literals;

TEST_F(MysqlCdcTest, ConnectionTestSaysFlavourBinlogFormatGtidsAndGrants) {
  HttpResponse r = api().post("/api/connections/" + conn_ + "/test");
  ASSERT_EQ(r.status, 200) << r.describe();
  const Json& a = r.json["data"]["attributes"];
  EXPECT_TRUE(a["ok"].isBool() && a["ok"].boolean()) << r.describe();
  const std::string& m = a["message"].str();
  for (const char* sentence : {"Connected to MariaDB 10.", "The binlog is on.",
                               "binlog_format is ROW and binlog_row_image is FULL.", "GTIDs are on",
                               "The user root has the replication grants."}) {
    EXPECT_NE(m.find(sentence), std::string::npos) << sentence << " in: " << m;
  }
}

TEST_F(MysqlCdcTest, UserWithoutReplicationGrantsFailsTestAndStreamNamingTheGrant) {
  ASSERT_TRUE(my().exec("CREATE USER IF NOT EXISTS 'weak'@'%' IDENTIFIED BY 'pw'"));
  ASSERT_TRUE(my().exec("GRANT SELECT ON *.* TO 'weak'@'%'"));
  std::string weak = createConnection("weak", "weak", "pw");
  HttpResponse r = api().post("/api/connections/" + weak + "/test");
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_FALSE(r.json["data"]["attributes"]["ok"].boolean()) << r.describe();
  const std::string& m = r.json["data"]["attributes"]["message"].str();
  EXPECT_NE(m.find("lacks REPLICATION SLAVE, BINLOG MONITOR: run GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO "
                   "'weak'@'%'"),
            std::string::npos)
      << m;
  HttpResponse s = postStream("weak", R"({"snapshot_mode":"never"})", weak);
  ASSERT_EQ(s.status, 201) << s.describe();
  std::string id = s.json["data"]["id"].str();
  ASSERT_EQ(api().post("/api/streams/" + id + "/start").status, 200);
  EXPECT_TRUE(waitForErrorMentioning(id, "GRANT REPLICATION SLAVE"));
}

TEST_F(MysqlCdcTest, InvalidConfigIsA400NamingTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"snapshot_mode":"sometimes"})", "config.snapshot_mode"},
      {R"({"server_id":0})", "config.server_id"},
      {R"({"include_tables":["nodot"]})", "config.include_tables[0]"},
      {R"({"exclude_tables":[7]})", "config.exclude_tables"},
      {R"({"heartbeat_interval_ms":5})", "config.heartbeat_interval_ms"},
      {R"({"max_batch_rows":0})", "config.max_batch_rows"},
      {R"({"slot_name":"x"})", "config.slot_name"},
  };
  int n = 0;
  for (const auto& [config, field] : cases) {
    HttpResponse r = postStream("bad" + std::to_string(n++), config);
    EXPECT_EQ(r.status, 400) << config << ": " << r.describe();
    EXPECT_EQ(r.json["error"]["field"].str(), field) << config << ": " << r.describe();
  }
  // Connection keys: an unknown one is refused by the host, a bad value by the connection test.
  HttpResponse unknown = api().post("/api/connections", "{\"name\":\"typo\",\"type\":\"mysql\",\"config\":{"
                                                        "\"user\":\"u\",\"sslmode\":\"disabled\"}}");
  EXPECT_EQ(unknown.status, 400) << unknown.describe();
  EXPECT_EQ(unknown.json["error"]["field"].str(), "config.sslmode") << unknown.describe();
  HttpResponse c = api().post("/api/connections", "{\"name\":\"badssl\",\"type\":\"mysql\",\"config\":{\"user\":\"u\","
                                                  "\"ssl_mode\":\"sometimes\"}}");
  ASSERT_EQ(c.status, 201) << c.describe();
  HttpResponse t = api().post("/api/connections/" + c.json["data"]["id"].str() + "/test");
  EXPECT_FALSE(t.json["data"]["attributes"]["ok"].boolean()) << t.describe();
  EXPECT_NE(t.json["data"]["attributes"]["message"].str().find("ssl_mode"), std::string::npos) << t.describe();
}

TEST_F(MysqlCdcTest, InsertUpdateDeleteArriveAsEnvelopesInCommitOrder) {
  ASSERT_TRUE(db_.exec("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20), amount DECIMAL(8,2))"));
  std::string id = runCdc("ops");
  ASSERT_TRUE(db_.exec("INSERT INTO t VALUES (1, 'one', 1.50), (2, 'two', -2.25)"));
  ASSERT_TRUE(db_.exec("UPDATE t SET v = 'uno' WHERE id = 1"));
  ASSERT_TRUE(db_.exec("DELETE FROM t WHERE id = 2"));
  ASSERT_TRUE(db_.exec("INSERT INTO t VALUES (3, 'three', 0)"));
  MyTail tl = tail();
  ASSERT_TRUE(tl.waitForRow(table("t"), 3));
  auto evs = myOfTable(tl.events(), table("t"));
  ASSERT_EQ(evs.size(), 5u);
  EXPECT_EQ(evs[0]["op"].str(), "c");
  EXPECT_EQ(evs[0]["value"]["op"].str(), "c");
  EXPECT_TRUE(evs[0]["value"]["before"].isNull());
  EXPECT_EQ(evs[0]["value"]["after"]["amount"].str(), "1.50");
  EXPECT_EQ(evs[0]["key"].str(), "{\"id\":1}");
  const Json& src = evs[0]["value"]["source"];
  EXPECT_EQ(src["db"].str(), db_name_);
  EXPECT_EQ(src["table"].str(), "t");
  EXPECT_EQ(src["server_id"].integer(), 1);
  EXPECT_FALSE(src["snapshot"].boolean());
  EXPECT_NE(src["file"].str().find("mysql-bin."), std::string::npos) << src.dump();
  EXPECT_GT(src["pos"].integer(), 4);
  EXPECT_NE(src["gtid"].str().find("0-1-"), std::string::npos) << src.dump();
  EXPECT_GT(src["ts_ms"].integer(), 0);
  EXPECT_EQ(evs[1]["value"]["after"]["amount"].str(), "-2.25");
  EXPECT_EQ(evs[2]["value"]["op"].str(), "u");
  EXPECT_EQ(evs[2]["value"]["before"]["v"].str(), "one");
  EXPECT_EQ(evs[2]["value"]["after"]["v"].str(), "uno");
  EXPECT_EQ(evs[3]["value"]["op"].str(), "d");
  EXPECT_EQ(evs[3]["value"]["before"]["id"].integer(), 2);
  EXPECT_TRUE(evs[3]["value"]["after"].isNull());
  EXPECT_EQ(evs[4]["value"]["after"]["id"].integer(), 3);
  // Offsets name the binlog position, and grow.
  EXPECT_NE(evs[0]["offset"].str().find("mysql-bin."), std::string::npos) << evs[0].dump();
}

TEST_F(MysqlCdcTest, TableWithoutPrimaryKeyHasAnEmptyKeyAndDdlBetweenRowsDecodesByTheNewColumns) {
  ASSERT_TRUE(db_.exec("CREATE TABLE nopk (id INT, a VARCHAR(10))"));
  std::string id = runCdc("ddl");
  ASSERT_TRUE(db_.exec("INSERT INTO nopk VALUES (1, 'x')"));
  ASSERT_TRUE(db_.exec("ALTER TABLE nopk ADD COLUMN b INT UNSIGNED FIRST"));
  ASSERT_TRUE(db_.exec("INSERT INTO nopk VALUES (4294967295, 2, 'y')"));
  ASSERT_TRUE(db_.exec("ALTER TABLE nopk DROP COLUMN a"));
  ASSERT_TRUE(db_.exec("INSERT INTO nopk VALUES (7, 3)"));
  MyTail tl = tail();
  ASSERT_TRUE(tl.waitForRow(table("nopk"), 3));
  auto evs = myOfTable(tl.events(), table("nopk"));
  ASSERT_EQ(evs.size(), 3u);
  EXPECT_TRUE(evs[0]["key"].isNull() || evs[0]["key"].str().empty()) << evs[0].dump();
  EXPECT_EQ(evs[0]["value"]["after"].dump(), "{\"id\":1,\"a\":\"x\"}");
  EXPECT_EQ(evs[1]["value"]["after"].dump(), "{\"b\":4294967295,\"id\":2,\"a\":\"y\"}");
  EXPECT_EQ(evs[2]["value"]["after"].dump(), "{\"b\":7,\"id\":3}");
}

TEST_F(MysqlCdcTest, IncludeAndExcludeTablesFilterSnapshotAndStream) {
  ASSERT_TRUE(db_.exec("CREATE TABLE keep_a (id INT PRIMARY KEY)"));
  ASSERT_TRUE(db_.exec("CREATE TABLE keep_b (id INT PRIMARY KEY)"));
  ASSERT_TRUE(db_.exec("CREATE TABLE skip_c (id INT PRIMARY KEY)"));
  ASSERT_TRUE(db_.exec("INSERT INTO keep_a VALUES (1)"));
  ASSERT_TRUE(db_.exec("INSERT INTO skip_c VALUES (1)"));
  HttpResponse r = postStream("filter", "{\"include_tables\":[\"" + db_name_ + ".keep_*\",\"" + db_name_ +
                                            ".skip_c\"],\"exclude_tables\":[\"" + db_name_ + ".skip_*\"]}");
  ASSERT_EQ(r.status, 201) << r.describe();
  std::string id = r.json["data"]["id"].str();
  ASSERT_EQ(api().post("/api/streams/" + id + "/start").status, 200);
  MyTail tl = tail();
  ASSERT_TRUE(tl.waitForRow(table("keep_a"), 1));
  ASSERT_TRUE(db_.exec("INSERT INTO skip_c VALUES (2)"));
  ASSERT_TRUE(db_.exec("INSERT INTO keep_b VALUES (2)"));
  ASSERT_TRUE(tl.waitForRow(table("keep_b"), 2));
  for (const Json& e : tl.events()) {
    EXPECT_NE(myEventTable(e), table("skip_c")) << e.dump();
  }
  EXPECT_EQ(myOfTable(tl.events(), table("keep_a"))[0]["value"]["op"].str(), "r");
  // The snapshot's progress per included table, from the connector's gauges.
  Json snap;
  ASSERT_TRUE(pollUntil(
      [&] {
        snap = api().get("/api/streams/" + id + "/metrics").json["data"]["attributes"]["snapshot"];
        return snap["tables"].size() == 2 && snap["tables"][size_t{1}]["done"].boolean();
      },
      10s))
      << snap.dump();
  EXPECT_EQ(snap["tables"][size_t{0}]["table"].str(), table("keep_a")) << snap.dump();
  EXPECT_EQ(snap["tables"][size_t{0}]["rows_done"].integer(), 1) << snap.dump();
  EXPECT_TRUE(snap["tables"][size_t{0}]["done"].boolean()) << snap.dump();
  EXPECT_EQ(snap["tables"][size_t{1}]["table"].str(), table("keep_b")) << snap.dump();
  EXPECT_EQ(snap["tables"][size_t{1}]["rows_done"].integer(), 0) << snap.dump();
  EXPECT_EQ(snap["tables"][size_t{1}]["rows_total"].integer(), 0) << "a done table's total is what was read";
}

TEST_F(MysqlCdcTest, SnapshotOfRowsUnderConcurrentWritesThenBinlogFoldsToTheTable) {
  ASSERT_TRUE(db_.exec("CREATE TABLE snap (id BIGINT PRIMARY KEY, pad TEXT)"));
  std::string values;
  for (int i = 1; i <= 20000; ++i) {
    values += (i > 1 ? ",(" : "(") + std::to_string(-i) + ",'s')";
  }
  ASSERT_TRUE(db_.exec("INSERT INTO snap VALUES " + values));
  MyRowWriter writer(my(), db_name_, "snap", 20, false);
  ASSERT_TRUE(pollUntil([&] { return writer.committed() >= 200; }, 20s));
  HttpResponse r = postStream("snap", "{\"include_tables\":[\"" + db_name_ + ".snap\"]}");
  ASSERT_EQ(r.status, 201) << r.describe();
  std::string id = r.json["data"]["id"].str();
  ASSERT_EQ(api().post("/api/streams/" + id + "/start").status, 200);
  ASSERT_TRUE(db_.exec("UPDATE snap SET pad = 'changed' WHERE id = -5"));
  ASSERT_TRUE(db_.exec("DELETE FROM snap WHERE id = -6"));
  const int64_t before = writer.committed();
  ASSERT_TRUE(pollUntil([&] { return writer.committed() >= before + 400; }, 20s));
  writer.stop();
  ASSERT_TRUE(db_.exec("INSERT INTO snap VALUES (0, 'marker')"));
  MyTail tl = tail();
  ASSERT_TRUE(tl.waitForRow(table("snap"), 0, 60s));
  std::map<int64_t, std::string> folded;
  int64_t reads = 0;
  for (const Json& e : myOfTable(tl.events(), table("snap"))) {
    const Json& v = e["value"];
    reads += v["op"].str() == "r" ? 1 : 0;
    if (v["op"].str() == "d") {
      folded.erase(v["before"]["id"].integer());
    } else {
      folded[v["after"]["id"].integer()] = v["after"]["pad"].str();
    }
  }
  auto rows = db_.query("SELECT id, pad FROM snap ORDER BY id");
  std::map<int64_t, std::string> actual;
  for (const auto& row : rows) {
    actual[std::stoll(*row[0])] = row[1].value_or("");
  }
  EXPECT_GE(reads, 20000);
  EXPECT_EQ(folded.size(), actual.size());
  EXPECT_TRUE(folded == actual) << "folding the events by key must give the table";
}

// The same row read by the snapshot (a plain SELECT) and decoded from the
// binlog must give the same JSON, column by column, and match the table.
TEST_F(MysqlCdcTest, SnapshotAndBinlogDecodeEveryTypeToTheSameJson) {
  ASSERT_TRUE(db_.exec(
      "CREATE TABLE ty (id INT PRIMARY KEY, ti TINYINT, tu TINYINT UNSIGNED, bu BIGINT UNSIGNED, y YEAR,"
      " d DECIMAL(20,6), f FLOAT, db DOUBLE, bt BIT(12), dt DATE, tm TIME(6), dtm DATETIME(3), ts TIMESTAMP(6) NULL,"
      " c CHAR(4), vc VARCHAR(30), l1 TEXT CHARACTER SET latin1, bin BINARY(5), bl BLOB, e ENUM('x','y'),"
      " s SET('a','b','c'), j JSON, g GEOMETRY, n INT) DEFAULT CHARSET=utf8mb4"));
  const std::string values =
      "-7, 200, 9223372036854775807, 1999, -123456.000001, -0.3, 3.141592653589793, b'101', '9999-12-31',"
      " '-12:34:56.000001', '2020-02-02 20:20:20.202', '2001-01-01 01:01:01.000001', 'a', 'Grüße 🙂', 'Ærø',"
      " x'0a0b', x'00', 'y', 'a,c', '[1, 2.50, {\"k\": \"v\"}]', ST_GeomFromText('LINESTRING(0 0, 1 1)'), NULL";
  ASSERT_TRUE(db_.exec("SET time_zone = '+00:00'"));
  ASSERT_TRUE(db_.exec("INSERT INTO ty VALUES (1, " + values + ")"));
  HttpResponse r = postStream("types", "{\"include_tables\":[\"" + db_name_ + ".ty\"]}");
  ASSERT_EQ(r.status, 201) << r.describe();
  ASSERT_EQ(api().post("/api/streams/" + r.json["data"]["id"].str() + "/start").status, 200);
  MyTail tl = tail();
  ASSERT_TRUE(tl.waitForRow(table("ty"), 1));
  ASSERT_TRUE(db_.exec("INSERT INTO ty VALUES (2, " + values + ")"));
  ASSERT_TRUE(tl.waitForRow(table("ty"), 2));
  auto evs = myOfTable(tl.events(), table("ty"));
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0]["value"]["op"].str(), "r");
  EXPECT_EQ(evs[1]["value"]["op"].str(), "c");
  // Compared as the text the API serves, so number formats count too.
  const std::string body = eventsPage(api(), pipeline_, 0).body;
  std::vector<std::string> afters;
  for (size_t at = body.find("\"after\":"); at != std::string::npos; at = body.find("\"after\":", at + 1)) {
    size_t end = body.find(",\"source\":", at);
    afters.push_back(body.substr(at + 8, end - at - 8));
  }
  ASSERT_EQ(afters.size(), 2u) << body;
  std::string snap = afters[0];
  snap.replace(snap.find("\"id\":1"), 6, "\"id\":2");
  EXPECT_EQ(snap, afters[1]);
  const std::string& a = afters[1];
  for (std::string expected :
       {"\"bu\":9223372036854775807", "\"d\":\"-123456.000001\"", "\"f\":-0.30000001192092896", "\"bt\":5",
        "\"tm\":\"-12:34:56.000001\"", "\"dtm\":\"2020-02-02T20:20:20.202\"", "\"l1\":\"Ærø\"",
        "\"vc\":\"Grüße 🙂\"", "\"bin\":\"CgsAAAA=\"", "\"ts\":\"2001-01-01T01:01:01.000001Z\"",
        "\"s\":[\"a\",\"c\"]", "\"j\":[1, 2.50, {\"k\": \"v\"}]", "\"n\":null"}) {
    EXPECT_NE(a.find(expected), std::string::npos) << expected << " in " << a;
  }
  EXPECT_EQ(db_.scalar("SELECT CAST(f AS DOUBLE) FROM ty WHERE id = 2").value_or(""), "-0.30000001192092896");
}

TEST_F(MysqlCdcTest, MariaDbRestartDuringLoadLosesNothing) {
  ASSERT_TRUE(db_.exec("CREATE TABLE rs (id BIGINT PRIMARY KEY, pad TEXT)"));
  std::string id = runCdc("restart", R"("heartbeat_interval_ms":1000)");
  MyRowWriter writer(my(), db_name_, "rs", 20, true);
  ASSERT_TRUE(pollUntil([&] { return writer.committed() >= 1000; }, 20s)) << "writer stalled";
  ASSERT_TRUE(my().restart());
  const int64_t before = writer.committed();
  ASSERT_TRUE(pollUntil([&] { return writer.committed() >= before + 1000; }, 30s)) << "writer did not reconnect";
  ASSERT_TRUE(waitForStatus(api(), id, "running", 40s));
  writer.stop();
  db_ = my().connect(db_name_);
  ASSERT_TRUE(db_.ok()) << db_.error();
  ASSERT_TRUE(db_.exec("INSERT INTO rs VALUES (-1, 'marker')"));
  MyTail tl = tail();
  ASSERT_TRUE(tl.waitForRow(table("rs"), -1, 60s));
  EXPECT_TRUE(allRowsDelivered("rs", tl.events()));
}

TEST_F(MysqlCdcTest, HeartbeatsOnAQuietServerKeepTheStreamAndLagFallsToZero) {
  ASSERT_TRUE(db_.exec("CREATE TABLE hb (id INT PRIMARY KEY)"));
  ASSERT_TRUE(db_.exec("CREATE TABLE other (id INT PRIMARY KEY)"));
  std::string id = runCdc("hb", "\"include_tables\":[\"" + db_name_ + ".hb\"],\"heartbeat_interval_ms\":100");
  // Changes of an excluded table move the committed position all the same.
  ASSERT_TRUE(db_.exec("INSERT INTO other VALUES (1)"));
  auto end = my().query("SHOW MASTER STATUS");
  ASSERT_FALSE(end.empty());
  const std::string want = end[0][0].value_or("") + ":" + end[0][1].value_or("");
  ASSERT_TRUE(pollUntil([&] { return attributes(id)["committed_offset"].str().rfind(want, 0) == 0; }, 20s))
      << "committed " << attributes(id)["committed_offset"].str() << ", server at " << want;
  // Several heartbeat periods of silence: each heartbeat event is checked and taken in stride.
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_EQ(attributes(id)["status"].str(), "running") << attributes(id)["last_error"].dump();
  ASSERT_TRUE(db_.exec("INSERT INTO hb VALUES (7)"));
  MyTail tl = tail();
  ASSERT_TRUE(tl.waitForRow(table("hb"), 7));
  Json lag;
  EXPECT_TRUE(pollUntil(
      [&] {
        lag = api().get("/api/streams/" + id + "/metrics?window=1m").json["data"]["attributes"]["consumer_lag"];
        return lag["bytes"].isNumber() && lag["bytes"].integer() == 0;
      },
      20s))
      << lag.dump();
}

TEST_F(MysqlCdcTest, TwoStreamsOfThisHostCannotPresentTheSameServerId) {
  std::string first = runCdc("sid1", R"("server_id":4711)");
  HttpResponse r = postStream("sid2", R"({"snapshot_mode":"never","server_id":4711})");
  ASSERT_EQ(r.status, 201) << r.describe();
  std::string second = r.json["data"]["id"].str();
  ASSERT_EQ(api().post("/api/streams/" + second + "/start").status, 200);
  EXPECT_TRUE(waitForErrorMentioning(second, "server_id 4711 is already used by stream " + first));
  EXPECT_EQ(attributes(first)["status"].str(), "running");
  // Once the first lets go, the id is free again.
  ASSERT_EQ(api().post("/api/streams/" + first + "/stop").status, 200);
  ASSERT_EQ(api().post("/api/streams/" + second + "/start").status, 200);
  EXPECT_TRUE(waitForStatus(api(), second, "running", 30s));
}

TEST_F(MysqlCdcTest, ASavepointInsideATransactionDoesNotSplitIt) {
  ASSERT_TRUE(db_.exec("CREATE TABLE sp (id INT PRIMARY KEY)"));
  std::string id = runCdc("sp");
  ASSERT_TRUE(db_.exec("START TRANSACTION"));
  ASSERT_TRUE(db_.exec("INSERT INTO sp VALUES (1)"));
  ASSERT_TRUE(db_.exec("SAVEPOINT a"));
  ASSERT_TRUE(db_.exec("INSERT INTO sp VALUES (2)"));
  ASSERT_TRUE(db_.exec("ROLLBACK TO SAVEPOINT a"));
  ASSERT_TRUE(db_.exec("INSERT INTO sp VALUES (3)"));
  ASSERT_TRUE(db_.exec("COMMIT"));
  MyTail tl = tail();
  ASSERT_TRUE(tl.waitForRow(table("sp"), 3));
  auto evs = myOfTable(tl.events(), table("sp"));
  ASSERT_EQ(evs.size(), 2u) << "the rolled-back row is not in the binlog";
  // Both rows belong to one transaction: the second's offset counts it as row 2 of it.
  EXPECT_EQ(evs[0]["value"]["source"]["gtid"].str(), evs[1]["value"]["source"]["gtid"].str());
  EXPECT_NE(evs[1]["offset"].str().find("#2"), std::string::npos) << evs[1]["offset"].str();
}

TEST_F(MysqlCdcTest, StopThenStartResumesWithoutLossOrDuplicates) {
  ASSERT_TRUE(db_.exec("CREATE TABLE ss (id INT PRIMARY KEY)"));
  std::string id = runCdc("ss");
  for (int i = 1; i <= 100; i += 10) {
    std::string v;
    for (int k = i; k < i + 10; ++k) v += (k > i ? ",(" : "(") + std::to_string(k) + ")";
    ASSERT_TRUE(db_.exec("INSERT INTO ss VALUES " + v));
  }
  MyTail tl = tail();
  ASSERT_TRUE(tl.waitForRow(table("ss"), 100));
  HttpResponse stopped = api().post("/api/streams/" + id + "/stop");
  ASSERT_EQ(stopped.status, 200) << stopped.describe();
  EXPECT_NE(stopped.json["data"]["attributes"]["committed_offset"].str().find("mysql-bin."), std::string::npos)
      << stopped.describe();
  for (int i = 101; i <= 200; ++i) {
    ASSERT_TRUE(db_.exec("INSERT INTO ss VALUES (" + std::to_string(i) + ")"));
  }
  ASSERT_EQ(api().post("/api/streams/" + id + "/start").status, 200);
  ASSERT_TRUE(tl.waitForRow(table("ss"), 200));
  ASSERT_TRUE(db_.exec("INSERT INTO ss VALUES (1000)"));
  ASSERT_TRUE(tl.waitForRow(table("ss"), 1000));
  auto evs = myOfTable(tl.events(), table("ss"));
  ASSERT_EQ(evs.size(), 201u) << "each committed row exactly once across stop/start";
  for (size_t i = 0; i < 200; ++i) {
    EXPECT_EQ(myRowId(evs[i]), static_cast<int64_t>(i + 1));
  }
}

TEST_F(MysqlCdcTest, ATransactionOf100kRowsArrivesWholeAndOnce) {
  ASSERT_TRUE(db_.exec("CREATE TABLE big (id INT PRIMARY KEY, pad VARCHAR(20))"));
  std::string id = runCdc("big", R"("max_batch_rows":5000)");
  ASSERT_TRUE(db_.exec("INSERT INTO big SELECT seq, CONCAT('p', seq) FROM seq_1_to_100000"));
  // Waits on the head only and reads single events: parsing 100k events is
  // slow in a sanitized test binary and proves nothing more.
  ASSERT_TRUE(waitForHead(api(), pipeline_, 100000, 300s));
  auto at = [&](int64_t seq) {
    HttpResponse r = eventsPage(api(), pipeline_, static_cast<uint64_t>(seq - 1), 1);
    EXPECT_EQ(r.json["data"].size(), 1u) << r.describe();
    return r.json["data"][size_t{0}];
  };
  for (int64_t seq = 1; seq <= 100000; seq += 9973) {
    Json e = at(seq);
    EXPECT_EQ(myRowId(e), seq) << e.dump();
    EXPECT_EQ(myEventTable(e), table("big"));
  }
  // Every row of the transaction carries its index inside it, for a restart to skip.
  Json last = at(100000);
  EXPECT_EQ(myRowId(last), 100000);
  EXPECT_NE(last["offset"].str().find("#100000"), std::string::npos) << last["offset"].str();
  ASSERT_TRUE(db_.exec("INSERT INTO big VALUES (0, 'marker')"));
  ASSERT_TRUE(waitForHead(api(), pipeline_, 100001, 60s));
  EXPECT_EQ(myRowId(at(100001)), 0) << "exactly once: the marker follows the last row";
}

TEST_F(MysqlCdcTest, SigkillOfTheDaemonDuringLoadLosesNoCommittedRow) {
  ASSERT_TRUE(db_.exec("CREATE TABLE kill_t (id BIGINT PRIMARY KEY, pad TEXT)"));
  std::string id = runCdc("kill");
  MyRowWriter writer(my(), db_name_, "kill_t", 20, false);
  for (int k = 1; k <= 2; ++k) {
    const int64_t before = writer.committed();
    ASSERT_TRUE(pollUntil([&] { return writer.committed() >= before + 1000; }, 20s)) << "writer stalled";
    ASSERT_TRUE(daemon_.stop(SIGKILL)) << "kill " << k;
    ASSERT_TRUE(daemon_.start()) << "restart " << k;
    ASSERT_TRUE(waitForStatus(api(), id, "running", 30s)) << "after kill " << k;
  }
  const int64_t before = writer.committed();
  ASSERT_TRUE(pollUntil([&] { return writer.committed() >= before + 1000; }, 20s));
  writer.stop();
  EXPECT_EQ(writer.failures(), 0);
  ASSERT_TRUE(db_.exec("INSERT INTO kill_t VALUES (-1, 'marker')"));
  MyTail tl = tail();
  ASSERT_TRUE(tl.waitForRow(table("kill_t"), -1, 60s));
  int64_t duplicates = 0;
  EXPECT_TRUE(allRowsDelivered("kill_t", tl.events(), &duplicates));
  std::printf("[mysql-kill] rows=%lld duplicates=%lld\n", static_cast<long long>(writer.committed()),
              static_cast<long long>(duplicates));
}

TEST_F(MysqlCdcTest, StatementFormatAndMinimalRowImageAreErrorsSayingWhatToFix) {
  ASSERT_TRUE(my().exec("SET GLOBAL binlog_format = 'STATEMENT'"));
  HttpResponse r = api().post("/api/connections/" + conn_ + "/test");
  HttpResponse created = postStream("fmt", R"({"snapshot_mode":"never"})");
  ASSERT_EQ(created.status, 201) << created.describe();
  std::string id = created.json["data"]["id"].str();
  ASSERT_EQ(api().post("/api/streams/" + id + "/start").status, 200);
  EXPECT_TRUE(waitForErrorMentioning(id, "SET GLOBAL binlog_format = 'ROW'"));
  ASSERT_TRUE(my().exec("SET GLOBAL binlog_format = 'ROW'"));
  EXPECT_FALSE(r.json["data"]["attributes"]["ok"].boolean()) << r.describe();
  EXPECT_NE(r.json["data"]["attributes"]["message"].str().find("binlog_format is STATEMENT, not ROW"),
            std::string::npos)
      << r.describe();
  ASSERT_TRUE(my().exec("SET GLOBAL binlog_row_image = 'MINIMAL'"));
  ASSERT_EQ(api().post("/api/streams/" + id + "/stop").status, 200);
  ASSERT_EQ(api().post("/api/streams/" + id + "/start").status, 200);
  EXPECT_TRUE(waitForErrorMentioning(id, "binlog_row_image is MINIMAL, not FULL"));
  ASSERT_TRUE(my().exec("SET GLOBAL binlog_row_image = 'FULL'"));
}

TEST_F(MysqlCdcTest, APurgedBinlogIsAnErrorSayingWhatWasLostAndHowToResnapshot) {
  ASSERT_TRUE(db_.exec("CREATE TABLE p (id INT PRIMARY KEY)"));
  std::string id = runCdc("purge");
  ASSERT_TRUE(db_.exec("INSERT INTO p VALUES (1)"));
  MyTail tl = tail();
  ASSERT_TRUE(tl.waitForRow(table("p"), 1));
  ASSERT_TRUE(pollUntil([&] { return attributes(id)["committed_offset"].str().find(';') != std::string::npos; }, 10s));
  // Written while the stream is stopped, then purged: lost to the stream.
  std::string purged;
  ASSERT_TRUE(stopAndPurgeItsBinlog(id, &purged, [&] { ASSERT_TRUE(db_.exec("INSERT INTO p VALUES (2)")); }));
  ASSERT_EQ(api().post("/api/streams/" + id + "/start").status, 200);
  EXPECT_TRUE(waitForErrorMentioning(id, "was purged"));
  EXPECT_NE(attributes(id)["last_error"].str().find("snapshot_mode initial"), std::string::npos);
}

TEST_F(MysqlCdcTest, APurgedBinlogThatWasFullyReadResumesByGtid) {
  ASSERT_TRUE(db_.exec("CREATE TABLE pg (id INT PRIMARY KEY)"));
  std::string id = runCdc("purgegtid");
  ASSERT_TRUE(db_.exec("INSERT INTO pg VALUES (1)"));
  MyTail tl = tail();
  ASSERT_TRUE(tl.waitForRow(table("pg"), 1));
  ASSERT_TRUE(pollUntil([&] { return attributes(id)["committed_offset"].str().find(';') != std::string::npos; }, 10s));
  std::string file;
  ASSERT_TRUE(stopAndPurgeItsBinlog(id, &file));
  ASSERT_TRUE(db_.exec("INSERT INTO pg VALUES (2)"));
  ASSERT_EQ(api().post("/api/streams/" + id + "/start").status, 200);
  ASSERT_TRUE(tl.waitForRow(table("pg"), 2)) << attributes(id).dump();
  ASSERT_TRUE(db_.exec("INSERT INTO pg VALUES (3)"));
  ASSERT_TRUE(tl.waitForRow(table("pg"), 3));
  auto evs = myOfTable(tl.events(), table("pg"));
  ASSERT_EQ(evs.size(), 3u) << "each row once across the resume by GTID";
  for (size_t i = 0; i < evs.size(); ++i) {
    EXPECT_EQ(myRowId(evs[i]), static_cast<int64_t>(i + 1));
  }
  EXPECT_EQ(attributes(id)["status"].str(), "running");
  // The position moved on to a file that the server still has.
  const std::string offset = attributes(id)["committed_offset"].str();
  EXPECT_GT(offset.substr(0, offset.find(':')), file) << offset;
}

TEST_F(MysqlCdcTest, DeleteSaysThereIsNothingToReleaseAtTheSource) {
  std::string id = runCdc("del");
  HttpResponse r = api().del("/api/streams/" + id);
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_NE(r.body.find("nothing to release at the source"), std::string::npos) << r.describe();
}

TEST_F(MysqlCdcTest, TypedOffsetsNameTheBinlogPositionAndStartFollowsAPut) {
  ASSERT_TRUE(db_.exec("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))"));
  std::string id = runCdc("typed");
  MyTail tl = tail();
  ASSERT_TRUE(db_.exec("INSERT INTO t VALUES (1, 'one')"));
  ASSERT_TRUE(tl.waitForRow(table("t"), 1));
  ASSERT_EQ(api().post("/api/streams/" + id + "/stop").status, 200);
  const std::string path = "/api/streams/" + id + "/offsets";
  HttpResponse got = api().get(path);
  ASSERT_EQ(got.status, 200) << got.describe();
  const Json& pos = got.json["data"]["attributes"]["position"];
  EXPECT_NE(pos["file"].str().find("mysql-bin."), std::string::npos) << got.describe();
  EXPECT_GT(pos["position"].integer(), 4) << got.describe();

  ASSERT_TRUE(db_.exec("INSERT INTO t VALUES (2, 'skipped')"));
  auto status = my().query("SHOW MASTER STATUS");
  ASSERT_EQ(status.size(), 1u);
  std::string file = status[0][0].value_or("");
  std::string at = status[0][1].value_or("0");
  ASSERT_TRUE(db_.exec("INSERT INTO t VALUES (3, 'three')"));

  auto put = [&](const std::string& body) { return api().request("PUT", path, body); };
  HttpResponse gone = put(R"({"file":"mysql-bin.999999","position":4})");
  EXPECT_EQ(gone.status, 400) << gone.describe();
  EXPECT_EQ(gone.json["error"]["field"].str(), "file") << gone.describe();
  HttpResponse past = put("{\"file\":" + jsonQuote(file) + ",\"position\":999999999}");
  EXPECT_EQ(past.status, 400) << past.describe();
  EXPECT_EQ(past.json["error"]["field"].str(), "position") << past.describe();
  HttpResponse set = put("{\"file\":" + jsonQuote(file) + ",\"position\":" + at + "}");
  ASSERT_EQ(set.status, 200) << set.describe();
  EXPECT_EQ(set.json["data"]["attributes"]["position"]["position"].integer(), std::stoll(at));

  ASSERT_EQ(api().post("/api/streams/" + id + "/start").status, 200);
  ASSERT_TRUE(tl.waitForRow(table("t"), 3));
  for (const auto& e : myOfTable(tl.events(), table("t"))) {
    EXPECT_NE(myRowId(e), 2) << "a change before the position set was delivered: " << e.dump();
  }
}

/// The host checks every stream's source health each 200 ms.
class MysqlHealthTest : public MysqlCdcTest {
 protected:
  MysqlHealthTest() : MysqlCdcTest({"--set", "health.check_interval_ms=200"}) {}
  void SetUp() override {
    MysqlCdcTest::SetUp();
    expiry_ = my().scalar("SELECT @@GLOBAL.binlog_expire_logs_seconds").value_or("");
  }
  void TearDown() override {
    if (!expiry_.empty()) {
      my().exec("SET GLOBAL binlog_expire_logs_seconds = " + expiry_);
    }
    MysqlCdcTest::TearDown();
  }
  std::string expiry_;
};

// Changes written an hour and a half ago (by the session's clock) against an
// expiry of two hours: 75 % of it while the file is current, then 80 % and
// more once it is not.
TEST_F(MysqlHealthTest, APositionInTheOldestBinlogNearItsExpiryIsAWarning) {
  ASSERT_FALSE(expiry_.empty()) << "the server has no binlog_expire_logs_seconds";
  ASSERT_TRUE(db_.exec("CREATE TABLE e (id INT PRIMARY KEY)"));
  // PURGE keeps a file until the binlog checkpoint moved past it: flush and purge until one is left.
  std::string file;
  ASSERT_TRUE(pollUntil(
      [&] {
        my().exec("FLUSH BINARY LOGS");
        auto end = my().query("SHOW MASTER STATUS");
        file = end.empty() ? std::string() : end[0][0].value_or("");
        my().exec("PURGE BINARY LOGS TO '" + file + "'");
        return my().query("SHOW BINARY LOGS").size() == 1;
      },
      20s, 200ms))
      << "the older binlog files stay";
  ASSERT_TRUE(my().exec("SET GLOBAL binlog_expire_logs_seconds = 7200"));

  std::string id = runCdc("expiry");
  ASSERT_TRUE(db_.exec("SET timestamp = UNIX_TIMESTAMP() - 5400"));
  ASSERT_TRUE(db_.exec("INSERT INTO e VALUES (1)"));
  ASSERT_TRUE(db_.exec("SET timestamp = DEFAULT"));
  MyTail tl = tail();
  ASSERT_TRUE(tl.waitForRow(table("e"), 1));
  ASSERT_TRUE(pollUntil([&] { return attributes(id)["committed_offset"].str().find('@') != std::string::npos; }, 10s))
      << attributes(id).dump();
  ASSERT_EQ(api().post("/api/streams/" + id + "/stop").status, 200);

  // The oldest file is the current one, which the server never purges.
  Json a = attributesAfterAHealthCheck(api(), id);
  EXPECT_EQ(a["health"].str(), "ok") << a.dump();

  // 75 % of the expiry: still ok once the file is no longer current.
  ASSERT_TRUE(my().exec("SET GLOBAL binlog_expire_logs_seconds = 7200"));
  ASSERT_TRUE(my().exec("FLUSH BINARY LOGS"));
  a = attributesAfterAHealthCheck(api(), id);
  EXPECT_EQ(a["health"].str(), "ok") << a.dump();

  // 5400 s is 80 % of 6750 s.
  ASSERT_TRUE(my().exec("SET GLOBAL binlog_expire_logs_seconds = 6700"));
  a = attributesAfterAHealthCheck(api(), id);
  ASSERT_EQ(a["health"].str(), "warning") << a.dump();
  ASSERT_EQ(a["health_reasons"].size(), 1u) << a.dump();
  const std::string reason = a["health_reasons"][size_t{0}].str();
  EXPECT_NE(reason.find("Binlog file " + file), std::string::npos) << reason;
  EXPECT_NE(reason.find("binlog_expire_logs_seconds"), std::string::npos) << reason;
  EXPECT_NE(reason.find("may purge this one"), std::string::npos) << reason;
  HttpResponse s = api().get("/api/streams/summary");
  EXPECT_EQ(s.json["data"]["attributes"]["by_health"]["warning"].integer(), 1) << s.describe();

  HttpResponse off = api().get("/api/streams/" + id + "/offsets");
  ASSERT_EQ(off.status, 200) << off.describe();
  const Json& src = off.json["data"]["attributes"]["source"];
  EXPECT_EQ(src["oldest_file"].str(), file) << off.describe();
  EXPECT_EQ(src["position_file"].str(), file) << off.describe();
  EXPECT_EQ(src["expire_logs_seconds"].integer(), 6700) << off.describe();
  EXPECT_FALSE(src["position_time"].isNull()) << off.describe();

  // Past the expiry the warning says the next rotation purges the file.
  ASSERT_TRUE(my().exec("SET GLOBAL binlog_expire_logs_seconds = 5000"));
  a = attributesAfterAHealthCheck(api(), id);
  EXPECT_EQ(a["health"].str(), "warning") << a.dump();
  EXPECT_NE(a["health_reasons"][size_t{0}].str().find("at its next binlog rotation"), std::string::npos) << a.dump();

  // Read on: the position moves to the newer file and the warning ends.
  ASSERT_TRUE(my().exec("SET GLOBAL binlog_expire_logs_seconds = 7200"));
  ASSERT_EQ(api().post("/api/streams/" + id + "/start").status, 200);
  ASSERT_TRUE(db_.exec("INSERT INTO e VALUES (2)"));
  ASSERT_TRUE(tl.waitForRow(table("e"), 2));
  ASSERT_TRUE(pollUntil([&] { return attributes(id)["committed_offset"].str().rfind(file, 0) != 0; }, 10s));
  a = attributesAfterAHealthCheck(api(), id);
  EXPECT_EQ(a["health"].str(), "ok") << a.dump();
}

}  // namespace
}  // namespace streamhost::testing
