#include "store/sqlite_reseal.h"

#include <gtest/gtest.h>

#include "store/sqlite_db.h"
#include "store/sqlite_store.h"
#include "support/temp_dir.h"

namespace streamhost::store {
namespace {

const std::string kOld(32, 'o');
const std::string kNew(32, 'n');

class SqliteResealTest : public ::testing::Test {
 protected:
  std::string path() const { return dir_.str() + "/store.db"; }

  /// A pipeline, a connection with a password and a stream with a sealed config key, under `key`.
  void populate(const std::string& key) {
    auto s = openSqliteStore(path(), key);
    ASSERT_TRUE(s.isOk()) << s.status().toString();
    PipelineRow p;
    p.id = "pl_1";
    p.name = "p";
    ASSERT_TRUE((*s)->createPipeline(p).isOk());
    ConnectionRow c;
    c.id = "conn_1";
    c.name = "c";
    c.type = "postgres";
    c.secrets = {{"password", "pw-1"}};
    ASSERT_TRUE((*s)->createConnection(c).isOk());
    StreamRow r;
    r.id = "str_1";
    r.name = "s";
    r.source_type = "webhook";
    r.pipeline_id = "pl_1";
    r.config_json = R"({"auth":{"scheme":"github","secrets":["hook-secret"]},"tag":"x"})";
    r.secret_keys = {"auth"};
    ASSERT_TRUE((*s)->createStream(r).isOk());
  }

  /// Whether a store opened with `key` reads both sealed values back.
  bool readsUnder(const std::string& key) {
    auto s = openSqliteStore(path(), key);
    if (!s.isOk()) {
      return false;
    }
    auto c = (*s)->getConnection("conn_1");
    auto r = (*s)->getStream("str_1");
    return c.isOk() && c->secrets.at("password") == "pw-1" && r.isOk() &&
           r->config_json.find("hook-secret") != std::string::npos;
  }

  testing::TempDir dir_;
};

TEST_F(SqliteResealTest, EverySealedValueMovesToTheNewKey) {
  populate(kOld);
  auto rep = resealSqliteStore(path(), kOld, kNew);
  ASSERT_TRUE(rep.isOk()) << rep.status().toString();
  EXPECT_EQ(rep->connections, 1u);
  EXPECT_EQ(rep->stream_values, 1u);
  EXPECT_EQ(rep->already, 0u);
  EXPECT_TRUE(readsUnder(kNew));
  EXPECT_FALSE(readsUnder(kOld)) << "the old key still opens the values";
}

TEST_F(SqliteResealTest, RunningItAgainChangesNothing) {
  populate(kOld);
  ASSERT_TRUE(resealSqliteStore(path(), kOld, kNew).isOk());
  auto again = resealSqliteStore(path(), kOld, kNew);
  ASSERT_TRUE(again.isOk()) << again.status().toString();
  EXPECT_EQ(again->connections, 0u);
  EXPECT_EQ(again->stream_values, 0u);
  EXPECT_EQ(again->already, 2u);
  EXPECT_TRUE(readsUnder(kNew));
}

TEST_F(SqliteResealTest, AValueUnderNeitherKeyChangesNothingAndNamesTheRow) {
  populate(kOld);
  const std::string other(32, 'x');
  auto rep = resealSqliteStore(path(), other, kNew);
  ASSERT_FALSE(rep.isOk());
  EXPECT_NE(rep.status().message().find("conn_1"), std::string::npos) << rep.status().message();
  EXPECT_EQ(rep.status().message().find("pw-1"), std::string::npos);
  EXPECT_TRUE(readsUnder(kOld)) << "a failed re-seal must leave every value as it was";
}

TEST_F(SqliteResealTest, RefusedWhileAnotherConnectionHasTheStoreOpen) {
  populate(kOld);
  auto daemon = openSqliteStore(path(), kOld);
  ASSERT_TRUE(daemon.isOk());
  ASSERT_TRUE((*daemon)->getConnection("conn_1").isOk());
  auto rep = resealSqliteStore(path(), kOld, kNew);
  ASSERT_FALSE(rep.isOk());
  EXPECT_EQ(rep.status().code(), StatusCode::kBusy) << rep.status().toString();
  EXPECT_NE(rep.status().message().find("in use"), std::string::npos) << rep.status().message();
  EXPECT_TRUE((*daemon)->getConnection("conn_1").isOk()) << "the open store must keep working";
  daemon->reset();
  EXPECT_TRUE(readsUnder(kOld));
}

TEST_F(SqliteResealTest, NoDatabaseIsAnEmptyStore) {
  auto rep = resealSqliteStore(path(), kOld, kNew);
  ASSERT_TRUE(rep.isOk()) << rep.status().toString();
  EXPECT_EQ(rep->connections + rep->stream_values + rep->already, 0u);
}

}  // namespace
}  // namespace streamhost::store
