#include "plugins/instance_context.h"

#include <gtest/gtest.h>

#include "plugins/host_api.h"

namespace streamhost::plugins {
namespace {

std::string get(sh_status_t (*fn)(sh_host_ctx_t*, sh_str_t, char*, size_t, size_t*), InstanceContext& ctx,
                const std::string& key, sh_status_t* st) {
  char buf[64];
  size_t len = 0;
  *st = fn(ctx.handle(), sh_str_t{key.data(), key.size()}, buf, sizeof(buf), &len);
  return *st == SH_OK ? std::string(buf, std::min(len, sizeof(buf))) : std::string();
}

TEST(InstanceContextTest, AnswersConfigAndConnectionKeysAsJson) {
  InstanceOptions o;
  o.config_json = R"({"n":3,"s":"x"})";
  o.connection_json = R"({"config":{"host":"db"},"secrets":{"password":"pw","host":"shadowed"}})";
  auto ctx = InstanceContext::create(o);
  ASSERT_TRUE(ctx.isOk());
  sh_status_t st = 0;
  EXPECT_EQ(get(hostApi()->config_get, **ctx, "n", &st), "3");
  EXPECT_EQ(get(hostApi()->config_get, **ctx, "s", &st), "\"x\"");
  get(hostApi()->config_get, **ctx, "missing", &st);
  EXPECT_EQ(st, SH_ERR_NOT_FOUND);
  EXPECT_EQ(get(hostApi()->connection_get, **ctx, "host", &st), "\"db\"");
  EXPECT_EQ(get(hostApi()->connection_get, **ctx, "password", &st), "\"pw\"");
}

TEST(InstanceContextTest, ReportsFullLengthWhenTheBufferIsSmall) {
  InstanceOptions o;
  o.config_json = R"({"long":"0123456789"})";
  auto ctx = InstanceContext::create(o);
  char buf[4];
  size_t len = 0;
  ASSERT_EQ(hostApi()->config_get((*ctx)->handle(), sh_str_t{"long", 4}, buf, sizeof(buf), &len), SH_OK);
  EXPECT_EQ(len, 12u);
  EXPECT_EQ(std::string(buf, 4), "\"012");
}

TEST(InstanceContextTest, MetricsClockAndMissingStore) {
  InstanceOptions o;
  o.clock = [] { return int64_t{42}; };
  auto ctx = InstanceContext::create(o);
  const sh_host_api_t* api = hostApi();
  api->gauge_set((*ctx)->handle(), sh_str_t{"depth", 5}, 1.5);
  api->counter_add((*ctx)->handle(), sh_str_t{"req", 3}, 2);
  api->counter_add((*ctx)->handle(), sh_str_t{"req", 3}, 3);
  EXPECT_EQ((*ctx)->gauges().at("depth"), 1.5);
  EXPECT_EQ((*ctx)->counters().at("req"), 5);
  EXPECT_EQ(api->now_ms((*ctx)->handle()), 42);
  uint8_t buf[8];
  size_t len = 0;
  EXPECT_EQ(api->state_get((*ctx)->handle(), sh_str_t{"k", 1}, buf, sizeof(buf), &len), SH_ERR_UNSUPPORTED);
  EXPECT_EQ(api->state_put((*ctx)->handle(), sh_str_t{"k", 1}, sh_bytes_t{buf, 1}, 0), SH_ERR_UNSUPPORTED);
}

TEST(InstanceContextTest, RefusesConfigThatIsNotAnObject) {
  InstanceOptions o;
  o.config_json = "[1]";
  EXPECT_EQ(InstanceContext::create(o).status().code(), StatusCode::kInvalidConfig);
}

}  // namespace
}  // namespace streamhost::plugins
