#include "store/sqlite_schema.h"

#include <iterator>
#include <string>

namespace streamhost::store {
namespace {

// Append only: a shipped migration never changes; schema changes add one.
// Every listing index ends in (created_at DESC, id DESC) so a page is one
// index range scan with no sort; streams_pipeline and streams_connection
// also serve the foreign-key checks on pipeline/connection delete.
constexpr const char* kMigrations[] = {
    // 1: everything.
    R"sql(
CREATE TABLE pipelines (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL UNIQUE,
  retention_max_bytes INTEGER NOT NULL DEFAULT 0,
  retention_max_age_seconds INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX pipelines_page ON pipelines (created_at DESC, id DESC);

CREATE TABLE connections (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  config_json TEXT NOT NULL,
  secrets_sealed BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX connections_page ON connections (created_at DESC, id DESC);
CREATE INDEX connections_type_page ON connections (type, created_at DESC, id DESC);

CREATE TABLE streams (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL UNIQUE,
  source_type TEXT NOT NULL,
  pipeline_id TEXT NOT NULL REFERENCES pipelines (id) ON DELETE RESTRICT,
  connection_id TEXT REFERENCES connections (id) ON DELETE RESTRICT,
  config_json TEXT NOT NULL,
  status TEXT NOT NULL,
  last_error TEXT,
  committed_offset TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER
);
CREATE INDEX streams_page ON streams (created_at DESC, id DESC);
CREATE INDEX streams_status_page ON streams (status, created_at DESC, id DESC);
CREATE INDEX streams_source_type_page ON streams (source_type, created_at DESC, id DESC);
CREATE INDEX streams_pipeline_page ON streams (pipeline_id, created_at DESC, id DESC);
CREATE INDEX streams_connection ON streams (connection_id);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  key_sha256 TEXT NOT NULL UNIQUE,
  scopes_json TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX api_keys_page ON api_keys (created_at DESC, id DESC);

CREATE TABLE plugin_state (
  stream_id TEXT NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value BLOB NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (stream_id, key)
) WITHOUT ROWID;
CREATE INDEX plugin_state_expiry ON plugin_state (expires_at) WHERE expires_at > 0;
)sql",
    // 2: a per-pipeline record size limit; the journal seq a committed offset covers.
    R"sql(
ALTER TABLE pipelines ADD COLUMN max_record_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE streams ADD COLUMN committed_seq INTEGER NOT NULL DEFAULT 0;
)sql",
    // 3: stream-config secrets sealed apart from the readable config (the
    // core seals rows written before, once it knows each type's secret keys);
    // API keys with an expiry and the time of last use.
    R"sql(
ALTER TABLE streams ADD COLUMN config_sealed TEXT NOT NULL DEFAULT '{}';
ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
)sql",
    // 4: when an operator last set or reset a stream's offset, and when the
    // committed offset last moved (the age of the position a source keeps).
    R"sql(
ALTER TABLE streams ADD COLUMN offset_changed_at INTEGER;
ALTER TABLE streams ADD COLUMN committed_at INTEGER;
)sql",
#ifdef STREAMHOST_TEST_SCHEMA_STEP
    // Last, in test builds only (-DSTREAMHOST_TEST_SCHEMA_STEP=ON): the package
    // upgrade test's N+1 migrates N's store, and N then refuses it as newer.
    R"sql(CREATE TABLE package_upgrade_probe (note TEXT NOT NULL);)sql",
#endif
};

constexpr int64_t kKnownVersion = int64_t(std::size(kMigrations));

Status applyMissing(SqliteDb& db, int64_t now_ms) {
  if (Status s = db.exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                         "version INTEGER PRIMARY KEY NOT NULL, applied_at INTEGER NOT NULL)");
      !s) {
    return s;
  }
  Result<int64_t> current = sqliteSchemaVersion(db);
  if (!current) {
    return current.status();
  }
  if (*current > kKnownVersion) {
    return Status(StatusCode::kUnsupported, "store schema version " + std::to_string(*current) +
                                                " is newer than this build supports (" +
                                                std::to_string(kKnownVersion) + "); upgrade streamhost");
  }
  for (int64_t v = *current + 1; v <= kKnownVersion; ++v) {
    if (Status s = db.exec(kMigrations[v - 1]); !s) {
      return Status(s.code(), "migration " + std::to_string(v) + " failed: " + s.message());
    }
    Result<SqliteStatement> ins = db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)");
    if (!ins) {
      return ins.status();
    }
    if (Status s = ins->bindInt64(1, v).bindInt64(2, now_ms).run(); !s) {
      return s;
    }
  }
  return Status::ok();
}

}  // namespace

int64_t sqliteSchemaVersionKnown() { return kKnownVersion; }

Result<int64_t> sqliteSchemaVersion(SqliteDb& db) {
  Result<SqliteStatement> probe =
      db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
  if (!probe) {
    return probe.status();
  }
  Result<bool> row = probe->step();
  if (!row) {
    return row.status();
  }
  if (probe->columnInt64(0) == 0) {
    return int64_t{0};
  }
  Result<SqliteStatement> q = db.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (!q) {
    return q.status();
  }
  row = q->step();
  if (!row) {
    return row.status();
  }
  return q->columnInt64(0);
}

Status migrateSqliteSchema(SqliteDb& db, int64_t now_ms) {
  // IMMEDIATE: two processes opening one file must not both migrate.
  if (Status s = db.exec("BEGIN IMMEDIATE"); !s) {
    return s;
  }
  Status s = applyMissing(db, now_ms);
  if (!s) {
    (void)db.exec("ROLLBACK");
    return s;
  }
  s = db.exec("COMMIT");
  if (!s) {
    (void)db.exec("ROLLBACK");
  }
  return s;
}

}  // namespace streamhost::store
