#include "app/data_key_rotation.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "app/data_dir_lock.h"
#include "common/crypto.h"
#include "store/sqlite_reseal.h"
#include "store/sqlite_store.h"
#include "support/temp_dir.h"

namespace streamhost::app {
namespace {

namespace fs = std::filesystem;

class DataKeyRotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = crypto::loadOrCreateKeyFile(keyPath());
    ASSERT_TRUE(key.isOk()) << key.status().toString();
    old_key_ = *key;
    auto s = store::openSqliteStore(dbPath(), old_key_);
    ASSERT_TRUE(s.isOk()) << s.status().toString();
    store::ConnectionRow c;
    c.id = "conn_1";
    c.name = "c";
    c.type = "postgres";
    c.secrets = {{"password", "pw-1"}};
    ASSERT_TRUE((*s)->createConnection(c).isOk());
  }
  std::string keyPath() const { return (dir_.path() / kDataKeyFile).string(); }
  std::string nextPath() const { return (dir_.path() / kNextDataKeyFile).string(); }
  std::string dbPath() const { return (dir_.path() / "streamhost.db").string(); }
  std::string currentKey() const { return crypto::readKeyFile(keyPath()).value(); }
  bool readsUnder(const std::string& key) const {
    auto s = store::openSqliteStore(dbPath(), key);
    if (!s.isOk()) {
      return false;
    }
    auto c = (*s)->getConnection("conn_1");
    return c.isOk() && c->secrets.at("password") == "pw-1";
  }

  testing::TempDir dir_;
  std::string old_key_;
};

TEST_F(DataKeyRotationTest, NewKeyInPlaceOldOneKeptAsABackup) {
  auto rep = rotateDataKey(dir_.path());
  ASSERT_TRUE(rep.isOk()) << rep.status().toString();
  EXPECT_FALSE(rep->resumed);
  EXPECT_EQ(rep->connections, 1u);
  const std::string now = currentKey();
  EXPECT_NE(now, old_key_);
  EXPECT_EQ(rep->new_fingerprint, crypto::keyFingerprint(now));
  EXPECT_EQ(rep->old_fingerprint, crypto::keyFingerprint(old_key_));
  EXPECT_FALSE(fs::exists(nextPath()));
  EXPECT_EQ(rep->retired, dir_.path() / (std::string(kRetiredDataKeyPrefix) + rep->old_fingerprint));
  EXPECT_EQ(crypto::readKeyFile(rep->retired.string()).value(), old_key_);
  struct stat st {};
  ASSERT_EQ(::stat(keyPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(readsUnder(now));
  EXPECT_FALSE(readsUnder(old_key_));
}

TEST_F(DataKeyRotationTest, RefusedWhileADaemonHoldsTheDataDir) {
  auto daemon = DataDirLock::acquire(dir_.path(), DataDirLock::Mode::kShared);
  ASSERT_TRUE(daemon.isOk());
  auto rep = rotateDataKey(dir_.path());
  ASSERT_FALSE(rep.isOk());
  EXPECT_EQ(rep.status().code(), StatusCode::kBusy);
  EXPECT_NE(rep.status().message().find("running streamhostd"), std::string::npos) << rep.status().message();
  EXPECT_EQ(currentKey(), old_key_);
  EXPECT_FALSE(fs::exists(nextPath()));
  EXPECT_TRUE(readsUnder(old_key_));
}

TEST_F(DataKeyRotationTest, ADaemonCannotStartWhileARotationHoldsTheDataDir) {
  auto rotation = DataDirLock::acquire(dir_.path(), DataDirLock::Mode::kExclusive);
  ASSERT_TRUE(rotation.isOk());
  auto daemon = DataDirLock::acquire(dir_.path(), DataDirLock::Mode::kShared);
  ASSERT_FALSE(daemon.isOk());
  EXPECT_EQ(daemon.status().code(), StatusCode::kBusy);
}

// Interrupted after the store transaction, before the key rename: the store is
// sealed under secret.key.next while secret.key still holds the old key.
TEST_F(DataKeyRotationTest, InterruptedAfterTheStoreTransactionIsFinished) {
  const std::string next = crypto::randomBytes(crypto::kAesKeySize);
  ASSERT_TRUE(crypto::writeKeyFile(nextPath(), next).isOk());
  ASSERT_TRUE(store::resealSqliteStore(dbPath(), old_key_, next).isOk());
  ASSERT_FALSE(readsUnder(old_key_));

  auto done = finishInterruptedRotation(dir_.path());
  ASSERT_TRUE(done.isOk()) << done.status().toString();
  ASSERT_TRUE(done->has_value());
  EXPECT_TRUE((*done)->resumed);
  EXPECT_EQ((*done)->connections, 0u) << "already re-sealed values are left as they are";
  EXPECT_EQ(currentKey(), next);
  EXPECT_FALSE(fs::exists(nextPath()));
  EXPECT_TRUE(readsUnder(next));
}

// Interrupted after the new key was written, before the store transaction.
TEST_F(DataKeyRotationTest, InterruptedBeforeTheStoreTransactionIsFinishedByTheCommand) {
  const std::string next = crypto::randomBytes(crypto::kAesKeySize);
  ASSERT_TRUE(crypto::writeKeyFile(nextPath(), next).isOk());
  auto rep = rotateDataKey(dir_.path());
  ASSERT_TRUE(rep.isOk()) << rep.status().toString();
  EXPECT_TRUE(rep->resumed);
  EXPECT_EQ(rep->connections, 1u);
  EXPECT_EQ(currentKey(), next) << "the key written before the interruption is the one used";
  EXPECT_TRUE(readsUnder(next));
  EXPECT_FALSE(readsUnder(old_key_));
}

// Interrupted after the backup link, before the rename.
TEST_F(DataKeyRotationTest, InterruptedAfterTheBackupIsFinished) {
  const std::string next = crypto::randomBytes(crypto::kAesKeySize);
  ASSERT_TRUE(crypto::writeKeyFile(nextPath(), next).isOk());
  ASSERT_TRUE(store::resealSqliteStore(dbPath(), old_key_, next).isOk());
  fs::create_hard_link(keyPath(), dir_.path() / (kRetiredDataKeyPrefix + crypto::keyFingerprint(old_key_)));
  auto rep = rotateDataKey(dir_.path());
  ASSERT_TRUE(rep.isOk()) << rep.status().toString();
  EXPECT_EQ(currentKey(), next);
  EXPECT_EQ(crypto::readKeyFile(rep->retired.string()).value(), old_key_);
  EXPECT_TRUE(readsUnder(next));
}

TEST_F(DataKeyRotationTest, AFailedRotationLeavesNothingForTheNextStartToFinish) {
  // A value the current key does not open (sealed under some other key).
  const std::string other = crypto::randomBytes(crypto::kAesKeySize);
  ASSERT_TRUE(store::resealSqliteStore(dbPath(), old_key_, other).isOk());
  auto rep = rotateDataKey(dir_.path());
  ASSERT_FALSE(rep.isOk());
  EXPECT_NE(rep.status().message().find("conn_1"), std::string::npos) << rep.status().message();
  EXPECT_NE(rep.status().message().find("nothing was changed"), std::string::npos) << rep.status().message();
  EXPECT_FALSE(fs::exists(nextPath()));
  EXPECT_EQ(currentKey(), old_key_);
  EXPECT_TRUE(readsUnder(other));
  auto done = finishInterruptedRotation(dir_.path());
  ASSERT_TRUE(done.isOk()) << done.status().toString();
  EXPECT_FALSE(done->has_value());
}

TEST_F(DataKeyRotationTest, NothingToFinishWithoutANextKey) {
  auto done = finishInterruptedRotation(dir_.path());
  ASSERT_TRUE(done.isOk());
  EXPECT_FALSE(done->has_value());
  EXPECT_EQ(currentKey(), old_key_);
}

TEST_F(DataKeyRotationTest, TwoRotationsInARowKeepBothOldKeys) {
  auto first = rotateDataKey(dir_.path());
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  auto second = rotateDataKey(dir_.path());
  ASSERT_TRUE(second.isOk()) << second.status().toString();
  EXPECT_NE(first->retired, second->retired);
  EXPECT_EQ(crypto::readKeyFile(first->retired.string()).value(), old_key_);
  EXPECT_TRUE(readsUnder(currentKey()));
}

}  // namespace
}  // namespace streamhost::app
