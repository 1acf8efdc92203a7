#include "store/sqlite_db.h"

#include <sqlite3.h>

#include <utility>

namespace streamhost::store {

Status sqliteStatus(int rc, sqlite3* db, std::string_view context) {
  std::string msg(context);
  msg += ": ";
  msg += (db != nullptr && sqlite3_errcode(db) == rc) ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return Status(StatusCode::kBusy, std::move(msg));
  }
  return internalError(std::move(msg));
}

bool isUniqueViolation(int extended_code) {
  return extended_code == SQLITE_CONSTRAINT_UNIQUE || extended_code == SQLITE_CONSTRAINT_PRIMARYKEY;
}

bool isForeignKeyViolation(int extended_code) {
  // ON DELETE RESTRICT fires as a built-in trigger and reports
  // SQLITE_CONSTRAINT_TRIGGER; the schema has no triggers of its own.
  return extended_code == SQLITE_CONSTRAINT_FOREIGNKEY || extended_code == SQLITE_CONSTRAINT_TRIGGER;
}

SqliteStatement::SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      bind_error_(other.bind_error_),
      last_error_code_(other.last_error_code_) {}

void SqliteStatement::noteBind(int rc) {
  if (rc != SQLITE_OK && bind_error_ == 0) {
    bind_error_ = rc;
  }
}

SqliteStatement& SqliteStatement::bindText(int index, std::string_view value) {
  noteBind(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

SqliteStatement& SqliteStatement::bindBlob(int index, std::string_view value) {
  // A null pointer would bind NULL; an empty blob must stay a blob.
  static constexpr char kEmpty = 0;
  noteBind(sqlite3_bind_blob64(stmt_, index, value.empty() ? &kEmpty : value.data(), value.size(),
                               SQLITE_TRANSIENT));
  return *this;
}

SqliteStatement& SqliteStatement::bindInt64(int index, int64_t value) {
  noteBind(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

SqliteStatement& SqliteStatement::bindNull(int index) {
  noteBind(sqlite3_bind_null(stmt_, index));
  return *this;
}

SqliteStatement& SqliteStatement::bindOptionalText(int index, const std::optional<std::string>& value) {
  return value ? bindText(index, *value) : bindNull(index);
}

SqliteStatement& SqliteStatement::bindOptionalInt64(int index, const std::optional<int64_t>& value) {
  return value ? bindInt64(index, *value) : bindNull(index);
}

Result<bool> SqliteStatement::step() {
  if (bind_error_ != 0) {
    last_error_code_ = bind_error_;
    return sqliteStatus(bind_error_, nullptr, "bind");
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  last_error_code_ = sqlite3_extended_errcode(db_);
  return sqliteStatus(rc, db_, "step");
}

Status SqliteStatement::run() {
  Result<bool> r = step();
  while (r.isOk() && *r) {
    r = step();
  }
  return r.status();
}

int64_t SqliteStatement::columnInt64(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string SqliteStatement::columnText(int index) const {
  const unsigned char* p = sqlite3_column_text(stmt_, index);
  int n = sqlite3_column_bytes(stmt_, index);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), size_t(n));
}

std::string SqliteStatement::columnBlob(int index) const {
  const void* p = sqlite3_column_blob(stmt_, index);
  int n = sqlite3_column_bytes(stmt_, index);
  return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), size_t(n));
}

bool SqliteStatement::columnIsNull(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }

std::optional<std::string> SqliteStatement::columnOptionalText(int index) const {
  if (columnIsNull(index)) {
    return std::nullopt;
  }
  return columnText(index);
}

std::optional<int64_t> SqliteStatement::columnOptionalInt64(int index) const {
  if (columnIsNull(index)) {
    return std::nullopt;
  }
  return columnInt64(index);
}

SqliteDb::~SqliteDb() { sqlite3_close_v2(db_); }

Result<SqliteDbPtr> SqliteDb::open(const std::string& path) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  // Own the handle first: sqlite3_open_v2 may allocate it even on failure.
  SqliteDbPtr owned(new SqliteDb(db));
  if (rc != SQLITE_OK) {
    return sqliteStatus(rc, db, "cannot open SQLite database " + path);
  }
  sqlite3_extended_result_codes(db, 1);
  return owned;
}

Status SqliteDb::exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) {
    return Status::ok();
  }
  std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  Status s = sqliteStatus(rc, nullptr, "exec");
  return Status(s.code(), "exec: " + msg);
}

Result<SqliteStatement> SqliteDb::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), int(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return sqliteStatus(rc, db_, "prepare");
  }
  return SqliteStatement(db_, stmt);
}

int64_t SqliteDb::changes() const { return sqlite3_changes64(db_); }

}  // namespace streamhost::store
