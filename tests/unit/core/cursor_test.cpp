#include "core/cursor.h"

#include <gtest/gtest.h>

namespace streamhost::core {
namespace {

TEST(CursorCodecTest, RoundTripsWithinItsScope) {
  CursorCodec codec(std::string(32, 'k'));
  std::string c = codec.encode({1234, "str_abc"}, "streams|running");
  auto key = codec.decode(c, "streams|running");
  ASSERT_TRUE(key.isOk()) << key.status().toString();
  EXPECT_EQ(key->created_at, 1234);
  EXPECT_EQ(key->id, "str_abc");
}

TEST(CursorCodecTest, RejectsForeignTamperedAndForgedCursors) {
  CursorCodec codec(std::string(32, 'k'));
  CursorCodec other(std::string(32, 'x'));
  std::string c = codec.encode({1234, "str_abc"}, "streams|");
  EXPECT_EQ(codec.decode(c, "streams|running").status().field(), "cursor");
  EXPECT_FALSE(other.decode(c, "streams|").isOk());
  std::string tampered = c;
  tampered[2] = tampered[2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(codec.decode(tampered, "streams|").isOk());
  EXPECT_FALSE(codec.decode("garbage", "streams|").isOk());
  EXPECT_FALSE(codec.decode("", "streams|").isOk());
  EXPECT_FALSE(codec.decode(std::string(2000, 'a') + ".b", "streams|").isOk());
}

}  // namespace
}  // namespace streamhost::core
