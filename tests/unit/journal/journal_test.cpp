#include "journal/journal.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "journal/frame_codec.h"
#include "support/temp_dir.h"
#include "unit/journal/journal_test_util.h"

namespace streamhost::journal {
namespace {

using testutil::fastOptions;
using testutil::makeRecords;

JournalPtr openOrDie(const std::filesystem::path& dir, JournalOptions opts = fastOptions()) {
  auto j = Journal::open(dir, std::move(opts));
  EXPECT_TRUE(j.isOk()) << j.status().toString();
  return j.isOk() ? std::move(*j) : nullptr;
}

size_t countFiles(const std::filesystem::path& dir, const std::string& ext) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    n += e.path().extension() == ext ? 1 : 0;
  }
  return n;
}

TEST(JournalTest, AppendAssignsContiguousSeqsAndReadReturnsThemInOrder) {
  testing::TempDir dir;
  auto j = openOrDie(dir.path());
  auto a = j->appendDurable("str_a", makeRecords(3, 1));
  auto b = j->appendDurable("str_b", makeRecords(2, 4));
  ASSERT_TRUE(a.isOk() && b.isOk());
  EXPECT_EQ(a->first, 1u);
  EXPECT_EQ(a->last, 3u);
  EXPECT_EQ(b->first, 4u);
  EXPECT_EQ(b->last, 5u);

  auto r = j->read(0, 100, 1 << 20);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  ASSERT_EQ(r->entries.size(), 5u);
  EXPECT_EQ(r->head_seq, 5u);
  EXPECT_EQ(r->oldest_seq, 1u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(r->entries[i].seq, i + 1);
    EXPECT_EQ(r->entries[i].record.key, "k" + std::to_string(i + 1));
    EXPECT_EQ(r->entries[i].record.offset, "lsn/" + std::to_string(i + 1));
  }
  EXPECT_EQ(r->entries[0].stream_id, "str_a");
  EXPECT_EQ(r->entries[4].stream_id, "str_b");
}

TEST(JournalTest, ReadHonoursAfterLimitAndMaxBytes) {
  testing::TempDir dir;
  auto j = openOrDie(dir.path());
  ASSERT_TRUE(j->appendDurable("s", makeRecords(10, 1, 100)).isOk());
  auto r = j->read(3, 4, 1 << 20);
  ASSERT_TRUE(r.isOk());
  ASSERT_EQ(r->entries.size(), 4u);
  EXPECT_EQ(r->entries.front().seq, 4u);
  EXPECT_EQ(r->entries.back().seq, 7u);
  // A tiny byte budget still returns one record, so a reader always makes progress.
  auto one = j->read(0, 10, 1);
  ASSERT_TRUE(one.isOk());
  ASSERT_EQ(one->entries.size(), 1u);
  // The budget counts record data (key, value, offset, headers): 111 bytes each here.
  auto three = j->read(0, 10, 350);
  ASSERT_TRUE(three.isOk());
  EXPECT_EQ(three->entries.size(), 3u);
  auto none = j->read(10, 10, 1 << 20);
  ASSERT_TRUE(none.isOk());
  EXPECT_TRUE(none->entries.empty());
  EXPECT_EQ(none->head_seq, 10u);
}

TEST(JournalTest, SeeksAcrossSegmentRolls) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.segment_bytes = 2048;
  auto j = openOrDie(dir.path(), o);
  for (uint64_t i = 0; i < 40; ++i) {
    ASSERT_TRUE(j->appendDurable("s", makeRecords(5, i * 5 + 1, 60)).isOk());
  }
  EXPECT_GT(j->stats().segments, 5u);
  EXPECT_EQ(countFiles(dir.path(), ".seg"), j->stats().segments);
  for (uint64_t after : {0u, 1u, 57u, 99u, 150u, 199u}) {
    auto r = j->read(after, 7, 1 << 20);
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    ASSERT_EQ(r->entries.size(), std::min<uint64_t>(7, 200 - after)) << after;
    for (size_t i = 0; i < r->entries.size(); ++i) {
      EXPECT_EQ(r->entries[i].seq, after + 1 + i);
      EXPECT_EQ(r->entries[i].record.key, "k" + std::to_string(after + 1 + i));
    }
  }
  // One read can span every segment.
  auto all = j->read(0, 1000, 1 << 30);
  ASSERT_TRUE(all.isOk());
  ASSERT_EQ(all->entries.size(), 200u);
  EXPECT_EQ(all->entries.back().seq, 200u);
  j->close();
  // Sealed segments carry a sidecar index; the active one does not.
  EXPECT_EQ(countFiles(dir.path(), ".idx"), countFiles(dir.path(), ".seg") - 1);
}

TEST(JournalTest, ReopenAfterCloseContinuesSequence) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.segment_bytes = 2048;
  {
    auto j = openOrDie(dir.path(), o);
    ASSERT_TRUE(j->append("s", makeRecords(50, 1, 40), nullptr).isOk());
    j->close();
    j->close();  // idempotent
    EXPECT_EQ(j->headSeq(), 50u);
    EXPECT_EQ(j->append("s", makeRecords(1), nullptr).status().code(), StatusCode::kInvalidState);
  }
  auto j = openOrDie(dir.path(), o);
  EXPECT_TRUE(j->recoveryReport().clean()) << j->recoveryReport().toString();
  EXPECT_EQ(j->recoveryReport().records_kept, 50u);
  // Only the active segment is scanned when sidecars are intact.
  EXPECT_EQ(j->recoveryReport().segments_scanned, 1u);
  EXPECT_EQ(j->headSeq(), 50u);
  auto next = j->appendDurable("s", makeRecords(2, 51));
  ASSERT_TRUE(next.isOk());
  EXPECT_EQ(next->first, 51u);
  auto r = j->read(45, 100, 1 << 20);
  ASSERT_TRUE(r.isOk());
  ASSERT_EQ(r->entries.size(), 7u);
  EXPECT_EQ(r->entries.back().record.key, "k52");
}

TEST(JournalTest, DurableCallbacksFireOnceInAppendOrder) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.group_commit_delay = std::chrono::milliseconds(1);
  auto j = openOrDie(dir.path(), o);
  std::mutex mu;
  std::vector<uint64_t> seen;
  std::vector<SeqRange> given;
  for (int i = 0; i < 200; ++i) {
    auto r = j->append("s", makeRecords(1 + i % 3), [&](const Status& s, SeqRange range) {
      EXPECT_TRUE(s.isOk());
      std::lock_guard<std::mutex> lk(mu);
      seen.push_back(range.first);
    });
    ASSERT_TRUE(r.isOk());
    given.push_back(*r);
  }
  ASSERT_TRUE(j->flush().isOk());
  std::lock_guard<std::mutex> lk(mu);
  ASSERT_EQ(seen.size(), given.size());
  for (size_t i = 0; i < given.size(); ++i) {
    EXPECT_EQ(seen[i], given[i].first);
  }
}

TEST(JournalTest, GroupCommitSyncsManyAppendsAtOnce) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.group_commit_delay = std::chrono::milliseconds(2);
  auto j = openOrDie(dir.path(), o);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100;
  std::atomic<int> durable{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        ASSERT_TRUE(j->append("s", makeRecords(1), [&](const Status& s, SeqRange) {
                       EXPECT_TRUE(s.isOk());
                       durable++;
                     }).isOk());
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  ASSERT_TRUE(j->flush().isOk());
  EXPECT_EQ(durable.load(), kThreads * kPerThread);
  const auto st = j->stats();
  EXPECT_EQ(st.appends, uint64_t(kThreads * kPerThread));
  EXPECT_LT(st.syncs * 5, st.appends) << "syncs=" << st.syncs;
  EXPECT_EQ(st.head_seq, uint64_t(kThreads * kPerThread));
}

TEST(JournalTest, ReadersNeverSeeRecordsBeforeTheyAreDurable) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  std::mutex gate;
  std::unique_lock<std::mutex> hold(gate);
  std::atomic<bool> first_sync_seen{false};
  o.before_sync_for_test = [&] {
    first_sync_seen = true;
    std::lock_guard<std::mutex> lk(gate);
  };
  auto j = openOrDie(dir.path(), o);
  ASSERT_TRUE(j->append("s", makeRecords(3), nullptr).isOk());
  auto r = j->read(0, 10, 1 << 20);
  ASSERT_TRUE(r.isOk());
  EXPECT_TRUE(r->entries.empty());
  EXPECT_EQ(r->head_seq, 0u);
  EXPECT_FALSE(j->waitForData(0, std::chrono::milliseconds(20)));
  hold.unlock();
  EXPECT_TRUE(j->waitForData(0, std::chrono::seconds(10)));
  EXPECT_EQ(j->read(0, 10, 1 << 20)->entries.size(), 3u);
}

TEST(JournalTest, WaitForDataWakesOnAppendAndTimesOutOtherwise) {
  testing::TempDir dir;
  auto j = openOrDie(dir.path());
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(j->waitForData(0, std::chrono::milliseconds(50)));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(45));

  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(j->append("s", makeRecords(1), nullptr).isOk());
  });
  t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(j->waitForData(0, std::chrono::seconds(30)));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  writer.join();
  EXPECT_FALSE(j->waitForData(1, std::chrono::milliseconds(10)));
}

TEST(JournalTest, TryAppendReportsBackpressureWhileSyncIsHeld) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.max_pending_bytes = 1024;
  std::mutex gate;
  std::unique_lock<std::mutex> hold(gate);
  o.before_sync_for_test = [&] { std::lock_guard<std::mutex> lk(gate); };
  auto j = openOrDie(dir.path(), o);
  std::atomic<int> durable{0};
  auto count = [&](const Status& s, SeqRange) { durable += s.isOk() ? 1 : 0; };
  ASSERT_TRUE(j->tryAppend("s", makeRecords(4, 1, 200), count).isOk());
  auto rejected = j->tryAppend("s", makeRecords(4, 5, 200), count);
  EXPECT_EQ(rejected.status().code(), StatusCode::kBackpressure);
  EXPECT_EQ(j->stats().backpressure_rejects, 1u);
  EXPECT_GE(j->stats().pending_bytes, 800u);

  // A blocking append waits for the flusher instead, and proceeds once it is released.
  std::atomic<bool> appended{false};
  std::thread blocked([&] {
    EXPECT_TRUE(j->append("s", makeRecords(4, 5, 200), count).isOk());
    appended = true;
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (j->stats().backpressure_waits == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(j->stats().backpressure_waits, 1u);
  EXPECT_FALSE(appended.load());
  hold.unlock();
  blocked.join();
  EXPECT_TRUE(appended.load());
  ASSERT_TRUE(j->flush().isOk());
  EXPECT_EQ(durable.load(), 2);
  EXPECT_EQ(j->headSeq(), 8u);
}

TEST(JournalTest, CloseMakesEverythingDurableAndFiresCallbacks) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.group_commit_delay = std::chrono::seconds(30);  // only close can trigger the commit
  o.group_commit_max_bytes = 1ull << 30;
  std::atomic<int> durable{0};
  {
    auto j = openOrDie(dir.path(), o);
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(j->append("s", makeRecords(1, i + 1), [&](const Status& s, SeqRange) {
                     durable += s.isOk() ? 1 : 0;
                   }).isOk());
    }
    EXPECT_EQ(j->headSeq(), 0u);
  }
  EXPECT_EQ(durable.load(), 10);
  auto j = openOrDie(dir.path(), o);
  EXPECT_EQ(j->headSeq(), 10u);
}

TEST(JournalTest, RejectsEmptyBatch) {
  testing::TempDir dir;
  auto j = openOrDie(dir.path());
  EXPECT_EQ(j->append("s", {}, nullptr).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace streamhost::journal

namespace streamhost::journal {
namespace {

// A batch written while the flusher fails its sync used to queue after the
// failure had drained the queue: its callback never ran, and a push request
// (or appendDurable) waited forever.
TEST(JournalFaultTest, AnAppendRacingAFailedSyncFailsInsteadOfHanging) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  std::mutex gate;
  std::unique_lock<std::mutex> hold(gate);
  o.before_sync_for_test = [&] { std::lock_guard<std::mutex> lk(gate); };
  o.sync_fault_for_test = [] { return Status(StatusCode::kFatal, "fdatasync: Input/output error (injected)"); };
  std::promise<void> first_failed;
  std::shared_future<void> first_failed_seen = first_failed.get_future().share();
  std::atomic<bool> in_second_write{false};
  o.after_write_for_test = [&] {
    if (in_second_write) {
      first_failed_seen.wait();  // the failure has drained the queue by now
    }
  };
  auto j = openOrDie(dir.path(), o);
  auto first = std::make_shared<std::promise<Status>>();
  ASSERT_TRUE(j->append("s", makeRecords(1), [first](const Status& s, SeqRange) {
                 first->set_value(s);
               }).isOk());
  auto second = std::make_shared<std::promise<Status>>();
  std::thread writer([&] {
    in_second_write = true;
    auto r = j->append("s", makeRecords(1, 2), [second](const Status& s, SeqRange) { second->set_value(s); });
    if (!r) {
      second->set_value(r.status());
    }
  });
  // Let the flusher run into the injected failure.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  hold.unlock();
  auto first_status = first->get_future();
  ASSERT_EQ(first_status.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_FALSE(first_status.get().isOk());
  first_failed.set_value();
  auto second_status = second->get_future();
  ASSERT_EQ(second_status.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "an append after a failed sync hangs";
  EXPECT_NE(second_status.get().message().find("failed sync"), std::string::npos);
  writer.join();
  // Later appends fail at once, and durable ones too.
  EXPECT_FALSE(j->append("s", makeRecords(1, 3), nullptr).isOk());
  EXPECT_FALSE(j->appendDurable("s", makeRecords(1, 4)).isOk());
  EXPECT_EQ(j->read(0, 10, 1 << 20)->entries.size(), 0u) << "nothing unsynced may be read";
  j->close();
}

}  // namespace
}  // namespace streamhost::journal

namespace streamhost::journal {
namespace {

// Recovery reads a frame over the limit as corruption and cuts the log there,
// so such a record must never be written (let alone acknowledged).
TEST(JournalFaultTest, ARecordOverTheFrameLimitIsRefusedBeforeItIsWritten) {
  testing::TempDir dir;
  auto j = openOrDie(dir.path());
  std::vector<Record> batch = makeRecords(2);
  batch[1].offset = "big-1";
  batch[1].value.assign(kMaxPayloadBytes + 1, 'x');
  auto r = j->appendDurable("s", batch);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("'big-1'"), std::string::npos) << r.status().message();
  batch[1].value.clear();
  batch[1].value.shrink_to_fit();
  // Nothing of the refused batch was written or numbered.
  auto ok = j->appendDurable("s", makeRecords(1));
  ASSERT_TRUE(ok.isOk()) << ok.status().toString();
  EXPECT_EQ(ok->first, 1u);
  j->close();
  auto again = openOrDie(dir.path());
  EXPECT_TRUE(again->recoveryReport().clean());
  EXPECT_EQ(again->headSeq(), 1u);
}

}  // namespace
}  // namespace streamhost::journal

namespace streamhost::journal {
namespace {

TEST(JournalFaultTest, APipelineLimitRefusesASmallerRecordNamingLimitAndOffset) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.max_record_bytes = 200;
  auto j = openOrDie(dir.path(), o);
  std::vector<Record> batch = makeRecords(2);
  batch[1].offset = "off-7";
  batch[1].value.assign(300, 'x');
  auto r = j->appendDurable("s", batch);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("'off-7'"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("at most 200 bytes"), std::string::npos) << r.status().message();
  EXPECT_EQ(j->appendDurable("s", makeRecords(1))->first, 1u);
}

TEST(JournalFaultTest, AFailedSyncIsTheJournalsFailureAndCloseFailsWhatIsLeft) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.sync_fault_for_test = [] { return Status(StatusCode::kFatal, "fdatasync: Input/output error (injected)"); };
  auto j = openOrDie(dir.path(), o);
  EXPECT_TRUE(j->failure().isOk());
  EXPECT_FALSE(j->appendDurable("s", makeRecords(1)).isOk());
  EXPECT_NE(j->failure().message().find("failed sync"), std::string::npos) << j->failure().message();
  j->close();
  EXPECT_FALSE(j->append("s", makeRecords(1), nullptr).isOk());
}

TEST(JournalTest, LastDurableOffsetsComeBackFromTheRecordsAfterReopen) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.segment_bytes = 1024;
  {
    auto j = openOrDie(dir.path(), o);
    for (int b = 0; b < 10; ++b) {
      ASSERT_TRUE(j->appendDurable(b % 3 == 0 ? "a" : "b", makeRecords(4, b * 4 + 1, 50)).isOk());
    }
    EXPECT_EQ(j->lastDurable("a")->offset, "lsn/40");
    EXPECT_EQ(j->lastDurable("b")->seq, 36u);
    EXPECT_FALSE(j->lastDurable("c").has_value());
    j->close();
  }
  // "a" wrote last into the active segment, "b" into a sealed one (from its sidecar).
  auto j = openOrDie(dir.path(), o);
  ASSERT_TRUE(j->lastDurable("a").has_value());
  EXPECT_EQ(j->lastDurable("a")->seq, 40u);
  EXPECT_EQ(j->lastDurable("a")->offset, "lsn/40");
  ASSERT_TRUE(j->lastDurable("b").has_value());
  EXPECT_EQ(j->lastDurable("b")->seq, 36u);
  EXPECT_EQ(j->lastDurable("b")->offset, "lsn/36");
}

}  // namespace
}  // namespace streamhost::journal
