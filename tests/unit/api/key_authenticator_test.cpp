#include "api/key_authenticator.h"

#include <gtest/gtest.h>

#include "api/auth_failures.h"
#include "common/crypto.h"
#include "store/sqlite_store.h"
#include "support/temp_dir.h"

namespace streamhost::api {
namespace {

class ManualClock final : public Clock {
 public:
  int64_t nowMillis() const override { return now; }
  std::chrono::steady_clock::time_point steadyNow() const override {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(now));
  }
  int64_t now = 1'700'000'000'000;
};

class KeyAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::openSqliteStore(dir_.str() + "/store.db", std::string(32, 'k'));
    ASSERT_TRUE(s.isOk()) << s.status().toString();
    store_ = std::move(*s);
  }
  void addKey(const std::string& id, const std::string& key, std::optional<int64_t> expires_at = std::nullopt) {
    store::ApiKeyRow row;
    row.id = id;
    row.name = id;
    row.key_sha256 = crypto::sha256Hex(key);
    row.scopes = {"streams:read"};
    row.created_at = clock_.now;
    row.expires_at = expires_at;
    ASSERT_TRUE(store_->createApiKey(row).isOk());
  }

  streamhost::testing::TempDir dir_;
  store::StorePtr store_;
  ManualClock clock_;
};

TEST_F(KeyAuthenticatorTest, VerifiedKeysAreServedFromMemoryUntilRevokedOrStale) {
  addKey("key_1", "sk_one");
  KeyAuthenticator auth({}, store_.get(), clock_);
  auto who = auth.authenticate("sk_one");
  ASSERT_TRUE(who);
  EXPECT_EQ(who->key_id, "key_1");
  EXPECT_EQ(auth.cachedCount(), 1u);
  // Gone from the store behind the authenticator's back: the cached
  // verification answers, so the store was not asked.
  ASSERT_TRUE(store_->deleteApiKey("key_1").isOk());
  EXPECT_TRUE(auth.authenticate("sk_one"));
  // A revoke through the daemon invalidates at once.
  auth.invalidate("key_1");
  EXPECT_FALSE(auth.authenticate("sk_one"));
  EXPECT_EQ(auth.cachedCount(), 0u);

  // Without the invalidation, the entry goes stale after the TTL.
  addKey("key_2", "sk_two");
  ASSERT_TRUE(auth.authenticate("sk_two"));
  ASSERT_TRUE(store_->deleteApiKey("key_2").isOk());
  clock_.now += KeyAuthenticator::kCacheTtlMs;
  EXPECT_FALSE(auth.authenticate("sk_two"));
  EXPECT_FALSE(auth.authenticate("sk_unknown"));
}

TEST_F(KeyAuthenticatorTest, ExpiredKeysAreRefusedEvenWhenCached) {
  addKey("key_1", "sk_one", clock_.now + 1000);
  KeyAuthenticator auth({}, store_.get(), clock_);
  ASSERT_TRUE(auth.authenticate("sk_one"));
  clock_.now += 1000;
  EXPECT_FALSE(auth.authenticate("sk_one"));
  addKey("key_2", "sk_two", clock_.now - 1);
  EXPECT_FALSE(auth.authenticate("sk_two"));
}

TEST_F(KeyAuthenticatorTest, UseIsRecordedOncePerVerification) {
  addKey("key_1", "sk_one");
  KeyAuthenticator auth({}, store_.get(), clock_);
  ASSERT_TRUE(auth.authenticate("sk_one"));
  auto rows = store_->listApiKeys();
  ASSERT_TRUE(rows.isOk());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].last_used_at, clock_.now);
}

TEST(AuthFailureLimiterTest, AnAddressOverTheLimitWaitsForTheNextMinute) {
  int64_t now = 0;
  AuthFailureLimiter limiter(3, [&] { return now; });
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(limiter.blockedFor("10.0.0.1"), 0);
    limiter.recordFailure("10.0.0.1");
  }
  EXPECT_EQ(limiter.blockedFor("10.0.0.1"), 60);
  EXPECT_EQ(limiter.blockedFor("10.0.0.2"), 0) << "other addresses are not affected";
  now = 59'500;
  EXPECT_EQ(limiter.blockedFor("10.0.0.1"), 1);
  now = 60'000;
  EXPECT_EQ(limiter.blockedFor("10.0.0.1"), 0);
  AuthFailureLimiter off(0, [&] { return now; });
  for (int i = 0; i < 100; ++i) {
    off.recordFailure("a");
  }
  EXPECT_EQ(off.blockedFor("a"), 0);
}

}  // namespace
}  // namespace streamhost::api
