#include "common/ids.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace streamhost {
namespace {

/// A wall clock the test sets by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t ms) : ms_(ms) {}
  void set(int64_t ms) { ms_.store(ms); }
  int64_t nowMillis() const override { return ms_.load(); }
  std::chrono::steady_clock::time_point steadyNow() const override {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(ms_.load()));
  }

 private:
  std::atomic<int64_t> ms_;
};

TEST(IdGeneratorTest, IdsHavePrefixLengthAndCrockfordCharset) {
  IdGenerator gen;
  std::string id = gen.next("str_");
  ASSERT_EQ(id.size(), 4 + kUlidLength);
  EXPECT_EQ(id.substr(0, 4), "str_");
  for (char c : id.substr(4)) {
    EXPECT_NE(std::string("0123456789abcdefghjkmnpqrstvwxyz").find(c), std::string::npos) << id;
  }
  EXPECT_TRUE(isValidId(id, "str_"));
}

TEST(IdGeneratorTest, TimestampPartEncodesTheClock) {
  // The ULID specification's example time, 1469918176385 ms, is "01ARYZ6S41".
  ManualClock clock(1469918176385);
  IdGenerator gen(clock);
  EXPECT_EQ(gen.next("").substr(0, 10), "01aryz6s41");
  clock.set(0);
  IdGenerator zero_gen(clock);
  EXPECT_EQ(zero_gen.next("x_").substr(0, 12), "x_0000000000");
}

TEST(IdGeneratorTest, TenThousandIdsInATightLoopStrictlyIncrease) {
  IdGenerator gen;
  std::string prev = gen.next("pl_");
  for (int i = 0; i < 10000; ++i) {
    std::string id = gen.next("pl_");
    ASSERT_LT(prev, id) << "at " << i;
    prev = id;
  }
}

TEST(IdGeneratorTest, SameMillisecondIncrementsRandomPart) {
  ManualClock clock(1700000000000);
  IdGenerator gen(clock);
  std::string a = gen.next("");
  std::string b = gen.next("");
  EXPECT_EQ(a.substr(0, 10), b.substr(0, 10));
  EXPECT_LT(a, b);
  // Only the tail moved: the increment is by one.
  EXPECT_EQ(a.substr(0, 20), b.substr(0, 20));
}

TEST(IdGeneratorTest, StaysMonotonicWhenClockStepsBack) {
  ManualClock clock(1700000000000);
  IdGenerator gen(clock);
  std::string a = gen.next("");
  clock.set(1600000000000);
  std::string b = gen.next("");
  EXPECT_LT(a, b);
  clock.set(1700000000001);
  std::string c = gen.next("");
  EXPECT_LT(b, c);
  EXPECT_NE(b.substr(0, 10), c.substr(0, 10));
}

TEST(IdGeneratorTest, ConcurrentCallersGetUniqueIds) {
  IdGenerator gen;
  std::vector<std::vector<std::string>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& out : per_thread) {
    threads.emplace_back([&gen, &out] {
      for (int i = 0; i < 2000; ++i) {
        out.push_back(gen.next("conn_"));
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  std::set<std::string> all;
  for (const auto& out : per_thread) {
    for (size_t i = 1; i < out.size(); ++i) {
      ASSERT_LT(out[i - 1], out[i]);
    }
    all.insert(out.begin(), out.end());
  }
  EXPECT_EQ(all.size(), 8000u);
}

TEST(IdGeneratorTest, IsValidIdChecksPrefixLengthAndAlphabet) {
  IdGenerator gen;
  std::string id = gen.next("str_");
  EXPECT_TRUE(isValidId(id, "str_"));
  EXPECT_FALSE(isValidId(id, "pl_"));
  EXPECT_FALSE(isValidId(id.substr(4), "str_"));
  EXPECT_FALSE(isValidId(id + "0", "str_"));
  EXPECT_FALSE(isValidId(id.substr(0, id.size() - 1), "str_"));
  std::string upper = id;
  upper.back() = 'A';
  EXPECT_FALSE(isValidId(upper, "str_"));
  for (char bad : {'i', 'l', 'o', 'u', '-', '\0'}) {
    std::string s = id;
    s[10] = bad;
    EXPECT_FALSE(isValidId(s, "str_")) << bad;
  }
  // The first ULID character carries 3 bits only.
  EXPECT_TRUE(isValidId("str_7zzzzzzzzzzzzzzzzzzzzzzzzz", "str_"));
  EXPECT_FALSE(isValidId("str_8zzzzzzzzzzzzzzzzzzzzzzzzz", "str_"));
  EXPECT_FALSE(isValidId("", "str_"));
}

}  // namespace
}  // namespace streamhost
