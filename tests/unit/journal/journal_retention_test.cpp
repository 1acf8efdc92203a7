#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>

#include "journal/journal.h"
#include "support/temp_dir.h"
#include "unit/journal/journal_test_util.h"

namespace streamhost::journal {
namespace {

using testutil::fastOptions;
using testutil::makeRecords;

size_t segmentFiles(const std::filesystem::path& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    n += e.path().extension() == ".seg" ? 1 : 0;
  }
  return n;
}

TEST(JournalRetentionTest, ByBytesDeletesOldestSegmentsAndReadersGetGone) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.segment_bytes = 2048;
  o.retention_max_bytes = 6000;
  auto j = Journal::open(dir.path(), o);
  ASSERT_TRUE(j.isOk());
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE((*j)->appendDurable("s", makeRecords(4, i * 4 + 1, 100)).isOk());
  }
  (*j)->enforceRetention();
  const auto st = (*j)->stats();
  EXPECT_GT(st.segments_deleted, 0u);
  // Bytes stay near the limit: at most one segment above it (the active one is never deleted).
  EXPECT_LE(st.total_bytes, o.retention_max_bytes + o.segment_bytes);
  EXPECT_EQ(segmentFiles(dir.path()), st.segments);
  const uint64_t oldest = (*j)->oldestSeq();
  EXPECT_GT(oldest, 1u);
  EXPECT_EQ(st.head_seq, 160u);

  auto gone = (*j)->read(0, 10, 1 << 20);
  ASSERT_FALSE(gone.isOk());
  EXPECT_EQ(gone.status().code(), StatusCode::kGone);
  EXPECT_NE(gone.status().message().find("oldest_seq=" + std::to_string(oldest)), std::string::npos);

  // A reader positioned just before the oldest kept record is still fine.
  auto ok = (*j)->read(oldest - 1, 1000, 1 << 30);
  ASSERT_TRUE(ok.isOk()) << ok.status().toString();
  ASSERT_FALSE(ok->entries.empty());
  EXPECT_EQ(ok->entries.front().seq, oldest);
  EXPECT_EQ(ok->entries.back().seq, 160u);
  EXPECT_EQ(ok->oldest_seq, oldest);
}

TEST(JournalRetentionTest, ByAgeUsesTheInjectedClockAndKeepsTheActiveSegment) {
  testing::TempDir dir;
  auto now = std::make_shared<std::atomic<int64_t>>(1'000'000);
  JournalOptions o = fastOptions();
  o.segment_bytes = 1024;
  o.retention_max_age_seconds = 60;
  o.now_ms = [now] { return now->load(); };
  auto j = Journal::open(dir.path(), o);
  ASSERT_TRUE(j.isOk());
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE((*j)->appendDurable("s", makeRecords(4, i * 4 + 1, 60)).isOk());
  }
  const uint64_t old_segments = (*j)->stats().segments;
  ASSERT_GE(old_segments, 3u);
  now->store(1'000'000 + 30'000);
  for (int i = 6; i < 8; ++i) {
    ASSERT_TRUE((*j)->appendDurable("s", makeRecords(4, i * 4 + 1, 60)).isOk());
  }
  (*j)->enforceRetention();
  EXPECT_EQ((*j)->stats().segments_deleted, 0u);
  EXPECT_EQ((*j)->oldestSeq(), 1u);

  // 61 s after the first batches: segments holding only those go; newer ones stay.
  now->store(1'000'000 + 61'000);
  (*j)->enforceRetention();
  const auto st = (*j)->stats();
  EXPECT_GT(st.segments_deleted, 0u);
  EXPECT_GT((*j)->oldestSeq(), 1u);
  EXPECT_LE((*j)->oldestSeq(), 25u);
  EXPECT_EQ((*j)->read(0, 1, 1 << 20).status().code(), StatusCode::kGone);

  // Much later everything but the active segment goes.
  now->store(1'000'000 + 10'000'000);
  (*j)->enforceRetention();
  EXPECT_EQ((*j)->stats().segments, 1u);
  EXPECT_EQ(segmentFiles(dir.path()), 1u);
  EXPECT_EQ((*j)->headSeq(), 32u);
}

TEST(JournalRetentionTest, OldestSeqSurvivesReopen) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.segment_bytes = 1024;
  o.retention_max_bytes = 2048;
  uint64_t oldest = 0;
  {
    auto j = Journal::open(dir.path(), o);
    ASSERT_TRUE(j.isOk());
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE((*j)->appendDurable("s", makeRecords(4, i * 4 + 1, 60)).isOk());
    }
    (*j)->enforceRetention();
    oldest = (*j)->oldestSeq();
    ASSERT_GT(oldest, 1u);
  }
  auto j = Journal::open(dir.path(), o);
  ASSERT_TRUE(j.isOk());
  EXPECT_TRUE((*j)->recoveryReport().clean());
  EXPECT_EQ((*j)->oldestSeq(), oldest);
  EXPECT_EQ((*j)->headSeq(), 80u);
  EXPECT_EQ((*j)->read(oldest - 2, 1, 1 << 20).status().code(), StatusCode::kGone);
}

}  // namespace
}  // namespace streamhost::journal
