#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace streamhost::store {

/// A prepared statement. Binding errors are remembered and reported by the
/// next step(). Not thread-safe; used under the owning store's lock.
class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt);
  ~SqliteStatement();
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  /// Binders take 1-based parameter indexes; text and blobs are copied.
  SqliteStatement& bindText(int index, std::string_view value);
  SqliteStatement& bindBlob(int index, std::string_view value);
  SqliteStatement& bindInt64(int index, int64_t value);
  SqliteStatement& bindNull(int index);
  SqliteStatement& bindOptionalText(int index, const std::optional<std::string>& value);
  SqliteStatement& bindOptionalInt64(int index, const std::optional<int64_t>& value);

  /// Advances: true when a row is available, false when done.
  Result<bool> step();
  /// Steps to completion, expecting no rows.
  Status run();
  /// Extended SQLite result code of the last failed step (0 if none).
  int lastErrorCode() const { return last_error_code_; }

  /// Column accessors, 0-based, valid after step() returned true.
  int64_t columnInt64(int index) const;
  std::string columnText(int index) const;
  std::string columnBlob(int index) const;
  bool columnIsNull(int index) const;
  std::optional<std::string> columnOptionalText(int index) const;
  std::optional<int64_t> columnOptionalInt64(int index) const;

 private:
  void noteBind(int rc);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bind_error_ = 0;
  int last_error_code_ = 0;
};

/// An open database connection, closed on destruction.
class SqliteDb {
 public:
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  /// Opens (creating if needed) with extended result codes.
  static Result<std::unique_ptr<SqliteDb>> open(const std::string& path);

  /// Runs one or more statements that return no rows.
  Status exec(const std::string& sql);
  /// Compiles one statement.
  Result<SqliteStatement> prepare(std::string_view sql);
  /// Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t changes() const;
  sqlite3* handle() const { return db_; }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

using SqliteDbPtr = std::unique_ptr<SqliteDb>;

/// Maps an SQLite result code to a Status (busy/locked are retriable kBusy,
/// the rest kInternal) with `context` and SQLite's message.
Status sqliteStatus(int rc, sqlite3* db, std::string_view context);

/// True for SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY.
bool isUniqueViolation(int extended_code);
/// True for a foreign-key failure (SQLITE_CONSTRAINT_FOREIGNKEY, or
/// SQLITE_CONSTRAINT_TRIGGER raised by ON DELETE RESTRICT).
bool isForeignKeyViolation(int extended_code);

/// Runs `sql` with `key` bound to ?1 and reads the first row with `read`
/// (returning Row or Result<Row>); kNotFound with `not_found` when there is none.
template <class Row, class ReadFn>
Result<Row> selectOne(SqliteDb& db, const std::string& sql, const std::string& key, const std::string& not_found,
                      ReadFn read) {
  Result<SqliteStatement> q = db.prepare(sql);
  if (!q) {
    return q.status();
  }
  Result<bool> row = q->bindText(1, key).step();
  if (!row) {
    return row.status();
  }
  if (!*row) {
    return notFound(not_found);
  }
  return Result<Row>(read(*q));
}

}  // namespace streamhost::store
