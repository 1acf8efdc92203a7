#include "journal/crc32c.h"

#include <gtest/gtest.h>

#include <string>

#include "journal/frame_codec.h"

namespace streamhost::journal {
namespace {

TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(crc32c(std::string_view("123456789")), 0xE3069283u);
  EXPECT_EQ(crc32c(std::string_view("")), 0u);
  std::string zeros(32, '\0');
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);
}

TEST(Crc32cTest, HardwareAndPortableAgreeAtEveryLengthAndAlignment) {
  std::string data;
  for (int i = 0; i < 300; ++i) {
    data.push_back(static_cast<char>(i * 131 + 7));
  }
  for (size_t start = 0; start < 8; ++start) {
    for (size_t len = 0; start + len <= data.size(); len += 13) {
      EXPECT_EQ(crc32c(0, data.data() + start, len), crc32cPortableForTest(0, data.data() + start, len));
    }
  }
}

TEST(Crc32cTest, ContinuesAcrossPieces) {
  std::string a = "hello, ";
  std::string b = "journal";
  EXPECT_EQ(crc32c(crc32c(0, a.data(), a.size()), b.data(), b.size()), crc32c(a + b));
}

TEST(FrameCodecTest, RoundTripsEveryField) {
  Record r;
  r.op = 'u';
  r.key = std::string("k\0ey", 4);
  r.value = std::string(1000, 'v');
  r.offset = "0/16B3748";
  r.ts_ms = -5;
  r.headers = {{"a", "1"}, {"", ""}};
  std::string buf;
  appendFrame(buf, 42, "str_1", 777, r);
  ASSERT_GT(buf.size(), kFrameHeaderBytes);
  const uint32_t len = loadU32(buf.data());
  ASSERT_EQ(len + kFrameHeaderBytes, buf.size());
  std::string_view payload(buf.data() + kFrameHeaderBytes, len);
  EXPECT_EQ(loadU32(buf.data() + 4), frameCrc(len, payload));
  JournalEntry e;
  ASSERT_TRUE(decodePayload(payload, e));
  EXPECT_EQ(e.seq, 42u);
  EXPECT_EQ(e.stream_id, "str_1");
  EXPECT_EQ(e.appended_at_ms, 777);
  EXPECT_EQ(e.record.op, 'u');
  EXPECT_EQ(e.record.key, r.key);
  EXPECT_EQ(e.record.value, r.value);
  EXPECT_EQ(e.record.offset, r.offset);
  EXPECT_EQ(e.record.ts_ms, -5);
  EXPECT_EQ(e.record.headers, r.headers);
}

TEST(FrameCodecTest, RejectsTruncatedOrTrailingPayload) {
  std::string buf;
  appendFrame(buf, 1, "s", 0, Record{});
  std::string payload = buf.substr(kFrameHeaderBytes);
  JournalEntry e;
  EXPECT_FALSE(decodePayload(std::string_view(payload).substr(0, payload.size() - 1), e));
  EXPECT_FALSE(decodePayload(payload + "x", e));
  payload[0] = 9;  // unknown version
  EXPECT_FALSE(decodePayload(payload, e));
}

}  // namespace
}  // namespace streamhost::journal
