// After a power cut the store's committed offset (written without a sync) can
// lag the journal; the stream must resume after the journal's own last record.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>

#include "faults/fault_test_util.h"

namespace streamhost::testing {
namespace {

using namespace std::chrono_literals;

/// Runs `sql` on the daemon's store while the daemon is stopped.
void execOnStore(const DaemonHarness& d, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((d.dataDir() / "streamhost.db").c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

TEST(OffsetRecoveryTest, AStoredOffsetBehindTheJournalDoesNotRewindTheStream) {
  DaemonHarness d;
  ASSERT_TRUE(d.start());
  HttpClient c = d.client();
  const std::string pl = createPipeline(c, "p");
  const std::string gen = createDatagenStream(c, "gen", pl, R"({"rate_per_second":0,"max_records":3000})");
  ASSERT_EQ(c.post("/api/streams/" + gen + "/start").status, 200);
  ASSERT_TRUE(waitForHead(c, pl, 3000));
  ASSERT_TRUE(d.stop(SIGTERM));
  // As a power cut leaves it: the offset row is an older, unsynced version.
  execOnStore(d, "UPDATE streams SET committed_offset = '100', committed_seq = 100 WHERE id = '" + gen + "'");
  ASSERT_TRUE(d.start());
  c = d.client();
  ASSERT_TRUE(waitForStatus(c, gen, "running"));
  EXPECT_EQ(streamAttributes(c, gen)["committed_offset"].str(), "3000");
  std::this_thread::sleep_for(300ms);  // a rewound stream would append its repeats by now
  auto events = allEvents(c, pl);
  std::set<int64_t> seen;
  int duplicates = 0;
  for (const auto& e : events) {
    duplicates += seen.insert(eventN(e)).second ? 0 : 1;
  }
  EXPECT_EQ(duplicates, 0) << "the stream resumed from the store's stale offset";
  EXPECT_EQ(events.size(), 3000u);
}

}  // namespace
}  // namespace streamhost::testing
