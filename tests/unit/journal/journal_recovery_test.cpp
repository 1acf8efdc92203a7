#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "journal/frame_codec.h"
#include "journal/journal.h"
#include "journal/segment.h"
#include "support/temp_dir.h"
#include "unit/journal/journal_test_util.h"

namespace streamhost::journal {
namespace {

using testutil::fastOptions;
using testutil::makeRecords;

namespace fs = std::filesystem;

/// Writes `batches` batches of `per_batch` records and closes the journal.
void fill(const fs::path& dir, const JournalOptions& o, int batches, int per_batch) {
  auto j = Journal::open(dir, o);
  ASSERT_TRUE(j.isOk());
  for (int b = 0; b < batches; ++b) {
    ASSERT_TRUE((*j)->append("s", makeRecords(per_batch, b * per_batch + 1, 50), nullptr).isOk());
  }
  (*j)->close();
}

std::vector<fs::path> segmentsIn(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".seg") {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Offsets of every frame in a segment file.
std::vector<uint64_t> frameOffsets(const fs::path& seg) {
  std::ifstream in(seg, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<uint64_t> out;
  for (uint64_t pos = 0; pos + kFrameHeaderBytes <= data.size();) {
    out.push_back(pos);
    pos += kFrameHeaderBytes + loadU32(data.data() + pos);
  }
  return out;
}

void flipByte(const fs::path& file, uint64_t pos) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(pos));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(pos));
  f.put(static_cast<char>(c ^ 0x5A));
}

void expectAllReadable(Journal& j, uint64_t last) {
  auto r = j.read(0, 100000, 1ull << 30);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  ASSERT_EQ(r->entries.size(), last);
  for (uint64_t i = 0; i < last; ++i) {
    ASSERT_EQ(r->entries[i].seq, i + 1);
    ASSERT_EQ(r->entries[i].record.key, "k" + std::to_string(i + 1));
  }
}

TEST(JournalRecoveryTest, TornTailInsideARecordKeepsEveryEarlierRecord) {
  testing::TempDir dir;
  fill(dir.path(), fastOptions(), 4, 5);
  const fs::path seg = segmentsIn(dir.path()).back();
  const auto frames = frameOffsets(seg);
  ASSERT_EQ(frames.size(), 20u);
  const uint64_t full = fs::file_size(seg);
  const uint64_t cut = frames[17] + 11;  // in the middle of record 18
  fs::resize_file(seg, cut);

  auto j = Journal::open(dir.path(), fastOptions());
  ASSERT_TRUE(j.isOk()) << j.status().toString();
  const RecoveryReport& rep = (*j)->recoveryReport();
  EXPECT_FALSE(rep.clean());
  EXPECT_EQ(rep.reason, "torn_frame");
  EXPECT_EQ(rep.segment, seg.filename().string());
  EXPECT_EQ(rep.cut_offset, frames[17]);
  EXPECT_EQ(rep.bytes_dropped, cut - frames[17]);
  EXPECT_EQ(rep.records_kept, 17u);
  EXPECT_LT(rep.cut_offset, full);
  EXPECT_EQ(fs::file_size(seg), frames[17]);
  expectAllReadable(**j, 17);
  // The sequence continues right after the last good record.
  auto next = (*j)->appendDurable("s", makeRecords(1, 18));
  ASSERT_TRUE(next.isOk());
  EXPECT_EQ(next->first, 18u);
  expectAllReadable(**j, 18);
}

TEST(JournalRecoveryTest, FlippedByteDropsTheRecordAndEverythingAfterIt) {
  testing::TempDir dir;
  fill(dir.path(), fastOptions(), 2, 10);
  const fs::path seg = segmentsIn(dir.path()).back();
  const auto frames = frameOffsets(seg);
  ASSERT_EQ(frames.size(), 20u);
  const uint64_t full = fs::file_size(seg);
  flipByte(seg, frames[12] + kFrameHeaderBytes + 30);  // inside record 13's payload

  auto j = Journal::open(dir.path(), fastOptions());
  ASSERT_TRUE(j.isOk()) << j.status().toString();
  const RecoveryReport& rep = (*j)->recoveryReport();
  EXPECT_EQ(rep.reason, "crc_mismatch");
  EXPECT_EQ(rep.cut_offset, frames[12]);
  EXPECT_EQ(rep.bytes_dropped, full - frames[12]);
  EXPECT_EQ(rep.records_kept, 12u);
  EXPECT_EQ((*j)->headSeq(), 12u);
  expectAllReadable(**j, 12);
}

TEST(JournalRecoveryTest, CorruptLengthIsCutToo) {
  testing::TempDir dir;
  fill(dir.path(), fastOptions(), 1, 6);
  const fs::path seg = segmentsIn(dir.path()).back();
  const auto frames = frameOffsets(seg);
  flipByte(seg, frames[3] + 3);  // high byte of record 4's length

  auto j = Journal::open(dir.path(), fastOptions());
  ASSERT_TRUE(j.isOk());
  EXPECT_FALSE((*j)->recoveryReport().clean());
  EXPECT_EQ((*j)->recoveryReport().records_kept, 3u);
  expectAllReadable(**j, 3);
}

TEST(JournalRecoveryTest, ZeroFilledTailIsDropped) {
  testing::TempDir dir;
  fill(dir.path(), fastOptions(), 1, 4);
  const fs::path seg = segmentsIn(dir.path()).back();
  const uint64_t size = fs::file_size(seg);
  fs::resize_file(seg, size + 4096);  // as a crash can leave an extended file

  auto j = Journal::open(dir.path(), fastOptions());
  ASSERT_TRUE(j.isOk());
  EXPECT_EQ((*j)->recoveryReport().bytes_dropped, 4096u);
  EXPECT_EQ(fs::file_size(seg), size);
  expectAllReadable(**j, 4);
}

TEST(JournalRecoveryTest, TornOlderSegmentWithoutSidecarDropsLaterSegments) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.segment_bytes = 1024;
  fill(dir.path(), o, 10, 4);
  auto segs = segmentsIn(dir.path());
  ASSERT_GE(segs.size(), 4u);
  // As after a crash between a roll and the sync of the old segment.
  const fs::path victim = segs[1];
  fs::remove(indexPathFor(victim));
  const auto frames = frameOffsets(victim);
  ASSERT_GE(frames.size(), 2u);
  fs::resize_file(victim, frames[1] + 5);
  uint64_t first_in_victim = 0;
  ASSERT_TRUE(parseSegmentFileName(victim.filename().string(), first_in_victim));

  auto j = Journal::open(dir.path(), o);
  ASSERT_TRUE(j.isOk()) << j.status().toString();
  const RecoveryReport& rep = (*j)->recoveryReport();
  EXPECT_EQ(rep.segment, victim.filename().string());
  EXPECT_EQ(rep.segments_dropped, segs.size() - 2);
  EXPECT_EQ(rep.records_kept, first_in_victim);  // records before the victim plus its first one
  EXPECT_EQ(segmentsIn(dir.path()).size(), 2u);
  expectAllReadable(**j, first_in_victim);
  auto next = (*j)->appendDurable("s", makeRecords(1, first_in_victim + 1));
  ASSERT_TRUE(next.isOk());
  EXPECT_EQ(next->first, first_in_victim + 1);
}

TEST(JournalRecoveryTest, LastSegmentTornInItsFirstRecordIsRemoved) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.segment_bytes = 1024;
  fill(dir.path(), o, 5, 4);
  auto segs = segmentsIn(dir.path());
  ASSERT_GE(segs.size(), 2u);
  uint64_t first_in_last = 0;
  ASSERT_TRUE(parseSegmentFileName(segs.back().filename().string(), first_in_last));
  fs::resize_file(segs.back(), 3);

  auto j = Journal::open(dir.path(), o);
  ASSERT_TRUE(j.isOk()) << j.status().toString();
  EXPECT_EQ((*j)->recoveryReport().segments_dropped, 1u);
  EXPECT_EQ((*j)->recoveryReport().bytes_dropped, 3u);
  EXPECT_EQ(segmentsIn(dir.path()).size(), segs.size() - 1);
  EXPECT_EQ((*j)->headSeq(), first_in_last - 1);
  expectAllReadable(**j, first_in_last - 1);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE((*j)->appendDurable("s", makeRecords(4, first_in_last + i * 4, 50)).isOk());
  }
  expectAllReadable(**j, first_in_last + 15);
}

TEST(JournalRecoveryTest, DamagedSidecarIsRebuiltByScanning) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.segment_bytes = 1024;
  fill(dir.path(), o, 6, 4);
  auto segs = segmentsIn(dir.path());
  ASSERT_GE(segs.size(), 3u);
  flipByte(indexPathFor(segs[0]), 10);

  auto j = Journal::open(dir.path(), o);
  ASSERT_TRUE(j.isOk());
  EXPECT_TRUE((*j)->recoveryReport().clean()) << (*j)->recoveryReport().toString();
  EXPECT_EQ((*j)->recoveryReport().segments_scanned, 2u);
  expectAllReadable(**j, 24);
}

TEST(JournalRecoveryTest, CorruptionInsideASealedSegmentIsAnErrorNotARecord) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.segment_bytes = 1024;
  fill(dir.path(), o, 6, 4);
  const fs::path first = segmentsIn(dir.path()).front();
  const auto frames = frameOffsets(first);
  // Sidecar stays valid, so open trusts the segment; reads must still catch it.
  flipByte(first, frames[2] + kFrameHeaderBytes + 20);

  auto j = Journal::open(dir.path(), o);
  ASSERT_TRUE(j.isOk());
  auto before = (*j)->read(0, 2, 1 << 20);
  ASSERT_TRUE(before.isOk());
  EXPECT_EQ(before->entries.size(), 2u);
  auto bad = (*j)->read(0, 100, 1 << 20);
  EXPECT_EQ(bad.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace streamhost::journal
