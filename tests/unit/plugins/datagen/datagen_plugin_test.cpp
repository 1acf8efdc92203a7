// datagen.so through the real loader and Connector, on a fake host clock.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "plugins/connector.h"
#include "plugins/plugin_loader.h"

namespace streamhost::plugins {
namespace {

class DatagenPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    report_ = PluginLoader(STREAMHOST_TEST_PLUGIN_DIR).loadAll(registry_);
    type_ = registry_.findSourceType("datagen");
    ASSERT_NE(type_, nullptr) << report_.toText();
  }

  ConnectorPtr make(const std::string& config, bool fake_clock = true) {
    auto validated = Connector::validateConfig(*type_, config);
    EXPECT_TRUE(validated.isOk()) << validated.status().toString();
    InstanceOptions o;
    o.stream_id = "str_dg";
    o.stream_name = "dg";
    o.config_json = validated->json;
    if (fake_clock) {
      o.clock = [this] { return now_.load(); };
    }
    auto c = Connector::create(*type_, std::move(o));
    EXPECT_TRUE(c.isOk()) << c.status().toString();
    return std::move(c).value();
  }

  PluginRegistry registry_;
  PluginReport report_;
  const SourceTypeInfo* type_ = nullptr;
  std::atomic<int64_t> now_{1'700'000'000'000};
};

TEST_F(DatagenPluginTest, DescribesItself) {
  EXPECT_TRUE(type_->supportsPause());
  EXPECT_FALSE(type_->isPush());
  ASSERT_EQ(type_->config_keys.size(), 3u);
  EXPECT_EQ(type_->config_keys[0].name, "rate_per_second");
  EXPECT_EQ(type_->config_keys[0].default_json, "1000");
  EXPECT_EQ(type_->plugin->name(), "datagen");
}

TEST_F(DatagenPluginTest, EmitsExactRecordsAndResumesAfterAnOffset) {
  auto c = make(R"({"rate_per_second":0,"payload_bytes":5})");
  ASSERT_TRUE(c->start("").isOk());
  RecordBatch batch(100, 1 << 20);
  ASSERT_TRUE(c->poll(batch, 3, 100).isOk());
  ASSERT_EQ(batch.size(), 3u);
  for (int n = 1; n <= 3; ++n) {
    const Record& r = batch.records()[static_cast<size_t>(n - 1)];
    EXPECT_EQ(r.key, std::to_string(n));
    EXPECT_EQ(r.offset, std::to_string(n));
    EXPECT_EQ(r.value, "{\"n\":" + std::to_string(n) + ",\"payload\":\"abcde\"}");
    EXPECT_EQ(r.op, SH_OP_NONE);
    EXPECT_EQ(r.ts_ms, now_.load());
  }
  EXPECT_EQ(batch.lastOffset(), "3");

  ASSERT_TRUE(c->stop().isOk());
  ASSERT_TRUE(c->start("41").isOk());
  batch.clear();
  ASSERT_TRUE(c->poll(batch, 1, 100).isOk());
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch.records()[0].key, "42");
}

TEST_F(DatagenPluginTest, RefusesAnOffsetThatIsNotANumber) {
  auto c = make("{}");
  Status st = c->start("abc");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("\"abc\""), std::string::npos) << st.message();
  EXPECT_EQ(c->start("-3").code(), StatusCode::kInvalidArgument);
}

TEST_F(DatagenPluginTest, ConfigErrorsNameTheField) {
  auto big = Connector::validateConfig(*type_, R"({"payload_bytes":2000000})");
  EXPECT_EQ(big.status().code(), StatusCode::kInvalidConfig);
  EXPECT_EQ(big.status().field(), "payload_bytes");
  EXPECT_EQ(Connector::validateConfig(*type_, R"({"rate_per_second":-1})").status().field(), "rate_per_second");
  EXPECT_EQ(Connector::validateConfig(*type_, R"({"max_records":-1})").status().field(), "max_records");
  EXPECT_EQ(Connector::validateConfig(*type_, R"({"rate_per_second":1.5})").status().field(), "rate_per_second");
  EXPECT_EQ(Connector::validateConfig(*type_, R"({"rate":1})").status().field(), "rate");
}

TEST_F(DatagenPluginTest, MaxRecordsStopsAndLagCountsDown) {
  auto c = make(R"({"rate_per_second":0,"max_records":5,"payload_bytes":1})");
  ASSERT_TRUE(c->start("").isOk());
  EXPECT_EQ(c->metrics()->records, 5);
  RecordBatch batch(100, 1 << 20);
  ASSERT_TRUE(c->poll(batch, 100, 0).isOk());
  EXPECT_EQ(batch.size(), 5u);
  EXPECT_EQ(c->metrics()->records, 0);
  batch.clear();
  ASSERT_TRUE(c->poll(batch, 100, 0).isOk());
  EXPECT_EQ(batch.size(), 0u);
  auto endless = make(R"({"rate_per_second":0})");
  ASSERT_TRUE(endless->start("").isOk());
  EXPECT_EQ(endless->metrics()->records, -1);
}

TEST_F(DatagenPluginTest, BackpressuredRecordIsMadeAgain) {
  auto c = make(R"({"rate_per_second":0,"payload_bytes":1})");
  ASSERT_TRUE(c->start("").isOk());
  RecordBatch small(2, 1 << 20);
  ASSERT_TRUE(c->poll(small, 10, 0).isOk());
  ASSERT_EQ(small.size(), 2u);
  small.clear();
  ASSERT_TRUE(c->poll(small, 10, 0).isOk());
  EXPECT_EQ(small.records()[0].key, "3");
}

TEST_F(DatagenPluginTest, RateFollowsTheFakeClockExactly) {
  auto c = make(R"({"rate_per_second":10,"payload_bytes":1})");
  ASSERT_TRUE(c->start("").isOk());
  RecordBatch batch(1000, 1 << 20);
  ASSERT_TRUE(c->poll(batch, 100, 0).isOk());
  EXPECT_EQ(batch.size(), 0u);
  now_ += 1000;
  ASSERT_TRUE(c->poll(batch, 100, 0).isOk());
  EXPECT_EQ(batch.size(), 10u);
  now_ += 60'000;  // a long gap saves up one second at most
  batch.clear();
  ASSERT_TRUE(c->poll(batch, 100, 0).isOk());
  EXPECT_EQ(batch.size(), 10u);
  now_ += 300;
  batch.clear();
  ASSERT_TRUE(c->poll(batch, 100, 0).isOk());
  EXPECT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch.records()[0].key, "21");
}

TEST_F(DatagenPluginTest, RealClockNeverExceedsTheRate) {
  // Only an upper bound: a slow machine may produce fewer, never more.
  auto c = make(R"({"rate_per_second":200,"payload_bytes":1})", false);
  ASSERT_TRUE(c->start("").isOk());
  RecordBatch batch(100000, 64 << 20);
  auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(300)) {
    ASSERT_TRUE(c->poll(batch, 1000, 20).isOk());
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LE(static_cast<double>(batch.size()), 200.0 * seconds + 2.0) << seconds;
}

TEST_F(DatagenPluginTest, WakeupEndsABlockedPoll) {
  auto c = make(R"({"rate_per_second":1})");  // frozen clock: nothing ever due
  ASSERT_TRUE(c->start("").isOk());
  RecordBatch batch(10, 1 << 20);
  auto t0 = std::chrono::steady_clock::now();
  std::thread waker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    c->wakeup();
  });
  ASSERT_TRUE(c->poll(batch, 10, 60'000).isOk());
  waker.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30));
  EXPECT_EQ(batch.size(), 0u);
}

TEST_F(DatagenPluginTest, PollNeverOutlastsItsTimeout) {
  auto c = make(R"({"rate_per_second":1})");
  ASSERT_TRUE(c->start("").isOk());
  RecordBatch batch(10, 1 << 20);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(c->poll(batch, 10, 50).isOk());
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, std::chrono::milliseconds(50));
  EXPECT_LT(took, std::chrono::seconds(20));
}

TEST_F(DatagenPluginTest, PauseHoldsRecordsUntilResume) {
  auto c = make(R"({"rate_per_second":0,"payload_bytes":1})");
  ASSERT_TRUE(c->start("").isOk());
  ASSERT_TRUE(c->pause().isOk());
  RecordBatch batch(10, 1 << 20);
  ASSERT_TRUE(c->poll(batch, 10, 10).isOk());
  EXPECT_EQ(batch.size(), 0u);
  ASSERT_TRUE(c->resume().isOk());
  ASSERT_TRUE(c->poll(batch, 10, 10).isOk());
  ASSERT_EQ(batch.size(), 10u);
  EXPECT_EQ(batch.records()[0].key, "1");
}

}  // namespace
}  // namespace streamhost::plugins
