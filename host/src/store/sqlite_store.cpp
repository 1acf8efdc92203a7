#include "store/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "common/crypto.h"
#include "store/row_codec.h"
#include "store/sqlite_schema.h"

namespace streamhost::store {
namespace {

constexpr const char* kStreamColumns =
    "id, name, source_type, pipeline_id, connection_id, config_json, status, last_error, committed_offset, "
    "created_at, updated_at, started_at, config_sealed";
// Read back beside the columns above; only setCommittedOffset writes committed_seq.
constexpr const char* kStreamSelect =
    "id, name, source_type, pipeline_id, connection_id, config_json, status, last_error, committed_offset, "
    "created_at, updated_at, started_at, config_sealed, committed_seq, offset_changed_at, committed_at";

StreamRow readStreamColumns(const SqliteStatement& q) {
  StreamRow r;
  r.id = q.columnText(0);
  r.name = q.columnText(1);
  r.source_type = q.columnText(2);
  r.pipeline_id = q.columnText(3);
  r.connection_id = q.columnOptionalText(4);
  r.config_json = q.columnText(5);
  r.status = q.columnText(6);
  r.last_error = q.columnOptionalText(7);
  r.committed_offset = q.columnOptionalText(8);
  r.created_at = q.columnInt64(9);
  r.updated_at = q.columnInt64(10);
  r.started_at = q.columnOptionalInt64(11);
  r.committed_seq = static_cast<uint64_t>(q.columnInt64(13));
  r.offset_changed_at = q.columnOptionalInt64(14);
  r.committed_at = q.columnOptionalInt64(15);
  return r;
}

int64_t wallMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Creates the file with mode 0600 before SQLite does (SQLite gives the -wal
/// and -shm files the same mode), since it holds key hashes and sealed secrets.
Status precreatePrivate(const std::string& path) {
  if (path.empty() || path == ":memory:") {
    return Status::ok();
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
  } else if (errno != EEXIST) {
    return internalError("cannot create store file " + path + ": " + std::strerror(errno));
  }
  return Status::ok();
}

Status configure(SqliteDb& db) {
  if (int rc = sqlite3_busy_timeout(db.handle(), 5000); rc != SQLITE_OK) {
    return sqliteStatus(rc, db.handle(), "busy_timeout");
  }
  Result<SqliteStatement> wal = db.prepare("PRAGMA journal_mode=WAL");
  if (!wal) {
    return wal.status();
  }
  Result<bool> row = wal->step();
  if (!row) {
    return row.status();
  }
  if (!*row || wal->columnText(0) != "wal") {
    return internalError("SQLite refused WAL mode");
  }
  if (Status s = db.exec("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL"); !s) {
    return s;
  }
  Result<SqliteStatement> fk = db.prepare("PRAGMA foreign_keys");
  if (!fk) {
    return fk.status();
  }
  row = fk->step();
  if (!row || !*row || fk->columnInt64(0) != 1) {
    return internalError("SQLite foreign keys cannot be enabled");
  }
  return Status::ok();
}

}  // namespace

Result<StorePtr> openSqliteStore(const std::string& path, const std::string& secret_key) {
  if (secret_key.size() != crypto::kAesKeySize) {
    return invalidArgument("store secret key must be 32 bytes, got " + std::to_string(secret_key.size()));
  }
  if (Status s = precreatePrivate(path); !s) {
    return s;
  }
  Result<SqliteDbPtr> db = SqliteDb::open(path);
  if (!db) {
    return db.status();
  }
  if (Status s = configure(**db); !s) {
    return Status(s.code(), "store " + path + ": " + s.message());
  }
  if (Status s = migrateSqliteSchema(**db, wallMillis()); !s) {
    return Status(s.code(), "store " + path + ": " + s.message());
  }
  return StorePtr(std::make_unique<SqliteStore>(std::move(*db), secret_key));
}

Result<StreamRow> SqliteStore::readStream(const SqliteStatement& q) {
  StreamRow r = readStreamColumns(q);
  Result<std::string> config = openConfigSecrets(r.config_json, q.columnText(12), secret_key_, r.id, r.secret_keys);
  if (!config) {
    return config.status();
  }
  r.config_json = std::move(*config);
  return r;
}

std::string sqliteStreamListSql(const StreamFilter& filter, bool has_after) {
  std::string sql = std::string("SELECT ") + kStreamSelect + " FROM streams WHERE 1";
  if (filter.status) {
    sql += " AND status = :status";
  }
  if (filter.source_type) {
    sql += " AND source_type = :source_type";
  }
  if (filter.pipeline_id) {
    sql += " AND pipeline_id = :pipeline_id";
  }
  if (has_after) {
    sql += " AND (created_at, id) < (:after_at, :after_id)";
  }
  sql += " ORDER BY created_at DESC, id DESC LIMIT :limit";
  return sql;
}

SqliteStore::SqliteStore(SqliteDbPtr db, std::string secret_key)
    : db_(std::move(db)), secret_key_(std::move(secret_key)) {}

Status SqliteStore::useDurability(Durability d) {
  if (d == durability_) {
    return Status::ok();
  }
  Status s = db_->exec(d == Durability::kFull ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  if (s) {
    durability_ = d;
  }
  return s;
}

Result<bool> SqliteStore::exists(const char* table, const std::string& id) {
  Result<SqliteStatement> q = db_->prepare(std::string("SELECT 1 FROM ") + table + " WHERE id = ?1");
  if (!q) {
    return q.status();
  }
  return q->bindText(1, id).step();
}

Status SqliteStore::streamWriteError(const SqliteStatement& stmt, const Status& failure, const StreamRow& row) {
  if (isUniqueViolation(stmt.lastErrorCode())) {
    Result<SqliteStatement> q = db_->prepare("SELECT 1 FROM streams WHERE name = ?1 AND id <> ?2");
    if (q) {
      Result<bool> taken = q->bindText(1, row.name).bindText(2, row.id).step();
      if (taken && *taken) {
        return Status(StatusCode::kAlreadyExists, "a stream named '" + row.name + "' already exists");
      }
    }
    return Status(StatusCode::kAlreadyExists, "stream " + row.id + " already exists");
  }
  if (isForeignKeyViolation(stmt.lastErrorCode())) {
    Result<bool> has_pipeline = exists("pipelines", row.pipeline_id);
    if (has_pipeline && !*has_pipeline) {
      return notFound("pipeline " + row.pipeline_id + " not found");
    }
    return notFound("connection " + row.connection_id.value_or("") + " not found");
  }
  return failure;
}

Status SqliteStore::referencedError(const char* what, const char* column, const std::string& id,
                                    const Status& failure) {
  Result<SqliteStatement> q =
      db_->prepare(std::string("SELECT id, name FROM streams WHERE ") + column + " = ?1 ORDER BY id LIMIT 1");
  if (!q) {
    return failure;
  }
  Result<bool> row = q->bindText(1, id).step();
  if (!row || !*row) {
    return failure;
  }
  return Status(StatusCode::kConflict, std::string(what) + " " + id + " is still used by stream " +
                                           q->columnText(0) + " ('" + q->columnText(1) + "')");
}

Status SqliteStore::createStream(const StreamRow& row) {
  Result<SplitConfig> config = sealConfigSecrets(row.config_json, row.secret_keys, secret_key_, row.id);
  if (!config) {
    return config.status();
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = useDurability(Durability::kFull); !s) {
    return s;
  }
  Result<SqliteStatement> q = db_->prepare(std::string("INSERT INTO streams (") + kStreamColumns +
                                           ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
  if (!q) {
    return q.status();
  }
  q->bindText(1, row.id)
      .bindText(2, row.name)
      .bindText(3, row.source_type)
      .bindText(4, row.pipeline_id)
      .bindOptionalText(5, row.connection_id)
      .bindText(6, config->public_json)
      .bindText(7, row.status)
      .bindOptionalText(8, row.last_error)
      .bindOptionalText(9, row.committed_offset)
      .bindInt64(10, row.created_at)
      .bindInt64(11, row.updated_at)
      .bindOptionalInt64(12, row.started_at)
      .bindText(13, config->sealed_json);
  Status s = q->run();
  return s ? s : streamWriteError(*q, s, row);
}

Result<StreamRow> SqliteStore::getStream(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  return selectOne<StreamRow>(*db_, std::string("SELECT ") + kStreamSelect + " FROM streams WHERE id = ?1",
                         id, "stream " + id + " not found",
                         [this](const SqliteStatement& s) { return readStream(s); });
}

Result<std::vector<StreamRow>> SqliteStore::listStreams(const StreamFilter& filter,
                                                        const std::optional<PageKey>& after, int limit) {
  if (limit < 1) {
    return invalidArgument("limit must be at least 1", "limit");
  }
  std::lock_guard<std::mutex> lock(mu_);
  Result<SqliteStatement> q = db_->prepare(sqliteStreamListSql(filter, after.has_value()));
  if (!q) {
    return q.status();
  }
  // Named parameters are numbered in order of appearance, as bound here.
  int index = 1;
  if (filter.status) {
    q->bindText(index++, *filter.status);
  }
  if (filter.source_type) {
    q->bindText(index++, *filter.source_type);
  }
  if (filter.pipeline_id) {
    q->bindText(index++, *filter.pipeline_id);
  }
  if (after) {
    q->bindInt64(index++, after->created_at);
    q->bindText(index++, after->id);
  }
  q->bindInt64(index, limit);
  std::vector<StreamRow> out;
  for (Result<bool> row = q->step();; row = q->step()) {
    if (!row) {
      return row.status();
    }
    if (!*row) {
      return out;
    }
    Result<StreamRow> r = readStream(*q);
    if (!r) {
      return r.status();
    }
    out.push_back(std::move(*r));
  }
}

Status SqliteStore::updateStream(const StreamRow& row) {
  Result<SplitConfig> config = sealConfigSecrets(row.config_json, row.secret_keys, secret_key_, row.id);
  if (!config) {
    return config.status();
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = useDurability(Durability::kFull); !s) {
    return s;
  }
  Result<SqliteStatement> q = db_->prepare(
      "UPDATE streams SET name = ?2, config_json = ?3, status = ?4, last_error = ?5, committed_offset = ?6, "
      "updated_at = ?7, started_at = ?8, config_sealed = ?9 WHERE id = ?1");
  if (!q) {
    return q.status();
  }
  q->bindText(1, row.id)
      .bindText(2, row.name)
      .bindText(3, config->public_json)
      .bindText(4, row.status)
      .bindOptionalText(5, row.last_error)
      .bindOptionalText(6, row.committed_offset)
      .bindInt64(7, row.updated_at)
      .bindOptionalInt64(8, row.started_at)
      .bindText(9, config->sealed_json);
  if (Status s = q->run(); !s) {
    return streamWriteError(*q, s, row);
  }
  return db_->changes() == 0 ? notFound("stream " + row.id + " not found") : Status::ok();
}

Status SqliteStore::setStreamStatus(const std::string& id, const std::string& status,
                                    const std::optional<std::string>& last_error, std::optional<int64_t> started_at,
                                    int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  // Lifecycle changes are reported to users once stored: FULL.
  if (Status s = useDurability(Durability::kFull); !s) {
    return s;
  }
  Result<SqliteStatement> q = db_->prepare(
      "UPDATE streams SET status = ?2, last_error = ?3, started_at = coalesce(?4, started_at), updated_at = ?5 "
      "WHERE id = ?1");
  if (!q) {
    return q.status();
  }
  q->bindText(1, id).bindText(2, status).bindOptionalText(3, last_error).bindOptionalInt64(4, started_at).bindInt64(
      5, now);
  if (Status s = q->run(); !s) {
    return s;
  }
  return db_->changes() == 0 ? notFound("stream " + id + " not found") : Status::ok();
}

Status SqliteStore::setCommittedOffset(const std::string& id, const std::string& offset, int64_t now,
                                       uint64_t journal_seq) {
  std::lock_guard<std::mutex> lock(mu_);
  // NORMAL is enough here; see the durability note on the class.
  if (Status s = useDurability(Durability::kNormal); !s) {
    return s;
  }
  Result<SqliteStatement> q =
      db_->prepare("UPDATE streams SET committed_offset = ?2, updated_at = ?3, committed_at = ?3, "
                   "committed_seq = CASE WHEN ?4 > 0 THEN ?4 ELSE committed_seq END WHERE id = ?1");
  if (!q) {
    return q.status();
  }
  if (Status s =
          q->bindText(1, id).bindText(2, offset).bindInt64(3, now).bindInt64(4, static_cast<int64_t>(journal_seq)).run();
      !s) {
    return s;
  }
  return db_->changes() == 0 ? notFound("stream " + id + " not found") : Status::ok();
}

Status SqliteStore::setOffsetByOperator(const std::string& id, const std::optional<std::string>& offset,
                                        uint64_t journal_seq, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = useDurability(Durability::kFull); !s) {
    return s;
  }
  Result<SqliteStatement> q = db_->prepare(
      "UPDATE streams SET committed_offset = ?2, committed_seq = ?3, offset_changed_at = ?4, committed_at = ?4, "
      "updated_at = ?4 WHERE id = ?1");
  if (!q) {
    return q.status();
  }
  if (Status s = q->bindText(1, id)
                     .bindOptionalText(2, offset)
                     .bindInt64(3, static_cast<int64_t>(journal_seq))
                     .bindInt64(4, now)
                     .run();
      !s) {
    return s;
  }
  return db_->changes() == 0 ? notFound("stream " + id + " not found") : Status::ok();
}

Status SqliteStore::deleteStream(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = useDurability(Durability::kFull); !s) {
    return s;
  }
  // plugin_state rows go with it (ON DELETE CASCADE).
  Result<SqliteStatement> q = db_->prepare("DELETE FROM streams WHERE id = ?1");
  if (!q) {
    return q.status();
  }
  if (Status s = q->bindText(1, id).run(); !s) {
    return s;
  }
  return db_->changes() == 0 ? notFound("stream " + id + " not found") : Status::ok();
}

Status SqliteStore::ping() {
  std::lock_guard<std::mutex> lock(mu_);
  Result<SqliteStatement> q = db_->prepare("SELECT count(*) FROM schema_migrations");
  if (!q) {
    return q.status();
  }
  return q->step().status();
}

}  // namespace streamhost::store
