#include "plugins/record_batch.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>

#include "plugins/host_api.h"

namespace streamhost::plugins {
namespace {

sh_record_t record(const char* key, const char* offset) {
  sh_record_t r{};
  r.struct_size = sizeof(r);
  r.op = SH_OP_UPDATE;
  r.key = sh_bytes_t{reinterpret_cast<const uint8_t*>(key), std::strlen(key)};
  r.value = sh_bytes_t{reinterpret_cast<const uint8_t*>("{}"), 2};
  r.offset = sh_str_t{offset, std::strlen(offset)};
  r.ts_ms = 99;
  return r;
}

TEST(RecordBatchTest, CopiesRecordsThroughTheHostApi) {
  RecordBatch batch(10, 1024);
  std::string key = "k1";
  sh_record_t r = record(key.c_str(), "o1");
  ASSERT_EQ(hostApi()->emit(batch.emitter(), &r), SH_OK);
  key[1] = 'X';  // the batch holds its own copy
  ASSERT_EQ(batch.size(), 1u);
  const Record& got = batch.records()[0];
  EXPECT_EQ(got.key, "k1");
  EXPECT_EQ(got.value, "{}");
  EXPECT_EQ(got.offset, "o1");
  EXPECT_EQ(got.op, SH_OP_UPDATE);
  EXPECT_EQ(got.ts_ms, 99);
  EXPECT_EQ(batch.lastOffset(), "o1");
  EXPECT_EQ(batch.bytes(), got.byteSize());
}

TEST(RecordBatchTest, FullBatchAnswersBackpressureAndKeepsNothingMore) {
  RecordBatch by_count(2, 1 << 20);
  sh_record_t r = record("k", "1");
  EXPECT_EQ(by_count.emit(&r), SH_OK);
  EXPECT_EQ(by_count.emit(&r), SH_OK);
  EXPECT_EQ(by_count.emit(&r), SH_ERR_BACKPRESSURE);
  EXPECT_EQ(by_count.size(), 2u);

  RecordBatch by_bytes(100, 10);  // each record is 1 + 2 + 1 = 4 bytes
  EXPECT_EQ(by_bytes.emit(&r), SH_OK);
  EXPECT_EQ(by_bytes.emit(&r), SH_OK);
  EXPECT_EQ(by_bytes.emit(&r), SH_ERR_BACKPRESSURE);
  EXPECT_EQ(by_bytes.bytes(), 8u);

  RecordBatch tiny(100, 1);  // a first record always fits, or nothing would ever move
  EXPECT_EQ(tiny.emit(&r), SH_OK);
  EXPECT_EQ(tiny.emit(&r), SH_ERR_BACKPRESSURE);
}

TEST(RecordBatchTest, CheckpointMovesTheOffsetWithoutARecord) {
  RecordBatch batch(10, 1024);
  EXPECT_TRUE(batch.empty());
  sh_record_t r = record("k", "5");
  ASSERT_EQ(batch.emit(&r), SH_OK);
  ASSERT_EQ(hostApi()->checkpoint(batch.emitter(), sh_str_t{"7", 1}), SH_OK);
  EXPECT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch.lastOffset(), "7");
  sh_record_t r8 = record("k", "8");
  ASSERT_EQ(batch.emit(&r8), SH_OK);
  EXPECT_EQ(batch.lastOffset(), "8");
  EXPECT_EQ(batch.checkpoint(sh_str_t{nullptr, 0}), SH_ERR_INVALID_ARGUMENT);

  RecordBatch only(10, 1024);
  ASSERT_EQ(only.checkpoint(sh_str_t{"lsn/1", 5}), SH_OK);
  EXPECT_FALSE(only.empty());
  EXPECT_EQ(only.size(), 0u);
  EXPECT_EQ(only.takeRecords().size(), 0u);
  EXPECT_FALSE(only.lastOffset());
}

// A header as a newer plugin might lay it out: longer, with a field at the end.
struct WideHeader {
  sh_header_t h;
  uint64_t added_later;
};

TEST(RecordBatchTest, HeadersAreStridedByTheirStructSize) {
  WideHeader headers[2] = {};
  const auto* one = reinterpret_cast<const uint8_t*>("1");
  const auto* two = reinterpret_cast<const uint8_t*>("2");
  headers[0].h = sh_header_t{sizeof(WideHeader), sh_str_t{"a", 1}, sh_bytes_t{one, 1}};
  headers[1].h = sh_header_t{sizeof(WideHeader), sh_str_t{"b", 1}, sh_bytes_t{two, 1}};
  sh_record_t r = record("k", "1");
  r.headers = &headers[0].h;
  r.header_count = 2;
  RecordBatch batch(10, 1024);
  ASSERT_EQ(batch.emit(&r), SH_OK);
  const auto& got = batch.records()[0].headers;
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (std::pair<std::string, std::string>("a", "1")));
  EXPECT_EQ(got[1], (std::pair<std::string, std::string>("b", "2")));

  sh_header_t too_short{4, {}, {}};
  r.headers = &too_short;
  r.header_count = 1;
  EXPECT_EQ(batch.emit(&r), SH_ERR_INVALID_ARGUMENT);
}

TEST(RecordBatchTest, ShortRecordsReadOnlyTheirFields) {
  // A record whose struct_size ends before `headers`: those must read as none.
  struct {
    sh_record_t r;
  } padded{};
  padded.r = record("k", "1");
  padded.r.headers = reinterpret_cast<const sh_header_t*>(0x10);  // garbage past the declared size
  padded.r.header_count = 5;
  padded.r.struct_size = offsetof(sh_record_t, headers);
  RecordBatch batch(10, 1024);
  ASSERT_EQ(batch.emit(&padded.r), SH_OK);
  EXPECT_TRUE(batch.records()[0].headers.empty());
  EXPECT_EQ(batch.records()[0].ts_ms, 99);
  EXPECT_EQ(batch.emit(nullptr), SH_ERR_INVALID_ARGUMENT);
}

TEST(RecordBatchTest, TakeRecordsEmptiesTheBatch) {
  RecordBatch batch(10, 1024);
  sh_record_t r = record("k", "1");
  ASSERT_EQ(batch.emit(&r), SH_OK);
  auto taken = batch.takeRecords();
  EXPECT_EQ(taken.size(), 1u);
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.bytes(), 0u);
}

TEST(RecordBatchTest, AReusedBatchStartsEmptyAndKeepsItsOffsetOrder) {
  RecordBatch batch(10, 1024);
  sh_record_t a = record("a", "1");
  sh_record_t b = record("b", "");
  ASSERT_EQ(batch.emit(&a), SH_OK);
  ASSERT_EQ(batch.emit(&b), SH_OK);
  // The last record with an offset is the batch's position, not a later one without.
  EXPECT_EQ(batch.lastOffset(), "1");
  EXPECT_EQ(batch.block().lastWithOffset(), 0u);
  ASSERT_EQ(batch.checkpoint(sh_str_t{"cp", 2}), SH_OK);
  EXPECT_EQ(batch.lastOffset(), "cp");
  sh_record_t c = record("c", "3");
  ASSERT_EQ(batch.emit(&c), SH_OK);
  EXPECT_EQ(batch.lastOffset(), "3");  // a record after the checkpoint moves past it
  ASSERT_EQ(batch.records().size(), 3u);
  EXPECT_EQ(batch.records()[1].offset, "");

  batch.clear();
  EXPECT_TRUE(batch.empty());
  EXPECT_FALSE(batch.lastOffset().has_value());
  sh_record_t d = record("d", "4");
  ASSERT_EQ(batch.emit(&d), SH_OK);
  ASSERT_EQ(batch.records().size(), 1u);
  EXPECT_EQ(batch.records()[0].key, "d");
  EXPECT_EQ(batch.lastOffset(), "4");
  EXPECT_EQ(batch.bytes(), batch.records()[0].byteSize());
}

TEST(RecordBatchTest, TheBlockDecodesToWhatWasEmitted) {
  Record r;
  r.op = 'd';
  r.key = std::string("k\0y", 3);
  r.value.assign(300, 'v');
  r.offset = "0/16B3748";
  r.ts_ms = -1;
  r.headers = {{"h1", "x"}, {"", std::string(200, 'h')}};
  RecordBlock block;
  block.add(r);
  block.add(Record{});
  std::string_view in = block.bytes();
  Record got;
  ASSERT_TRUE(RecordBlock::decode(in, got));
  EXPECT_EQ(got.op, r.op);
  EXPECT_EQ(got.key, r.key);
  EXPECT_EQ(got.value, r.value);
  EXPECT_EQ(got.offset, r.offset);
  EXPECT_EQ(got.ts_ms, r.ts_ms);
  EXPECT_EQ(got.headers, r.headers);
  ASSERT_TRUE(RecordBlock::decode(in, got));
  EXPECT_TRUE(got.key.empty() && got.headers.empty() && got.ts_ms == 0);
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(block.dataBytes(), r.byteSize());
  std::string_view cut = block.slice(0, 1).substr(0, 20);
  EXPECT_FALSE(RecordBlock::decode(cut, got));  // truncated input is refused, not over-read
}

}  // namespace
}  // namespace streamhost::plugins
