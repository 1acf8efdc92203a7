#include "api/rate_limiter.h"

#include <gtest/gtest.h>

namespace streamhost::api {
namespace {

TEST(RateLimiterTest, AllowsTheBurstThenRefusesWithRetryAfter) {
  int64_t now = 1'000'000;
  RateLimiter limiter(2.0, 3, [&] { return now; });
  for (int i = 0; i < 3; ++i) {
    auto d = limiter.take("k");
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.limit, 3);
    EXPECT_EQ(d.remaining, 2 - i);
  }
  auto d = limiter.take("k");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, 1);
  EXPECT_GE(d.reset_epoch, now / 1000);
}

TEST(RateLimiterTest, RefillsWithTimeAndKeepsKeysApart) {
  int64_t now = 0;
  RateLimiter limiter(1.0, 1, [&] { return now; });
  EXPECT_TRUE(limiter.take("a").allowed);
  EXPECT_FALSE(limiter.take("a").allowed);
  EXPECT_TRUE(limiter.take("b").allowed);
  now += 999;
  EXPECT_FALSE(limiter.take("a").allowed);
  now += 2;
  EXPECT_TRUE(limiter.take("a").allowed);
}

TEST(RateLimiterTest, ZeroRateTurnsLimitingOff) {
  RateLimiter limiter(0, 1, [] { return int64_t{0}; });
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(limiter.take("k").allowed);
  }
  EXPECT_FALSE(limiter.enabled());
}

}  // namespace
}  // namespace streamhost::api
