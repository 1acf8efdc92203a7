#include "store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "common/crypto.h"
#include "store/sqlite_db.h"
#include "store/sqlite_schema.h"
#include "unit/store/store_contract.h"
#include "support/temp_dir.h"

namespace streamhost::store {
namespace {

using contract::StoreBackend;
using contract::StoreContractTest;

const std::string kKey(32, 'k');

std::string dbPath(const std::string& dir) { return dir + "/store.db"; }

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContractTest,
                         ::testing::Values(StoreBackend{
                             "Sqlite", [](const std::string& dir) { return openSqliteStore(dbPath(dir), kKey); }}),
                         contract::backendName);

/// Reads every file in `dir` (database, WAL, shared memory) as one byte string.
std::string allFileBytes(const std::filesystem::path& dir) {
  std::string out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    out.append(std::istreambuf_iterator<char>(in), {});
  }
  return out;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<StorePtr> s = openSqliteStore(path(), kKey);
    ASSERT_TRUE(s.isOk()) << s.status().toString();
    store_ = std::move(*s);
    PipelineRow p;
    p.id = "pl_1";
    p.name = "p";
    Status created = store_->createPipeline(p);
    ASSERT_TRUE(created.isOk()) << created.toString();
  }
  std::string path() const { return dbPath(dir_.str()); }
  SqliteDbPtr rawDb() {
    Result<SqliteDbPtr> db = SqliteDb::open(path());
    EXPECT_TRUE(db.isOk()) << db.status().toString();
    return db.isOk() ? std::move(*db) : nullptr;
  }
  ConnectionRow secretConnection(const std::string& id, const std::string& name, const std::string& secret) {
    ConnectionRow c;
    c.id = id;
    c.name = name;
    c.type = "postgres";
    c.config_json = R"({"host":"visible-config-marker"})";
    c.secrets = {{"password", secret}};
    return c;
  }
  Status execRaw(const std::string& sql) {
    SqliteDbPtr db = rawDb();
    return db ? db->exec(sql) : internalError("no db");
  }

  testing::TempDir dir_;
  StorePtr store_;
};

TEST_F(SqliteStoreTest, FreshDatabaseIsMigratedToTheKnownVersionInWalMode) {
  SqliteDbPtr db = rawDb();
  ASSERT_TRUE(db);
  Result<int64_t> version = sqliteSchemaVersion(*db);
  ASSERT_TRUE(version.isOk());
  EXPECT_EQ(*version, sqliteSchemaVersionKnown());
  EXPECT_GE(*version, 1);
  Result<SqliteStatement> q = db->prepare("PRAGMA journal_mode");
  ASSERT_TRUE(q.isOk());
  ASSERT_TRUE(q->step().value());
  EXPECT_EQ(q->columnText(0), "wal");
  struct stat st {};
  ASSERT_EQ(::stat(path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(SqliteStoreTest, ReopeningDoesNotReapplyMigrations) {
  store_.reset();
  Result<StorePtr> again = openSqliteStore(path(), kKey);
  ASSERT_TRUE(again.isOk()) << again.status().toString();
  SqliteDbPtr db = rawDb();
  Result<SqliteStatement> q = db->prepare("SELECT count(*) FROM schema_migrations");
  ASSERT_TRUE(q.isOk());
  ASSERT_TRUE(q->step().value());
  EXPECT_EQ(q->columnInt64(0), sqliteSchemaVersionKnown());
}

TEST_F(SqliteStoreTest, DatabaseFromANewerBuildIsRefused) {
  store_.reset();
  ASSERT_TRUE(execRaw("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)").isOk());
  Result<StorePtr> s = openSqliteStore(path(), kKey);
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(s.status().message().find("999"), std::string::npos) << s.status().message();
}

TEST_F(SqliteStoreTest, BadKeyOrUnopenablePathIsRefused) {
  EXPECT_EQ(openSqliteStore(dir_.str() + "/other.db", "short").status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(openSqliteStore(dir_.str() + "/missing/dir/x.db", kKey).isOk());
}

TEST_F(SqliteStoreTest, SecretsNeverReachTheDiskInPlaintext) {
  const std::string secret = "plaintext-secret-marker-7f3a";
  ASSERT_TRUE(store_->createConnection(secretConnection("conn_1", "c1", secret)).isOk());
  ConnectionRow rotated = secretConnection("conn_1", "c1", secret + "-rotated");
  ASSERT_TRUE(store_->updateConnection(rotated).isOk());
  // While open the rows sit in the WAL; after close they are checkpointed into the file.
  std::string live = allFileBytes(dir_.path());
  EXPECT_NE(live.find("visible-config-marker"), std::string::npos) << "scan did not see the rows";
  EXPECT_EQ(live.find(secret), std::string::npos);
  store_.reset();
  std::string closed = allFileBytes(dir_.path());
  EXPECT_NE(closed.find("visible-config-marker"), std::string::npos);
  EXPECT_EQ(closed.find(secret), std::string::npos);
}

TEST_F(SqliteStoreTest, TamperedSecretBlobFailsCleanly) {
  ASSERT_TRUE(store_->createConnection(secretConnection("conn_1", "c1", "s3cr3t-value")).isOk());
  {
    SqliteDbPtr db = rawDb();
    ASSERT_TRUE(db);
    Result<SqliteStatement> read = db->prepare("SELECT secrets_sealed FROM connections WHERE id = 'conn_1'");
    ASSERT_TRUE(read.isOk());
    ASSERT_TRUE(read->step().value());
    std::string blob = read->columnBlob(0);
    ASSERT_GT(blob.size(), 20u);
    blob[20] = char(blob[20] ^ 0x01);
    Result<SqliteStatement> write = db->prepare("UPDATE connections SET secrets_sealed = ?1 WHERE id = 'conn_1'");
    ASSERT_TRUE(write.isOk());
    ASSERT_TRUE(write->bindBlob(1, blob).run().isOk());
  }
  Result<ConnectionRow> got = store_->getConnection("conn_1");
  ASSERT_FALSE(got.isOk());
  EXPECT_EQ(got.status().code(), StatusCode::kInternal);
  EXPECT_NE(got.status().message().find("conn_1"), std::string::npos) << got.status().message();
  EXPECT_EQ(got.status().message().find("s3cr3t"), std::string::npos);
  EXPECT_FALSE(store_->listConnections(std::nullopt, std::nullopt, 10).isOk());
  // The rest of the store keeps working.
  EXPECT_TRUE(store_->getPipeline("pl_1").isOk());
}

TEST_F(SqliteStoreTest, SealedBlobCannotBeMovedToAnotherConnection) {
  ASSERT_TRUE(store_->createConnection(secretConnection("conn_1", "c1", "one")).isOk());
  ASSERT_TRUE(store_->createConnection(secretConnection("conn_2", "c2", "two")).isOk());
  ASSERT_TRUE(execRaw("UPDATE connections SET secrets_sealed = "
                      "(SELECT secrets_sealed FROM connections WHERE id = 'conn_1') WHERE id = 'conn_2'")
                  .isOk());
  EXPECT_TRUE(store_->getConnection("conn_1").isOk());
  EXPECT_EQ(store_->getConnection("conn_2").status().code(), StatusCode::kInternal);
}

TEST_F(SqliteStoreTest, WrongKeyCannotReadSecretsButOtherDataStaysReadable) {
  ASSERT_TRUE(store_->createConnection(secretConnection("conn_1", "c1", "one")).isOk());
  store_.reset();
  Result<StorePtr> other = openSqliteStore(path(), std::string(32, 'x'));
  ASSERT_TRUE(other.isOk());
  EXPECT_EQ((*other)->getConnection("conn_1").status().code(), StatusCode::kInternal);
  EXPECT_TRUE((*other)->getPipeline("pl_1").isOk());
}

TEST_F(SqliteStoreTest, KeyFileAndStoreWorkTogetherAcrossRestarts) {
  std::string key_path = dir_.str() + "/secret.key";
  std::string db = dir_.str() + "/keyed.db";
  {
    Result<std::string> key = crypto::loadOrCreateKeyFile(key_path);
    ASSERT_TRUE(key.isOk());
    Result<StorePtr> s = openSqliteStore(db, *key);
    ASSERT_TRUE(s.isOk());
    ASSERT_TRUE((*s)->createConnection(secretConnection("conn_1", "c1", "pw")).isOk());
  }
  Result<std::string> key = crypto::loadOrCreateKeyFile(key_path);
  ASSERT_TRUE(key.isOk());
  Result<StorePtr> s = openSqliteStore(db, *key);
  ASSERT_TRUE(s.isOk());
  EXPECT_EQ((*s)->getConnection("conn_1")->secrets.at("password"), "pw");
}

TEST_F(SqliteStoreTest, ListQueriesWalkAnIndexWithoutSorting) {
  SqliteDbPtr db = rawDb();
  ASSERT_TRUE(db);
  std::vector<std::string> queries;
  for (int mask = 0; mask < 16; ++mask) {
    StreamFilter f;
    if (mask & 1) f.status = "running";
    if (mask & 2) f.source_type = "x";
    if (mask & 4) f.pipeline_id = "pl_1";
    queries.push_back(sqliteStreamListSql(f, (mask & 8) != 0));
  }
  for (const auto& sql : queries) {
    Result<SqliteStatement> q = db->prepare("EXPLAIN QUERY PLAN " + sql);
    ASSERT_TRUE(q.isOk()) << q.status().toString();
    std::string plan;
    for (Result<bool> row = q->step(); row.isOk() && *row; row = q->step()) {
      plan += q->columnText(3) + "\n";
    }
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << sql << "\n" << plan;
    EXPECT_NE(plan.find("INDEX"), std::string::npos) << sql << "\n" << plan;
  }
}

TEST_F(SqliteStoreTest, ConcurrentWritersAreSerialised) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 25; ++i) {
        StreamRow s;
        s.id = "str_" + std::to_string(t) + "_" + std::to_string(i);
        s.name = s.id;
        s.source_type = "datagen";
        s.pipeline_id = "pl_1";
        EXPECT_TRUE(store_->createStream(s).isOk());
        EXPECT_TRUE(store_->setCommittedOffset(s.id, "1", 1).isOk());
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  Result<std::vector<StreamRow>> all = store_->listStreams({}, std::nullopt, 500);
  ASSERT_TRUE(all.isOk());
  EXPECT_EQ(all->size(), 100u);
}

}  // namespace
}  // namespace streamhost::store
