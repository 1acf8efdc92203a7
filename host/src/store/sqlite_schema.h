#pragma once

#include <cstdint>

#include "common/status.h"
#include "store/sqlite_db.h"

namespace streamhost::store {

/// Newest schema version this build knows.
int64_t sqliteSchemaVersionKnown();

/// Reads the applied schema version (0 for an empty database).
Result<int64_t> sqliteSchemaVersion(SqliteDb& db);

/// Applies every missing numbered migration in one transaction, recording
/// each in `schema_migrations`. kUnsupported when the database was written
/// by a newer build.
Status migrateSqliteSchema(SqliteDb& db, int64_t now_ms);

}  // namespace streamhost::store
