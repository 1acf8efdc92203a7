#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "journal/frame_codec.h"
#include "journal/journal.h"
#include "journal/journal_repair.h"
#include "journal/segment.h"
#include "support/temp_dir.h"
#include "unit/journal/journal_test_util.h"

namespace streamhost::journal {
namespace {

using testutil::fastOptions;
using testutil::makeRecords;

namespace fs = std::filesystem;

/// Writes `batches` x `per_batch` records and closes the journal. Each record
/// is appended on its own, so each gets a frame of its own and these tests can
/// aim at record N by aiming at frame N.
void fill(const fs::path& dir, const JournalOptions& o, int batches, int per_batch) {
  auto j = Journal::open(dir, o);
  ASSERT_TRUE(j.isOk());
  for (int b = 0; b < batches * per_batch; ++b) {
    ASSERT_TRUE((*j)->append("s", makeRecords(1, b + 1, 50), nullptr).isOk());
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

/// Expects open to refuse with the damage named: segment, byte and the repair command.
void expectDamaged(const fs::path& dir, const fs::path& seg, uint64_t pos) {
  const auto size_before = fs::file_size(seg);
  auto j = Journal::open(dir, fastOptions());
  ASSERT_FALSE(j.isOk());
  const std::string& m = j.status().message();
  EXPECT_NE(m.find(seg.filename().string()), std::string::npos) << m;
  EXPECT_NE(m.find("at byte " + std::to_string(pos) + " "), std::string::npos) << m;
  EXPECT_NE(m.find("streamhostd journal repair " + dir.filename().string()), std::string::npos) << m;
  EXPECT_EQ(fs::file_size(seg), size_before) << "nothing may be cut";
}

// A CRC error with acknowledged records after it used to be cut like a torn
// tail, dropping them and reusing their sequence numbers.
TEST(JournalRecoveryTest, ACrcErrorBeforeTheTailFailsInsteadOfCutting) {
  testing::TempDir dir;
  fill(dir.path(), fastOptions(), 2, 10);
  const fs::path seg = segmentsIn(dir.path()).back();
  const auto frames = frameOffsets(seg);
  ASSERT_EQ(frames.size(), 20u);
  flipByte(seg, frames[12] + kFrameHeaderBytes + 30);  // inside record 13's payload
  expectDamaged(dir.path(), seg, frames[12]);
}

TEST(JournalRecoveryTest, ACorruptLengthBeforeTheTailFailsToo) {
  testing::TempDir dir;
  fill(dir.path(), fastOptions(), 1, 6);
  const fs::path seg = segmentsIn(dir.path()).back();
  const auto frames = frameOffsets(seg);
  flipByte(seg, frames[3] + 3);  // high byte of record 4's length
  expectDamaged(dir.path(), seg, frames[3]);
}

TEST(JournalRecoveryTest, ACrcErrorInTheLastRecordIsATornTail) {
  testing::TempDir dir;
  fill(dir.path(), fastOptions(), 1, 6);
  const fs::path seg = segmentsIn(dir.path()).back();
  const auto frames = frameOffsets(seg);
  flipByte(seg, frames[5] + kFrameHeaderBytes + 20);
  auto j = Journal::open(dir.path(), fastOptions());
  ASSERT_TRUE(j.isOk()) << j.status().toString();
  EXPECT_EQ((*j)->recoveryReport().reason, "crc_mismatch");
  expectAllReadable(**j, 5);
}

// Damage in a sealed segment, with sealed (indexed) segments after it, used
// to drop every later segment; new appends then reused their numbers.
TEST(JournalRecoveryTest, DamageInASealedSegmentFailsAndKeepsEverySegment) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.segment_bytes = 1024;
  fill(dir.path(), o, 10, 4);
  auto segs = segmentsIn(dir.path());
  ASSERT_GE(segs.size(), 4u);
  const fs::path victim = segs[1];
  fs::remove(indexPathFor(victim));
  const auto frames = frameOffsets(victim);
  fs::resize_file(victim, frames[1] + 5);
  auto j = Journal::open(dir.path(), o);
  ASSERT_FALSE(j.isOk());
  EXPECT_NE(j.status().message().find(victim.filename().string()), std::string::npos) << j.status().message();
  EXPECT_EQ(segmentsIn(dir.path()).size(), segs.size());
}

TEST(JournalRecoveryTest, QuarantineLeavesAGapAndNeverRenumbers) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.segment_bytes = 1024;
  fill(dir.path(), o, 10, 4);
  auto segs = segmentsIn(dir.path());
  ASSERT_GE(segs.size(), 4u);
  const auto frames = frameOffsets(segs[1]);
  flipByte(segs[1], frames[1] + kFrameHeaderBytes + 10);
  fs::remove(indexPathFor(segs[1]));
  ASSERT_FALSE(Journal::open(dir.path(), o).isOk());

  auto rep = verifyJournal(dir.path());
  ASSERT_TRUE(rep.isOk());
  EXPECT_TRUE(rep->damaged);
  EXPECT_EQ(rep->segment, segs[1].filename().string());
  EXPECT_EQ(rep->position, frames[1]);
  auto done = quarantineDamagedSegment(dir.path());
  ASSERT_TRUE(done.isOk()) << done.status().toString();
  EXPECT_TRUE(fs::exists(dir.path() / "quarantine" / segs[1].filename()));

  uint64_t first_lost = 0;
  uint64_t first_after = 0;
  ASSERT_TRUE(parseSegmentFileName(segs[1].filename().string(), first_lost));
  ASSERT_TRUE(parseSegmentFileName(segs[2].filename().string(), first_after));
  auto j = Journal::open(dir.path(), o);
  ASSERT_TRUE(j.isOk()) << j.status().toString();
  EXPECT_EQ((*j)->recoveryReport().holes, 1u);
  EXPECT_EQ((*j)->headSeq(), 40u);
  auto r = (*j)->read(0, 1000, 1 << 20);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  ASSERT_EQ(r->entries.size(), 40u - (first_after - first_lost));
  for (const auto& e : r->entries) {
    EXPECT_TRUE(e.seq < first_lost || e.seq >= first_after) << e.seq;
    EXPECT_EQ(e.record.key, "k" + std::to_string(e.seq)) << "a record under another's number";
  }
  auto next = (*j)->appendDurable("s", makeRecords(1, 41));
  ASSERT_TRUE(next.isOk());
  EXPECT_EQ(next->first, 41u);
  EXPECT_FALSE(verifyJournal(dir.path())->damaged);
}

// A segment file removed by hand leaves numbers no file holds. Repair records
// that gap instead of quarantining the healthy segments after it one by one.
TEST(JournalRecoveryTest, RepairOfAMissingSegmentKeepsTheHealthySegmentsAfterIt) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.segment_bytes = 1024;
  fill(dir.path(), o, 10, 4);
  auto segs = segmentsIn(dir.path());
  ASSERT_GE(segs.size(), 4u);
  uint64_t first_lost = 0;
  uint64_t first_after = 0;
  ASSERT_TRUE(parseSegmentFileName(segs[1].filename().string(), first_lost));
  ASSERT_TRUE(parseSegmentFileName(segs[2].filename().string(), first_after));
  fs::remove(segs[1]);
  fs::remove(indexPathFor(segs[1]));
  ASSERT_FALSE(Journal::open(dir.path(), o).isOk());
  ASSERT_TRUE(verifyJournal(dir.path())->damaged);

  auto done = quarantineDamagedSegment(dir.path());
  ASSERT_TRUE(done.isOk()) << done.status().toString();
  for (size_t i = 2; i < segs.size(); ++i) {
    EXPECT_TRUE(fs::exists(segs[i])) << segs[i] << " was healthy and is gone: " << *done;
  }
  auto j = Journal::open(dir.path(), o);
  ASSERT_TRUE(j.isOk()) << j.status().toString();
  EXPECT_EQ((*j)->recoveryReport().holes, 1u);
  auto r = (*j)->read(0, 1000, 1 << 20);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->entries.size(), 40u - (first_after - first_lost));
  auto next = (*j)->appendDurable("s", makeRecords(1, 41));
  ASSERT_TRUE(next.isOk());
  EXPECT_EQ(next->first, 41u);
  EXPECT_FALSE(verifyJournal(dir.path())->damaged);
}

// A crash right after a roll leaves the new segment torn at its first frame;
// recovery drops it and writes on in the sealed segment before it. That
// segment loses its sidecar, so its frames are checked first: damage in it is
// reported now, not accepted now and refused at the next start.
TEST(JournalRecoveryTest, ASealedSegmentReopenedForWritingIsCheckedFirst) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.segment_bytes = 1024;
  fill(dir.path(), o, 10, 4);
  auto segs = segmentsIn(dir.path());
  ASSERT_GE(segs.size(), 3u);
  const fs::path sealed = segs[segs.size() - 2];
  ASSERT_TRUE(fs::exists(indexPathFor(sealed)));
  const auto frames = frameOffsets(sealed);
  ASSERT_GE(frames.size(), 2u);
  flipByte(sealed, frames[1] + kFrameHeaderBytes + 10);
  fs::resize_file(segs.back(), 5);  // a torn first frame

  auto j = Journal::open(dir.path(), o);
  if (j.isOk()) {
    (*j)->close();
    auto again = Journal::open(dir.path(), o);
    FAIL() << "the first start accepted " << sealed.filename() << ", the next one says: "
           << (again.isOk() ? std::string("ok") : again.status().message());
  }
  EXPECT_NE(j.status().message().find(sealed.filename().string()), std::string::npos) << j.status().message();
  EXPECT_NE(j.status().message().find("at byte " + std::to_string(frames[1]) + " "), std::string::npos)
      << j.status().message();
}

TEST(JournalRecoveryTest, QuarantiningTheActiveSegmentContinuesAfterItsHighestSeq) {
  testing::TempDir dir;
  fill(dir.path(), fastOptions(), 2, 10);
  const fs::path seg = segmentsIn(dir.path()).back();
  const auto frames = frameOffsets(seg);
  flipByte(seg, frames[4] + kFrameHeaderBytes + 30);
  ASSERT_FALSE(Journal::open(dir.path(), fastOptions()).isOk());
  ASSERT_TRUE(quarantineDamagedSegment(dir.path()).isOk());
  auto j = Journal::open(dir.path(), fastOptions());
  ASSERT_TRUE(j.isOk()) << j.status().toString();
  auto next = (*j)->appendDurable("s", makeRecords(1, 21));
  ASSERT_TRUE(next.isOk());
  EXPECT_EQ(next->first, 21u) << "numbers of quarantined records are never reused";
}

// Found by fuzz_journal_recovery (seed regress_overlapping_last_segment): a
// last segment named inside the numbers kept before it was replaced by a new
// active segment of that same name, which overlapped again, so repair never
// converged and the journal never opened.
TEST(JournalRecoveryTest, QuarantiningALastSegmentThatOverlapsContinuesAfterTheKeptRecords) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.segment_bytes = 1024;
  fill(dir.path(), o, 3, 10);
  const auto segs = segmentsIn(dir.path());
  ASSERT_GE(segs.size(), 3u);
  uint64_t last_first = 0;
  ASSERT_TRUE(parseSegmentFileName(segs.back().filename().string(), last_first));
  ASSERT_LT(last_first, 30u) << "the last segment must hold more than one record";
  // A stray copy of the first segment (seqs 1..) named after the last one's first seq.
  fs::copy_file(segs.front(), dir.path() / segmentFileName(last_first + 1));
  ASSERT_FALSE(Journal::open(dir.path(), o).isOk());
  ASSERT_TRUE(quarantineDamagedSegment(dir.path()).isOk());
  auto rep = verifyJournal(dir.path());
  ASSERT_TRUE(rep.isOk());
  EXPECT_FALSE(rep->damaged) << rep->lines.back();
  auto j = Journal::open(dir.path(), o);
  ASSERT_TRUE(j.isOk()) << j.status().toString();
  auto next = (*j)->appendDurable("s", makeRecords(1, 31));
  ASSERT_TRUE(next.isOk());
  EXPECT_EQ(next->first, 31u);
  expectAllReadable(**j, 31);
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
  // As after a crash between a roll and the sync of the old segment: no
  // segment from the victim on has its sidecar yet.
  const fs::path victim = segs[1];
  for (size_t i = 1; i < segs.size(); ++i) {
    fs::remove(indexPathFor(segs[i]));
  }
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
