#include "store/sqlite_reseal.h"

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <utility>
#include <vector>

#include "store/row_codec.h"
#include "store/sqlite_db.h"
#include "store/sqlite_schema.h"

namespace streamhost::store {
namespace {

/// Rows re-sealed in memory first, written once every value opened.
struct Update {
  std::string id;
  std::string value;
};

Result<std::vector<Update>> resealConnections(SqliteDb& db, const std::string& from, const std::string& to,
                                              ResealReport& rep) {
  Result<SqliteStatement> q = db.prepare("SELECT id, secrets_sealed FROM connections ORDER BY id");
  if (!q) {
    return q.status();
  }
  std::vector<Update> out;
  while (true) {
    Result<bool> row = q->step();
    if (!row) {
      return row.status();
    }
    if (!*row) {
      return out;
    }
    std::string id = q->columnText(0);
    auto again = resealSecrets(q->columnBlob(1), from, to, id);
    if (!again) {
      return again.status();
    }
    if (again->has_value()) {
      out.push_back({std::move(id), std::move(**again)});
      rep.connections++;
    } else {
      rep.already++;
    }
  }
}

Result<std::vector<Update>> resealStreams(SqliteDb& db, const std::string& from, const std::string& to,
                                          ResealReport& rep) {
  Result<SqliteStatement> q =
      db.prepare("SELECT id, config_sealed FROM streams WHERE config_sealed <> '{}' ORDER BY id");
  if (!q) {
    return q.status();
  }
  std::vector<Update> out;
  while (true) {
    Result<bool> row = q->step();
    if (!row) {
      return row.status();
    }
    if (!*row) {
      return out;
    }
    std::string id = q->columnText(0);
    uint64_t n = 0;
    auto again = resealConfigSecrets(q->columnText(1), from, to, id, n);
    if (!again) {
      return again.status();
    }
    if (again->has_value()) {
      out.push_back({std::move(id), std::move(**again)});
      rep.stream_values += n;
    } else {
      rep.already++;
    }
  }
}

Status writeUpdates(SqliteDb& db, const char* sql, const std::vector<Update>& updates, bool blob) {
  for (const Update& u : updates) {
    Result<SqliteStatement> q = db.prepare(sql);
    if (!q) {
      return q.status();
    }
    if (blob) {
      q->bindBlob(1, u.value);
    } else {
      q->bindText(1, u.value);
    }
    if (Status s = q->bindText(2, u.id).run(); !s) {
      return s;
    }
  }
  return Status::ok();
}

Result<ResealReport> resealLocked(SqliteDb& db, const std::string& from, const std::string& to) {
  ResealReport rep;
  auto conns = resealConnections(db, from, to, rep);
  if (!conns) {
    return conns.status();
  }
  auto streams = resealStreams(db, from, to, rep);
  if (!streams) {
    return streams.status();
  }
  if (Status s = writeUpdates(db, "UPDATE connections SET secrets_sealed = ?1 WHERE id = ?2", *conns, true); !s) {
    return s;
  }
  if (Status s = writeUpdates(db, "UPDATE streams SET config_sealed = ?1 WHERE id = ?2", *streams, false); !s) {
    return s;
  }
  return rep;
}

Status inUse(const std::string& path, const Status& s) {
  if (s.code() != StatusCode::kBusy) {
    return Status(s.code(), "store " + path + ": " + s.message());
  }
  return Status(StatusCode::kBusy,
                "store " + path + " is in use by another process (is streamhostd running?); stop it first");
}

}  // namespace

Result<ResealReport> resealSqliteStore(const std::string& path, const std::string& from_key,
                                       const std::string& to_key) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return ResealReport{};
  }
  Result<SqliteDbPtr> db = SqliteDb::open(path);
  if (!db) {
    return db.status();
  }
  SqliteDb& d = **db;
  if (int rc = sqlite3_busy_timeout(d.handle(), 1000); rc != SQLITE_OK) {
    return sqliteStatus(rc, d.handle(), "busy_timeout");
  }
  // Exclusive locking mode: the first transaction takes the file for as long
  // as this connection lives, and fails while another connection has it open.
  if (Status s = d.exec("PRAGMA locking_mode=EXCLUSIVE; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON"); !s) {
    return inUse(path, s);
  }
  if (Status s = d.exec("BEGIN EXCLUSIVE"); !s) {
    return inUse(path, s);
  }
  if (Status s = d.exec("COMMIT"); !s) {
    return inUse(path, s);
  }
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  if (Status s = migrateSqliteSchema(d, now); !s) {
    return inUse(path, s);
  }
  if (Status s = d.exec("BEGIN IMMEDIATE"); !s) {
    return inUse(path, s);
  }
  Result<ResealReport> rep = resealLocked(d, from_key, to_key);
  if (!rep) {
    (void)d.exec("ROLLBACK");
    return rep.status();
  }
  if (Status s = d.exec("COMMIT"); !s) {
    (void)d.exec("ROLLBACK");
    return Status(StatusCode::kFatal, "store " + path + ": committing the re-sealed values failed (" + s.message() +
                                          "); whether they were written is unknown");
  }
  return rep;
}

}  // namespace streamhost::store
