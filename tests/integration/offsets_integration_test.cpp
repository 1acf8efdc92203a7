// Typed offsets (GET/PUT/DELETE /api/streams/{id}/offsets) against a real
// streamhostd: datagen, a type without offsets (webhook), and postgres_cdc on
// a real PostgreSQL, including its lag budget and the three budget actions.
#include <gtest/gtest.h>

#include <string>

#include "integration/pg_cdc_fixture.h"
#include "integration/stream_test_helpers.h"

namespace streamhost::testing {
namespace {

HttpResponse putOffsets(const HttpClient& c, const std::string& id, const std::string& body) {
  return c.request("PUT", "/api/streams/" + id + "/offsets", body);
}

void expectError(const HttpResponse& r, int status, const std::string& code, const std::string& field = {},
                 const std::string& message_part = {}) {
  EXPECT_EQ(r.status, status) << r.describe();
  EXPECT_EQ(r.errorCode(), code) << r.describe();
  if (!field.empty()) {
    EXPECT_EQ(r.json["error"]["field"].str(), field) << r.describe();
  }
  if (!message_part.empty()) {
    EXPECT_NE(r.json["error"]["message"].str().find(message_part), std::string::npos) << r.describe();
  }
}

/// The first event of `stream` in the pipeline after seq `after`, waiting for it.
Json firstEventAfter(const HttpClient& c, const std::string& pipeline, uint64_t after) {
  Json first;
  pollUntil(
      [&] {
        HttpResponse r = eventsPage(c, pipeline, after, 1);
        if (r.status == 200 && r.json["data"].size() > 0) {
          first = r.json["data"][size_t{0}];
          return true;
        }
        return false;
      },
      std::chrono::seconds(10));
  return first;
}

class OffsetsTest : public ::testing::Test {
 protected:
  OffsetsTest() : daemon_(DaemonOptions{{"--set", "health.check_interval_ms=100"}}) {}
  void SetUp() override {
    ASSERT_TRUE(daemon_.start());
    pipeline_ = createPipeline(api(), "offsets");
  }
  void TearDown() override { daemon_.printLogIfFailed(); }
  HttpClient api() const { return daemon_.client(); }

  DaemonHarness daemon_;
  std::string pipeline_;
};

TEST_F(OffsetsTest, DatagenOffsetsAreReadSetAndResetAndStartFollowsThem) {
  std::string id = createDatagenStream(api(), "gen", pipeline_, "{\"rate_per_second\":200,\"max_records\":0}");
  HttpResponse got = api().get("/api/streams/" + id + "/offsets");
  ASSERT_EQ(got.status, 200) << got.describe();
  EXPECT_EQ(got.json["data"]["type"].str(), "stream_offsets");
  EXPECT_TRUE(got.json["data"]["attributes"]["position"].isNull()) << got.describe();
  EXPECT_TRUE(got.json["data"]["attributes"]["offset_changed_at"].isNull());
  EXPECT_EQ(api().get("/v1/api/streams/" + id + "/offsets").status, 200);

  // Refused forms name the field.
  expectError(putOffsets(api(), id, "{\"n\":-1}"), 400, "validation_error", "n");
  expectError(putOffsets(api(), id, "{\"n\":\"7\"}"), 400, "validation_error", "n");
  expectError(putOffsets(api(), id, "{\"n\":1,\"m\":2}"), 400, "validation_error", "m");
  expectError(putOffsets(api(), id, "[1]"), 400, "validation_error", "body");
  expectError(putOffsets(api(), id, ""), 400, "validation_error", "body");

  HttpResponse put = putOffsets(api(), id, "{\"n\":100}");
  ASSERT_EQ(put.status, 200) << put.describe();
  EXPECT_EQ(put.json["data"]["attributes"]["position"]["n"].integer(), 100);
  EXPECT_TRUE(put.json["meta"]["previous"].isNull());
  EXPECT_FALSE(put.json["data"]["attributes"]["offset_changed_at"].isNull());
  EXPECT_FALSE(api().get("/api/streams/" + id).json["data"]["attributes"]["offset_changed_at"].isNull());
  EXPECT_TRUE(daemon_.log().find("stream offset set id=" + id + " key=admin old=null new={\"n\":100}") != std::string::npos);

  // Start delivers from the record after the position set.
  ASSERT_EQ(api().post("/api/streams/" + id + "/start").status, 200);
  Json first = firstEventAfter(api(), pipeline_, 0);
  EXPECT_EQ(first["value"]["n"].integer(), 101) << first.dump();

  // Not while it runs.
  expectError(putOffsets(api(), id, "{\"n\":5}"), 409, "invalid_state", "", "only while created, stopped or paused");
  expectError(api().del("/api/streams/" + id + "/offsets"), 409, "invalid_state");

  // Paused: set, then resume reads from the new position.
  ASSERT_EQ(api().post("/api/streams/" + id + "/pause").status, 200);
  ASSERT_TRUE(waitForStatus(api(), id, "paused"));
  HttpResponse paused_put = putOffsets(api(), id, "{\"n\":5000}");
  ASSERT_EQ(paused_put.status, 200) << paused_put.describe();
  EXPECT_GE(paused_put.json["meta"]["previous"]["n"].integer(), 101);
  uint64_t head = static_cast<uint64_t>(headSeq(api(), pipeline_));
  ASSERT_EQ(api().post("/api/streams/" + id + "/resume").status, 200);
  EXPECT_EQ(firstEventAfter(api(), pipeline_, head)["value"]["n"].integer(), 5001);

  // Reset: from the first record again.
  ASSERT_EQ(api().post("/api/streams/" + id + "/stop").status, 200);
  HttpResponse reset = api().del("/api/streams/" + id + "/offsets");
  ASSERT_EQ(reset.status, 200) << reset.describe();
  EXPECT_TRUE(reset.json["data"]["attributes"]["position"].isNull());
  EXPECT_GE(reset.json["meta"]["previous"]["n"].integer(), 5001);
  head = static_cast<uint64_t>(headSeq(api(), pipeline_));
  ASSERT_EQ(api().post("/api/streams/" + id + "/start").status, 200);
  EXPECT_EQ(firstEventAfter(api(), pipeline_, head)["value"]["n"].integer(), 1);
}

TEST_F(OffsetsTest, ATypeWithoutOffsetsAnswers501) {
  HttpResponse created = api().post("/api/streams", "{\"name\":\"hook\",\"sourceType\":\"webhook\",\"pipelineId\":" +
                                                        jsonQuote(pipeline_) +
                                                        ",\"config\":{\"auth\":{\"scheme\":\"none\"}}}");
  ASSERT_EQ(created.status, 201) << created.describe();
  std::string id = created.json["data"]["id"].str();
  HttpResponse got = api().get("/api/streams/" + id + "/offsets");
  expectError(got, 501, "not_implemented", "", "typed offsets");
  expectError(putOffsets(api(), id, "{\"x\":1}"), 501, "not_implemented");
  expectError(api().get("/api/streams/str_00000000000000000000000000/offsets"), 404, "not_found");
}

TEST_F(OffsetsTest, SummaryCountsStreamsByHealth) {
  std::string id = createDatagenStream(api(), "quiet", pipeline_, "{\"rate_per_second\":10}");
  ASSERT_EQ(api().post("/api/streams/" + id + "/start").status, 200);
  // A source that does not report its health is not a warning, however often it is checked.
  EXPECT_FALSE(pollUntil(
      [&] { return api().get("/api/streams/" + id).json["data"]["attributes"]["health"].str() != "ok"; },
      std::chrono::milliseconds(1500)));
  Json a = api().get("/api/streams/" + id).json["data"]["attributes"];
  EXPECT_EQ(a["health_reasons"].size(), 0u) << a.dump();
  EXPECT_TRUE(a["position_age_seconds"].isNumber() || a["committed_offset"].isNull()) << a.dump();
  HttpResponse s = api().get("/api/streams/summary");
  ASSERT_EQ(s.status, 200) << s.describe();
  EXPECT_EQ(s.json["data"]["attributes"]["by_health"]["ok"].integer(), 1) << s.describe();
  EXPECT_EQ(s.json["data"]["attributes"]["by_health"]["warning"].integer(), 0);
  EXPECT_EQ(s.json["data"]["attributes"]["by_health"]["critical"].integer(), 0);
}

/// PostgreSQL with max_slot_wal_keep_size set; a daemon that checks source
/// health every 200 ms.
class PgOffsetsTest : public PgCdcFixture {
 protected:
  PgOffsetsTest()
      : PgCdcFixture(DaemonOptions{{"--set", "limits.api_requests_per_second=0", "--set",
                                    "health.check_interval_ms=200"}}) {}
  static void SetUpTestSuite() {
    PgServerOptions o = sharedPgOptions();
    o.settings.push_back({"max_slot_wal_keep_size", "1GB"});
    startSuiteServer(server_, o);
  }
  static void TearDownTestSuite() { server_.reset(); }
  PgServer* server() override { return server_.get(); }

  /// About `kib` KiB of WAL in transactions of about 64 KiB.
  void writeWal(int kib) {
    for (int done = 0; done < kib; done += 64) {
      ASSERT_TRUE(db_.exec("INSERT INTO load (pad) SELECT repeat('x', 1000) FROM generate_series(1, 64)"));
    }
  }
  bool slotExists(const std::string& slot) { return slotState(db_, slot).has_value(); }

  static inline std::unique_ptr<PgServer> server_;
};

TEST_F(PgOffsetsTest, PutThenStartDeliversFromExactlyThatLsn) {
  ASSERT_TRUE(db_.exec("CREATE TABLE t (id int PRIMARY KEY, v text)"));
  std::string id = runCdc("off_put");
  ASSERT_FALSE(id.empty());
  EventTail events = tail();
  ASSERT_TRUE(db_.exec("INSERT INTO t VALUES (1, 'a')"));
  ASSERT_TRUE(events.waitForRow("public.t", 1));
  ASSERT_EQ(api().post("/api/streams/" + id + "/stop").status, 200);

  HttpResponse got = api().get("/api/streams/" + id + "/offsets");
  ASSERT_EQ(got.status, 200) << got.describe();
  const Json& a = got.json["data"]["attributes"];
  EXPECT_TRUE(a["position"]["lsn"].isString()) << got.describe();
  EXPECT_EQ(a["source"]["slot_name"].str(), "off_put");
  EXPECT_TRUE(a["source"]["slot_exists"].boolean());
  EXPECT_TRUE(a["source"]["confirmed_flush_lsn"].isString()) << got.describe();
  EXPECT_TRUE(a["source"]["current_lsn"].isString());

  ASSERT_TRUE(db_.exec("INSERT INTO t VALUES (2, 'skipped')"));
  std::string lsn = db_.scalar("SELECT pg_current_wal_lsn()::text").value_or("");
  ASSERT_TRUE(db_.exec("INSERT INTO t VALUES (3, 'b')"));
  ASSERT_TRUE(db_.exec("INSERT INTO t VALUES (4, 'c')"));

  expectError(putOffsets(api(), id, "{\"lsn\":\"0/1\"}"), 400, "validation_error", "lsn", "cannot be replayed");
  expectError(putOffsets(api(), id, "{\"lsn\":\"nonsense\"}"), 400, "validation_error", "lsn");
  expectError(putOffsets(api(), id, "{\"lsn\":\"FFF/0\"}"), 400, "validation_error", "lsn", "ahead of");
  expectError(putOffsets(api(), id, "{\"lsn\":\"0/1\",\"slot\":1}"), 400, "validation_error", "slot");
  HttpResponse put = putOffsets(api(), id, "{\"lsn\":" + jsonQuote(lsn) + "}");
  ASSERT_EQ(put.status, 200) << put.describe();
  EXPECT_EQ(put.json["data"]["attributes"]["position"]["lsn"].str(), lsn);
  EXPECT_EQ(put.json["meta"]["previous"]["lsn"].str(), a["position"]["lsn"].str());

  ASSERT_TRUE(startCdc(id, "off_put"));
  ASSERT_TRUE(events.waitForRow("public.t", 4));
  for (const auto& e : events.events()) {
    EXPECT_NE(rowId(e), 2) << "a change before the position set was delivered: " << e.dump();
  }
  expectError(putOffsets(api(), id, "{\"lsn\":" + jsonQuote(lsn) + "}"), 409, "invalid_state");

  // Reset drops the slot; the next start takes a new one.
  ASSERT_EQ(api().post("/api/streams/" + id + "/stop").status, 200);
  HttpResponse reset = api().del("/api/streams/" + id + "/offsets");
  ASSERT_EQ(reset.status, 200) << reset.describe();
  EXPECT_EQ(reset.json["meta"]["released"][size_t{0}].str(), "dropped replication slot off_put");
  EXPECT_TRUE(reset.json["data"]["attributes"]["position"].isNull());
  EXPECT_FALSE(slotExists("off_put"));
  EXPECT_TRUE(daemon_.log().find("stream offset reset id=" + id) != std::string::npos);
  ASSERT_TRUE(startCdc(id, "off_put"));
}

TEST_F(PgOffsetsTest, ConnectionTestReportsMaxSlotWalKeepSize) {
  HttpResponse r = api().post("/api/connections/" + conn_ + "/test");
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_NE(r.body.find("max_slot_wal_keep_size is 1GB"), std::string::npos) << r.describe();
}

TEST_F(PgOffsetsTest, PausedStreamOverItsBudgetWarnsThenGoesToError) {
  ASSERT_TRUE(db_.exec("CREATE TABLE load (id serial PRIMARY KEY, pad text)"));
  std::string id = runCdc("budget_err", "\"max_slot_lag_bytes\":4194304");
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(api().post("/api/streams/" + id + "/pause").status, 200);
  ASSERT_TRUE(waitForStatus(api(), id, "paused"));

  Json a = attributesAfterAHealthCheck(api(), id);
  EXPECT_EQ(a["health"].str(), "ok") << a.dump();
  // Half the budget at once, then step up to the warning zone (80 % of 4 MiB),
  // checking after each step.
  writeWal(2048);
  bool warned = false;
  for (int step = 0; step < 80 && !warned; ++step) {
    writeWal(64);
    a = attributesAfterAHealthCheck(api(), id);
    ASSERT_NE(a["status"].str(), "error") << "went past the warning: " << a.dump();
    warned = a["health"].str() == "warning";
  }
  ASSERT_TRUE(warned) << a.dump();
  EXPECT_NE(a["health_reasons"][size_t{0}].str().find("max_slot_lag_bytes"), std::string::npos) << a.dump();
  EXPECT_GE(a["source_retained_bytes"].integer(), 4194304 * 8 / 10);
  EXPECT_EQ(a["source_budget_bytes"].integer(), 4194304);
  HttpResponse s = api().get("/api/streams/summary");
  EXPECT_EQ(s.json["data"]["attributes"]["by_health"]["warning"].integer(), 1) << s.describe();

  writeWal(2048);
  ASSERT_TRUE(waitForErrorMentioning(api(), id, "lag budget is exceeded"));
  a = attributes(id);
  EXPECT_NE(a["last_error"].str().find("Ways out"), std::string::npos) << a.dump();
  EXPECT_NE(a["last_error"].str().find("bytes"), std::string::npos) << a.dump();
  EXPECT_EQ(a["health"].str(), "critical");
  s = api().get("/api/streams/summary");
  EXPECT_EQ(s.json["data"]["attributes"]["by_health"]["critical"].integer(), 1) << s.describe();
  EXPECT_TRUE(slotExists("budget_err")) << "the error action keeps the slot";
}

TEST_F(PgOffsetsTest, ResumeActionResumesAPausedStream) {
  ASSERT_TRUE(db_.exec("CREATE TABLE load (id serial PRIMARY KEY, pad text)"));
  std::string id = runCdc("budget_resume", "\"max_slot_lag_bytes\":2097152,\"on_lag_budget_exceeded\":\"resume\"");
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(api().post("/api/streams/" + id + "/pause").status, 200);
  ASSERT_TRUE(waitForStatus(api(), id, "paused"));
  writeWal(3072);
  ASSERT_TRUE(waitForStatus(api(), id, "running", std::chrono::seconds(20)));
  // Reading again lets the slot advance below the budget.
  EventTail events = tail();
  ASSERT_TRUE(events.waitFor([](const std::vector<Json>& evs) { return evs.size() >= 3072 / 64 * 64; },
                             std::chrono::seconds(30), "the load's rows"));
}

TEST_F(PgOffsetsTest, DropSlotActionCatchesAStoppedStream) {
  ASSERT_TRUE(db_.exec("CREATE TABLE load (id serial PRIMARY KEY, pad text)"));
  std::string id = runCdc("budget_drop", "\"max_slot_lag_bytes\":2097152,\"on_lag_budget_exceeded\":\"drop_slot\"");
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(api().post("/api/streams/" + id + "/stop").status, 200);
  ASSERT_TRUE(waitForStatus(api(), id, "stopped"));
  ASSERT_TRUE(pollUntil([&] { return slotState(db_, "budget_drop") && !slotState(db_, "budget_drop")->first; },
                        std::chrono::seconds(10)));
  writeWal(3072);
  ASSERT_TRUE(pollUntil([&] { return !slotExists("budget_drop"); }, std::chrono::seconds(20)))
      << "pg_replication_slots still has budget_drop: " << attributes(id).dump();
  Json a;
  EXPECT_TRUE(pollUntil(
      [&] {
        a = attributes(id);
        return a["last_error"].str().find("new snapshot") != std::string::npos;
      },
      std::chrono::seconds(10)))
      << a.dump();
  EXPECT_EQ(a["status"].str(), "stopped") << a.dump();
  EXPECT_TRUE(a["committed_offset"].isNull()) << a.dump();
  EXPECT_TRUE(daemon_.log().find("lag budget exceeded; source position released") != std::string::npos);
  // The next start makes a new slot.
  ASSERT_TRUE(startCdc(id, "budget_drop"));
}

}  // namespace
}  // namespace streamhost::testing
