#include "generator.h"

#include <gtest/gtest.h>

#include <thread>

namespace streamhost::plugins::datagen {
namespace {

TEST(GeneratorTest, FirstRecordsAreExact) {
  Generator g(GeneratorConfig{0, 0, 30});
  GeneratedRecord r1 = g.next();
  EXPECT_EQ(r1.n, 1u);
  EXPECT_EQ(r1.key, "1");
  EXPECT_EQ(r1.offset, "1");
  EXPECT_EQ(r1.value, R"({"n":1,"payload":"abcdefghijklmnopqrstuvwxyzabcd"})");
  GeneratedRecord r2 = g.next();
  EXPECT_EQ(r2.key, "2");
  EXPECT_EQ(r2.value, R"({"n":2,"payload":"abcdefghijklmnopqrstuvwxyzabcd"})");
  GeneratedRecord r3 = g.next();
  EXPECT_EQ(r3.offset, "3");
  EXPECT_EQ(r3.value.substr(0, 7), R"({"n":3,)");
}

TEST(GeneratorTest, PayloadHasTheConfiguredLength) {
  for (int64_t len : {0, 1, 64, 1000}) {
    Generator g(GeneratorConfig{0, 0, len});
    std::string v = g.next().value;
    const std::string prefix = R"({"n":1,"payload":")";
    ASSERT_EQ(v.substr(0, prefix.size()), prefix);
    EXPECT_EQ(v.size(), prefix.size() + static_cast<size_t>(len) + 2) << len;
  }
}

TEST(GeneratorTest, ResumesAfterTheGivenRecord) {
  Generator g(GeneratorConfig{0, 0, 1});
  g.resumeAfter(41);
  EXPECT_EQ(g.next().key, "42");
  EXPECT_EQ(g.next().key, "43");
}

TEST(GeneratorTest, MaxRecordsEndsTheStreamAndDrivesLag) {
  Generator endless(GeneratorConfig{0, 0, 1});
  EXPECT_EQ(endless.remaining(), -1);
  Generator g(GeneratorConfig{0, 3, 1});
  EXPECT_EQ(g.remaining(), 3);
  g.next();
  g.next();
  EXPECT_EQ(g.remaining(), 1);
  EXPECT_FALSE(g.exhausted());
  g.next();
  EXPECT_TRUE(g.exhausted());
  EXPECT_EQ(g.remaining(), 0);
  g.resumeAfter(10);  // resumed past the end
  EXPECT_TRUE(g.exhausted());
  EXPECT_EQ(g.remaining(), 0);
}

TEST(GeneratorTest, OffsetsParseOnlyAsNonNegativeIntegers) {
  EXPECT_EQ(parseOffset(""), 0u);
  EXPECT_EQ(parseOffset("0"), 0u);
  EXPECT_EQ(parseOffset("17"), 17u);
  EXPECT_FALSE(parseOffset("-1"));
  EXPECT_FALSE(parseOffset("abc"));
  EXPECT_FALSE(parseOffset("12x"));
  EXPECT_FALSE(parseOffset(" 1"));
  EXPECT_FALSE(parseOffset("99999999999999999999999"));
}

TEST(GeneratorTest, ConfigProblemsNameTheField) {
  EXPECT_FALSE(validateConfig(GeneratorConfig{}));
  EXPECT_EQ(validateConfig(GeneratorConfig{-1, 0, 64})->field, "rate_per_second");
  EXPECT_EQ(validateConfig(GeneratorConfig{kMaxRatePerSecond + 1, 0, 64})->field, "rate_per_second");
  EXPECT_EQ(validateConfig(GeneratorConfig{1, -5, 64})->field, "max_records");
  EXPECT_EQ(validateConfig(GeneratorConfig{1, 0, -1})->field, "payload_bytes");
  auto big = validateConfig(GeneratorConfig{1, 0, kMaxPayloadBytes + 1});
  ASSERT_TRUE(big);
  EXPECT_EQ(big->field, "payload_bytes");
  EXPECT_NE(big->message.find("1 MiB"), std::string::npos);
  EXPECT_FALSE(validateConfig(GeneratorConfig{1, 0, kMaxPayloadBytes}));
}

TEST(RatePacerTest, CountsAreExactOnAFakeClock) {
  RatePacer p(10, 0);
  EXPECT_EQ(p.take(0, 100), 0u);
  EXPECT_EQ(p.msUntilNext(0), 100);
  EXPECT_EQ(p.take(1000, 100), 10u);
  EXPECT_EQ(p.take(6000, 100), 10u);  // at most one second saved up
  EXPECT_EQ(p.take(6250, 100), 2u);   // 2.5 tokens: 2 go, half stays
  EXPECT_EQ(p.take(6300, 100), 1u);
  EXPECT_EQ(p.take(7300, 4), 4u);     // capped by what is wanted
  p.giveBack(4);
  EXPECT_EQ(p.take(7300, 100), 10u);
}

TEST(RatePacerTest, ZeroRateIsUnlimited) {
  RatePacer p(0, 0);
  EXPECT_EQ(p.take(0, 12345), 12345u);
  EXPECT_EQ(p.msUntilNext(0), 0);
}

TEST(WaiterTest, WakeupCutsAWaitShortAndIsNotLost) {
  Waiter w;
  w.wakeup();  // before the wait: still counts
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(w.waitFor(std::chrono::seconds(30)));
  std::thread waker([&] { w.wakeup(); });
  EXPECT_TRUE(w.waitFor(std::chrono::seconds(30)));
  waker.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
  EXPECT_FALSE(w.waitFor(std::chrono::milliseconds(1)));
}

}  // namespace
}  // namespace streamhost::plugins::datagen
