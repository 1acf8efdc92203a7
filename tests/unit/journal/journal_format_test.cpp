// Batch frames (payload v2) with and without compression, and journals
// written in the one-record-per-frame format (v1) read after an upgrade.

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

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void writeFile(const fs::path& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
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

std::vector<uint64_t> frameOffsets(const std::string& data) {
  std::vector<uint64_t> out;
  for (uint64_t pos = 0; pos + kFrameHeaderBytes <= data.size();) {
    out.push_back(pos);
    pos += kFrameHeaderBytes + loadU32(data.data() + pos);
  }
  return out;
}

/// Records of every shape the format has to carry.
std::vector<Record> variedRecords(size_t n, uint64_t first) {
  auto out = makeRecords(n, first, 120);
  for (size_t i = 0; i < n; ++i) {
    Record& r = out[i];
    r.op = static_cast<int32_t>("cudrt"[i % 5]);
    r.ts_ms = i % 3 == 0 ? 0 : (i % 3 == 1 ? -5 - static_cast<int64_t>(i) : 1733550000000 + static_cast<int64_t>(i));
    if (i % 4 == 1) {
      r.offset.clear();  // records without a source position
    }
    if (i % 7 == 2) {
      r.headers.clear();
    } else if (i % 7 == 3) {
      r.headers = {{"a", std::string(300, 'h')}, {"", ""}, {"b", std::string("\0x\0", 3)}};
    }
    if (i % 11 == 5) {
      r.key.clear();
      r.value.clear();
    }
  }
  return out;
}

void expectSame(const JournalEntry& e, const Record& want, uint64_t seq, const std::string& stream) {
  EXPECT_EQ(e.seq, seq);
  EXPECT_EQ(e.stream_id, stream);
  EXPECT_EQ(e.record.op, want.op) << seq;
  EXPECT_EQ(e.record.ts_ms, want.ts_ms) << seq;
  EXPECT_EQ(e.record.key, want.key) << seq;
  EXPECT_EQ(e.record.value, want.value) << seq;
  EXPECT_EQ(e.record.offset, want.offset) << seq;
  EXPECT_EQ(e.record.headers, want.headers) << seq;
}

class CompressionTest : public ::testing::TestWithParam<Compression> {};

TEST_P(CompressionTest, RoundTripsEveryFieldAcrossRestartsAndSeeks) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.compression = GetParam();
  o.segment_bytes = 1024;  // several segments, so sidecars are written and used
  std::vector<Record> all;
  {
    auto j = Journal::open(dir.path(), o);
    ASSERT_TRUE(j.isOk()) << j.status().toString();
    for (int b = 0; b < 12; ++b) {
      auto batch = variedRecords(40, all.size() + 1);
      if (b == 5) {
        batch[3].value.assign(kBatchBodyTarget + 1000, 'z');  // a record larger than a frame's target
      }
      ASSERT_TRUE((*j)->appendDurable(b % 2 ? "str_a" : "str_b", batch).isOk());
      all.insert(all.end(), batch.begin(), batch.end());
    }
    auto mark = (*j)->lastDurable("str_a");
    ASSERT_TRUE(mark.has_value());
  }
  auto j = Journal::open(dir.path(), o);
  ASSERT_TRUE(j.isOk()) << j.status().toString();
  EXPECT_TRUE((*j)->recoveryReport().clean()) << (*j)->recoveryReport().toString();
  EXPECT_GT((*j)->stats().segments, 2u);
  auto r = (*j)->read(0, 100000, 1ull << 30);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  ASSERT_EQ(r->entries.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    expectSame(r->entries[i], all[i], i + 1, (i / 40) % 2 ? "str_a" : "str_b");
  }
  // Reads that start and stop inside a batch frame.
  for (uint64_t after : {uint64_t(0), uint64_t(17), uint64_t(39), uint64_t(40), uint64_t(201), uint64_t(479)}) {
    auto page = (*j)->read(after, 7, 1ull << 30);
    ASSERT_TRUE(page.isOk()) << page.status().toString();
    ASSERT_EQ(page->entries.size(), std::min<size_t>(7, all.size() - after));
    for (size_t k = 0; k < page->entries.size(); ++k) {
      expectSame(page->entries[k], all[after + k], after + k + 1, ((after + k) / 40) % 2 ? "str_a" : "str_b");
    }
  }
  // The newest record with an offset of the last batch of str_a is found again after the restart.
  auto mark = (*j)->lastDurable("str_a");
  ASSERT_TRUE(mark.has_value());
  EXPECT_EQ(all[mark->seq - 1].offset, mark->offset);
  EXPECT_EQ(mark->seq, 480u);  // record 40 of the last batch: index 39, 39 % 4 != 1
  auto v = verifyJournal(dir.path());
  ASSERT_TRUE(v.isOk());
  EXPECT_FALSE(v->damaged);
  EXPECT_FALSE(v->torn_tail);
  EXPECT_EQ(v->records, all.size());
}

INSTANTIATE_TEST_SUITE_P(Codecs, CompressionTest,
                         ::testing::Values(Compression::kNone, Compression::kLz4, Compression::kZstd),
                         [](const auto& p) { return std::string(compressionName(p.param)); });

TEST(JournalFormatTest, CompressionNamesParse) {
  Compression c = Compression::kNone;
  EXPECT_TRUE(parseCompression("zstd", c));
  EXPECT_EQ(c, Compression::kZstd);
  EXPECT_TRUE(parseCompression("lz4", c));
  EXPECT_EQ(c, Compression::kLz4);
  EXPECT_FALSE(parseCompression("gzip", c));
  EXPECT_FALSE(parseCompression("LZ4", c));
}

TEST(JournalFormatTest, CompressionShrinksRepetitiveRecordsAndOneFrameHoldsABatch) {
  std::map<Compression, uint64_t> sizes;
  for (Compression c : {Compression::kNone, Compression::kLz4, Compression::kZstd}) {
    testing::TempDir dir;
    JournalOptions o = fastOptions();
    o.compression = c;
    auto j = Journal::open(dir.path(), o);
    ASSERT_TRUE(j.isOk());
    ASSERT_TRUE((*j)->appendDurable("str_x", makeRecords(200, 1, 100)).isOk());
    (*j)->close();
    const std::string data = readFile(segmentsIn(dir.path()).front());
    EXPECT_EQ(frameOffsets(data).size(), 1u);
    sizes[c] = data.size();
  }
  // v1 spent 8 + 29 + stream + 16 + 4 + header bytes of framing per record.
  EXPECT_LT(sizes[Compression::kNone], 200u * (100 + 12 + 8 + 6));
  EXPECT_LT(sizes[Compression::kLz4] * 3, sizes[Compression::kNone]);
  EXPECT_LT(sizes[Compression::kZstd] * 3, sizes[Compression::kNone]);
}

/// Writes records [first, first + n) as version-1 frames, the format journals had before batch frames.
std::string v1Frames(uint64_t first, size_t n, const std::string& stream) {
  std::string out;
  auto recs = makeRecords(n, first, 50);
  for (size_t i = 0; i < n; ++i) {
    appendFrame(out, first + i, stream, 5000, recs[i]);
  }
  return out;
}

TEST(JournalFormatTest, OldSegmentsAndNewOnesReadInOrderAfterAnUpgrade) {
  testing::TempDir dir;
  // As the previous release left it: a sealed segment with its sidecar, and an active one.
  {
    Segment sealed;
    sealed.first_seq = 1;
    sealed.last_seq = 10;
    sealed.path = dir.path() / segmentFileName(1);
    const std::string data = v1Frames(1, 10, "str_old");
    writeFile(sealed.path, data);
    sealed.size = data.size();
    sealed.index = {{1, 0}};
    sealed.marks["str_old"] = {10, "lsn/10"};
    ASSERT_TRUE(writeIndexFile(sealed).isOk());
    writeFile(dir.path() / segmentFileName(11), v1Frames(11, 5, "str_old"));
  }
  JournalOptions o = fastOptions();
  o.compression = Compression::kZstd;
  o.segment_bytes = 256;  // each new batch rolls to a segment of its own
  {
    auto j = Journal::open(dir.path(), o);
    ASSERT_TRUE(j.isOk()) << j.status().toString();
    EXPECT_EQ((*j)->headSeq(), 15u);
    ASSERT_EQ((*j)->lastDurable("str_old")->offset, "lsn/15");
    for (int b = 0; b < 6; ++b) {
      auto r = (*j)->appendDurable("str_new", makeRecords(10, 16 + b * 10, 200));
      ASSERT_TRUE(r.isOk());
      EXPECT_EQ(r->first, 16u + b * 10);
    }
  }
  EXPECT_EQ(segmentsIn(dir.path()).size(), 8u);
  auto j = Journal::open(dir.path(), o);
  ASSERT_TRUE(j.isOk()) << j.status().toString();
  EXPECT_TRUE((*j)->recoveryReport().clean());
  auto r = (*j)->read(0, 1000, 1ull << 30);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  ASSERT_EQ(r->entries.size(), 75u);
  for (size_t i = 0; i < 75; ++i) {
    EXPECT_EQ(r->entries[i].seq, i + 1);
    EXPECT_EQ(r->entries[i].record.key, "k" + std::to_string(i + 1));
    EXPECT_EQ(r->entries[i].stream_id, i < 15 ? "str_old" : "str_new");
    EXPECT_EQ(r->entries[i].record.headers.size(), 1u);
  }
  auto page = (*j)->read(12, 5, 1ull << 30);  // from the old active segment into the first new frame
  ASSERT_TRUE(page.isOk());
  ASSERT_EQ(page->entries.size(), 5u);
  EXPECT_EQ(page->entries.front().seq, 13u);
  EXPECT_EQ(page->entries.back().seq, 17u);
  EXPECT_EQ((*j)->lastDurable("str_old")->seq, 15u);
  EXPECT_EQ((*j)->lastDurable("str_new")->offset, "lsn/75");
  (*j)->close();
  auto v = verifyJournal(dir.path());
  ASSERT_TRUE(v.isOk());
  EXPECT_FALSE(v->damaged) << v->reason;
  EXPECT_EQ(v->records, 75u);
}

/// Three batch frames of 50 records, zstd; returns the segment and its frame offsets.
std::pair<fs::path, std::vector<uint64_t>> threeCompressedBatches(const fs::path& dir) {
  JournalOptions o = fastOptions();
  o.compression = Compression::kZstd;
  auto j = Journal::open(dir, o);
  EXPECT_TRUE(j.isOk());
  for (int b = 0; b < 3; ++b) {
    EXPECT_TRUE((*j)->appendDurable("s", makeRecords(50, 1 + b * 50, 80)).isOk());
  }
  (*j)->close();
  const fs::path seg = segmentsIn(dir).front();
  return {seg, frameOffsets(readFile(seg))};
}

TEST(JournalFormatTest, TornTailOfACompressedBatchIsCutAtTheBatch) {
  testing::TempDir dir;
  auto [seg, frames] = threeCompressedBatches(dir.path());
  ASSERT_EQ(frames.size(), 3u);
  const uint64_t full = fs::file_size(seg);
  fs::resize_file(seg, frames[2] + (full - frames[2]) / 2);
  JournalOptions o = fastOptions();
  o.compression = Compression::kZstd;
  auto j = Journal::open(dir.path(), o);
  ASSERT_TRUE(j.isOk()) << j.status().toString();
  EXPECT_EQ((*j)->recoveryReport().reason, "torn_frame");
  EXPECT_EQ((*j)->recoveryReport().cut_offset, frames[2]);
  EXPECT_EQ((*j)->recoveryReport().records_kept, 100u);
  EXPECT_EQ(fs::file_size(seg), frames[2]);
  auto next = (*j)->appendDurable("s", makeRecords(1, 101));
  ASSERT_TRUE(next.isOk());
  EXPECT_EQ(next->first, 101u);
  auto r = (*j)->read(95, 100, 1 << 20);
  ASSERT_TRUE(r.isOk());
  ASSERT_EQ(r->entries.size(), 6u);
  EXPECT_EQ(r->entries.back().record.key, "k101");
}

void flipByte(const fs::path& file, uint64_t pos) {
  std::string data = readFile(file);
  data[pos] = static_cast<char>(data[pos] ^ 0x5A);
  writeFile(file, data);
}

TEST(JournalFormatTest, CrcDamageInsideACompressedBatchIsDetected) {
  testing::TempDir dir;
  auto [seg, frames] = threeCompressedBatches(dir.path());
  flipByte(seg, frames[1] + (frames[2] - frames[1]) / 2);  // in batch 2's compressed records
  auto j = Journal::open(dir.path(), fastOptions());
  ASSERT_FALSE(j.isOk());
  EXPECT_NE(j.status().message().find(seg.filename().string() + " at byte " + std::to_string(frames[1]) +
                                      " (crc_mismatch)"),
            std::string::npos)
      << j.status().message();
  auto v = verifyJournal(dir.path());
  ASSERT_TRUE(v.isOk());
  EXPECT_TRUE(v->damaged);
  EXPECT_EQ(v->position, frames[1]);
  EXPECT_EQ(v->reason, "crc_mismatch");
}

/// Rewrites the frame at `pos` with `edit` applied to its payload and a CRC that matches again.
void rewriteFrame(const fs::path& file, uint64_t pos, const std::function<void(std::string&)>& edit) {
  std::string data = readFile(file);
  const uint32_t len = loadU32(data.data() + pos);
  std::string payload = data.substr(pos + kFrameHeaderBytes, len);
  edit(payload);
  std::string frame;
  putU32(frame, static_cast<uint32_t>(payload.size()));
  putU32(frame, frameCrc(static_cast<uint32_t>(payload.size()), payload));
  frame += payload;
  data.replace(pos, kFrameHeaderBytes + len, frame);
  writeFile(file, data);
}

TEST(JournalFormatTest, ABatchThatDoesNotDecompressIsReportedWithItsSegmentAndByte) {
  for (bool last : {false, true}) {
    testing::TempDir dir;
    auto [seg, frames] = threeCompressedBatches(dir.path());
    const uint64_t victim = last ? frames[2] : frames[1];
    // Whole, with a matching CRC, but its compressed records end early: no crash leaves that.
    rewriteFrame(seg, victim, [](std::string& p) { p.resize(p.size() - 9); });
    const uint64_t size_before = fs::file_size(seg);
    auto j = Journal::open(dir.path(), fastOptions());
    ASSERT_FALSE(j.isOk()) << "last=" << last;
    EXPECT_NE(j.status().message().find(seg.filename().string() + " at byte " + std::to_string(victim) +
                                        " (decompress_failed)"),
              std::string::npos)
        << j.status().message();
    EXPECT_EQ(fs::file_size(seg), size_before) << "nothing may be cut";
    auto v = verifyJournal(dir.path());
    ASSERT_TRUE(v.isOk());
    EXPECT_TRUE(v->damaged);
    EXPECT_FALSE(v->torn_tail);
    EXPECT_EQ(v->position, victim);
    EXPECT_EQ(v->reason, "decompress_failed");
  }
}

TEST(JournalFormatTest, AnUndecompressableBatchInASealedSegmentFailsTheReadNamingIt) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.compression = Compression::kLz4;
  o.segment_bytes = 2048;
  {
    auto j = Journal::open(dir.path(), o);
    ASSERT_TRUE(j.isOk());
    for (int b = 0; b < 6; ++b) {
      ASSERT_TRUE((*j)->appendDurable("s", makeRecords(20, 1 + b * 20, 100)).isOk());
    }
  }
  const fs::path first = segmentsIn(dir.path()).front();
  ASSERT_TRUE(fs::exists(indexPathFor(first)));
  const auto frames = frameOffsets(readFile(first));
  // Same length, so the sidecar still matches and open trusts the segment; the
  // uncompressed length the frame claims (after the 26 fixed bytes and stream "s") is one too many.
  rewriteFrame(first, frames[0], [](std::string& p) {
    std::string len;
    putU32(len, loadU32(p.data() + 27) + 1);
    p.replace(27, 4, len);
  });
  auto j = Journal::open(dir.path(), o);
  ASSERT_TRUE(j.isOk()) << j.status().toString();
  auto r = (*j)->read(0, 10, 1 << 20);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_NE(r.status().message().find(first.string() + ":0 ("), std::string::npos) << r.status().message();
}

TEST(JournalFormatTest, TheRecordLimitCountsTheBatchFrameAroundTheRecord) {
  testing::TempDir dir;
  JournalOptions o = fastOptions();
  o.max_record_bytes = 4096;
  auto j = Journal::open(dir.path(), o);
  ASSERT_TRUE(j.isOk());
  auto ok = makeRecords(1, 1, 3900);
  EXPECT_TRUE((*j)->appendDurable("s", ok).isOk());
  auto big = makeRecords(2, 2, 4096);
  auto r = (*j)->appendDurable("s", big);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("'lsn/2'"), std::string::npos) << r.status().message();
  EXPECT_EQ((*j)->headSeq(), 1u);
}

}  // namespace
}  // namespace streamhost::journal
