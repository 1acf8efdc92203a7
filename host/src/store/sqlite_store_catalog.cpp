// Pipelines, connections, API keys and plugin state of SqliteStore.
#include <utility>

#include "store/row_codec.h"
#include "store/sqlite_store.h"

namespace streamhost::store {
namespace {

constexpr const char* kPipelineColumns =
    "id, name, retention_max_bytes, retention_max_age_seconds, created_at, updated_at, max_record_bytes";
constexpr const char* kConnectionColumns = "id, name, type, config_json, secrets_sealed, created_at, updated_at";
constexpr const char* kApiKeyColumns = "id, name, key_sha256, scopes_json, created_at, expires_at, last_used_at";
constexpr const char* kPageClause = " (created_at, id) < (?, ?)";
constexpr const char* kPageOrder = " ORDER BY created_at DESC, id DESC LIMIT ?";
// Expired state is swept at most this often (in the callers' `now`).
constexpr int64_t kStateSweepIntervalMs = 60'000;

PipelineRow readPipeline(const SqliteStatement& q) {
  PipelineRow r;
  r.id = q.columnText(0);
  r.name = q.columnText(1);
  r.retention_max_bytes = q.columnInt64(2);
  r.retention_max_age_seconds = q.columnInt64(3);
  r.created_at = q.columnInt64(4);
  r.updated_at = q.columnInt64(5);
  r.max_record_bytes = q.columnInt64(6);
  return r;
}

/// Duplicate-key message: the name when the name is taken, else the id.
Status duplicate(const char* what, const std::string& id, const std::string& name, bool name_taken) {
  if (name_taken) {
    return Status(StatusCode::kAlreadyExists, std::string("a ") + what + " named '" + name + "' already exists");
  }
  return Status(StatusCode::kAlreadyExists, std::string(what) + " " + id + " already exists");
}

/// Binds the page position and limit starting at parameter `index`.
void bindPage(SqliteStatement& q, int index, const std::optional<PageKey>& after, int limit) {
  if (after) {
    q.bindInt64(index, after->created_at);
    q.bindText(index + 1, after->id);
    index += 2;
  }
  q.bindInt64(index, limit);
}

template <class Row, class ReadFn>
Result<std::vector<Row>> collect(SqliteStatement& q, ReadFn read) {
  std::vector<Row> out;
  for (Result<bool> row = q.step();; row = q.step()) {
    if (!row) {
      return row.status();
    }
    if (!*row) {
      return out;
    }
    Result<Row> r = read(q);
    if (!r) {
      return r.status();
    }
    out.push_back(std::move(*r));
  }
}

}  // namespace

Status SqliteStore::createPipeline(const PipelineRow& row) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = useDurability(Durability::kFull); !s) {
    return s;
  }
  Result<SqliteStatement> q = db_->prepare(std::string("INSERT INTO pipelines (") + kPipelineColumns +
                                           ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!q) {
    return q.status();
  }
  q->bindText(1, row.id)
      .bindText(2, row.name)
      .bindInt64(3, row.retention_max_bytes)
      .bindInt64(4, row.retention_max_age_seconds)
      .bindInt64(5, row.created_at)
      .bindInt64(6, row.updated_at)
      .bindInt64(7, row.max_record_bytes);
  Status s = q->run();
  if (!s && isUniqueViolation(q->lastErrorCode())) {
    Result<bool> id_taken = exists("pipelines", row.id);
    return duplicate("pipeline", row.id, row.name, !id_taken.isOk() || !*id_taken);
  }
  return s;
}

Result<PipelineRow> SqliteStore::getPipeline(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  return selectOne<PipelineRow>(*db_, std::string("SELECT ") + kPipelineColumns + " FROM pipelines WHERE id = ?1",
                         id, "pipeline " + id + " not found",
                         readPipeline);
}

Result<std::vector<PipelineRow>> SqliteStore::listPipelines(const std::optional<PageKey>& after, int limit) {
  if (limit < 1) {
    return invalidArgument("limit must be at least 1", "limit");
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::string sql = std::string("SELECT ") + kPipelineColumns + " FROM pipelines" +
                    (after ? std::string(" WHERE") + kPageClause : std::string()) + kPageOrder;
  Result<SqliteStatement> q = db_->prepare(sql);
  if (!q) {
    return q.status();
  }
  bindPage(*q, 1, after, limit);
  return collect<PipelineRow>(*q, [](const SqliteStatement& s) { return Result<PipelineRow>(readPipeline(s)); });
}

Status SqliteStore::deletePipeline(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = useDurability(Durability::kFull); !s) {
    return s;
  }
  Result<SqliteStatement> q = db_->prepare("DELETE FROM pipelines WHERE id = ?1");
  if (!q) {
    return q.status();
  }
  if (Status s = q->bindText(1, id).run(); !s) {
    return isForeignKeyViolation(q->lastErrorCode()) ? referencedError("pipeline", "pipeline_id", id, s) : s;
  }
  return db_->changes() == 0 ? notFound("pipeline " + id + " not found") : Status::ok();
}

Result<ConnectionRow> SqliteStore::readConnection(const SqliteStatement& q) {
  ConnectionRow r;
  r.id = q.columnText(0);
  r.name = q.columnText(1);
  r.type = q.columnText(2);
  r.config_json = q.columnText(3);
  Result<std::map<std::string, std::string>> secrets = openSecrets(q.columnBlob(4), secret_key_, r.id);
  if (!secrets) {
    return secrets.status();
  }
  r.secrets = std::move(*secrets);
  r.created_at = q.columnInt64(5);
  r.updated_at = q.columnInt64(6);
  return r;
}

Status SqliteStore::createConnection(const ConnectionRow& row) {
  Result<std::string> sealed = sealSecrets(row.secrets, secret_key_, row.id);
  if (!sealed) {
    return sealed.status();
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = useDurability(Durability::kFull); !s) {
    return s;
  }
  Result<SqliteStatement> q = db_->prepare(std::string("INSERT INTO connections (") + kConnectionColumns +
                                           ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!q) {
    return q.status();
  }
  q->bindText(1, row.id)
      .bindText(2, row.name)
      .bindText(3, row.type)
      .bindText(4, row.config_json)
      .bindBlob(5, *sealed)
      .bindInt64(6, row.created_at)
      .bindInt64(7, row.updated_at);
  Status s = q->run();
  if (!s && isUniqueViolation(q->lastErrorCode())) {
    Result<bool> id_taken = exists("connections", row.id);
    return duplicate("connection", row.id, row.name, !id_taken.isOk() || !*id_taken);
  }
  return s;
}

Result<ConnectionRow> SqliteStore::getConnection(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  return selectOne<ConnectionRow>(*db_, std::string("SELECT ") + kConnectionColumns + " FROM connections WHERE id = ?1",
                         id, "connection " + id + " not found",
                         [this](const SqliteStatement& s) { return readConnection(s); });
}

Result<std::vector<ConnectionRow>> SqliteStore::listConnections(const std::optional<std::string>& type,
                                                                const std::optional<PageKey>& after, int limit) {
  if (limit < 1) {
    return invalidArgument("limit must be at least 1", "limit");
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::string sql = std::string("SELECT ") + kConnectionColumns + " FROM connections WHERE 1" +
                    (type ? " AND type = ?" : "") + (after ? std::string(" AND") + kPageClause : std::string()) +
                    kPageOrder;
  Result<SqliteStatement> q = db_->prepare(sql);
  if (!q) {
    return q.status();
  }
  if (type) {
    q->bindText(1, *type);
  }
  bindPage(*q, type ? 2 : 1, after, limit);
  return collect<ConnectionRow>(*q, [this](const SqliteStatement& s) { return readConnection(s); });
}

Status SqliteStore::updateConnection(const ConnectionRow& row) {
  Result<std::string> sealed = sealSecrets(row.secrets, secret_key_, row.id);
  if (!sealed) {
    return sealed.status();
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = useDurability(Durability::kFull); !s) {
    return s;
  }
  Result<SqliteStatement> q = db_->prepare(
      "UPDATE connections SET name = ?2, config_json = ?3, secrets_sealed = ?4, updated_at = ?5 WHERE id = ?1");
  if (!q) {
    return q.status();
  }
  q->bindText(1, row.id).bindText(2, row.name).bindText(3, row.config_json).bindBlob(4, *sealed).bindInt64(
      5, row.updated_at);
  if (Status s = q->run(); !s) {
    return isUniqueViolation(q->lastErrorCode()) ? duplicate("connection", row.id, row.name, true) : s;
  }
  return db_->changes() == 0 ? notFound("connection " + row.id + " not found") : Status::ok();
}

Status SqliteStore::deleteConnection(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = useDurability(Durability::kFull); !s) {
    return s;
  }
  Result<SqliteStatement> q = db_->prepare("DELETE FROM connections WHERE id = ?1");
  if (!q) {
    return q.status();
  }
  if (Status s = q->bindText(1, id).run(); !s) {
    return isForeignKeyViolation(q->lastErrorCode()) ? referencedError("connection", "connection_id", id, s) : s;
  }
  return db_->changes() == 0 ? notFound("connection " + id + " not found") : Status::ok();
}

namespace {

Result<ApiKeyRow> readApiKey(const SqliteStatement& q) {
  ApiKeyRow r;
  r.id = q.columnText(0);
  r.name = q.columnText(1);
  r.key_sha256 = q.columnText(2);
  Result<std::vector<std::string>> scopes = scopesFromJson(q.columnText(3));
  if (!scopes) {
    return Status(scopes.status().code(), "API key " + r.id + ": " + scopes.status().message());
  }
  r.scopes = std::move(*scopes);
  r.created_at = q.columnInt64(4);
  r.expires_at = q.columnOptionalInt64(5);
  r.last_used_at = q.columnOptionalInt64(6);
  return r;
}

}  // namespace

Status SqliteStore::createApiKey(const ApiKeyRow& row) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = useDurability(Durability::kFull); !s) {
    return s;
  }
  Result<SqliteStatement> q = db_->prepare(std::string("INSERT INTO api_keys (") + kApiKeyColumns +
                                           ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!q) {
    return q.status();
  }
  q->bindText(1, row.id)
      .bindText(2, row.name)
      .bindText(3, row.key_sha256)
      .bindText(4, scopesToJson(row.scopes))
      .bindInt64(5, row.created_at)
      .bindOptionalInt64(6, row.expires_at)
      .bindOptionalInt64(7, row.last_used_at);
  Status s = q->run();
  if (!s && isUniqueViolation(q->lastErrorCode())) {
    Result<bool> id_taken = exists("api_keys", row.id);
    if (id_taken && *id_taken) {
      return Status(StatusCode::kAlreadyExists, "API key " + row.id + " already exists");
    }
    // Never echo the hash: it identifies a credential.
    return Status(StatusCode::kAlreadyExists, "API key '" + row.name + "' duplicates an existing key");
  }
  return s;
}

Result<ApiKeyRow> SqliteStore::findApiKeyByHash(const std::string& key_sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  return selectOne<ApiKeyRow>(*db_, std::string("SELECT ") + kApiKeyColumns + " FROM api_keys WHERE key_sha256 = ?1",
                         key_sha256, "no API key matches",
                         readApiKey);
}

Result<std::vector<ApiKeyRow>> SqliteStore::listApiKeys() {
  std::lock_guard<std::mutex> lock(mu_);
  Result<SqliteStatement> q = db_->prepare(std::string("SELECT ") + kApiKeyColumns +
                                           " FROM api_keys ORDER BY created_at DESC, id DESC");
  if (!q) {
    return q.status();
  }
  return collect<ApiKeyRow>(*q, readApiKey);
}

Status SqliteStore::deleteApiKey(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = useDurability(Durability::kFull); !s) {
    return s;
  }
  Result<SqliteStatement> q = db_->prepare("DELETE FROM api_keys WHERE id = ?1");
  if (!q) {
    return q.status();
  }
  if (Status s = q->bindText(1, id).run(); !s) {
    return s;
  }
  return db_->changes() == 0 ? notFound("API key " + id + " not found") : Status::ok();
}

Status SqliteStore::touchApiKey(const std::string& id, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  // Losing the last-use time to a power cut is harmless: NORMAL.
  if (Status s = useDurability(Durability::kNormal); !s) {
    return s;
  }
  Result<SqliteStatement> q = db_->prepare("UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1");
  if (!q) {
    return q.status();
  }
  if (Status s = q->bindText(1, id).bindInt64(2, now).run(); !s) {
    return s;
  }
  return db_->changes() == 0 ? notFound("API key " + id + " not found") : Status::ok();
}

Result<std::optional<std::string>> SqliteStore::getState(const std::string& stream_id, const std::string& key,
                                                         int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  if (now - last_state_sweep_ >= kStateSweepIntervalMs) {
    // Dedup ids and the like would pile up forever otherwise; the interface
    // has no purge call, so reads sweep now and then. A failed sweep only
    // leaves rows that reads ignore anyway.
    Result<SqliteStatement> sweep =
        db_->prepare("DELETE FROM plugin_state WHERE expires_at > 0 AND expires_at <= ?1");
    if (sweep && useDurability(Durability::kNormal) && sweep->bindInt64(1, now).run()) {
      last_state_sweep_ = now;
    }
  }
  Result<SqliteStatement> q = db_->prepare(
      "SELECT value FROM plugin_state WHERE stream_id = ?1 AND key = ?2 AND (expires_at = 0 OR expires_at > ?3)");
  if (!q) {
    return q.status();
  }
  Result<bool> row = q->bindText(1, stream_id).bindText(2, key).bindInt64(3, now).step();
  if (!row) {
    return row.status();
  }
  if (!*row) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(q->columnBlob(0));
}

Status SqliteStore::putState(const std::string& stream_id, const std::string& key, const std::string& value,
                             int64_t expires_at) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = useDurability(Durability::kNormal); !s) {
    return s;
  }
  Result<SqliteStatement> q = db_->prepare(
      "INSERT INTO plugin_state (stream_id, key, value, expires_at) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (stream_id, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at");
  if (!q) {
    return q.status();
  }
  Status s = q->bindText(1, stream_id).bindText(2, key).bindBlob(3, value).bindInt64(4, expires_at).run();
  if (!s && isForeignKeyViolation(q->lastErrorCode())) {
    return notFound("stream " + stream_id + " not found");
  }
  return s;
}

Status SqliteStore::deleteState(const std::string& stream_id, const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = useDurability(Durability::kNormal); !s) {
    return s;
  }
  Result<SqliteStatement> q = db_->prepare("DELETE FROM plugin_state WHERE stream_id = ?1 AND key = ?2");
  if (!q) {
    return q.status();
  }
  return q->bindText(1, stream_id).bindText(2, key).run();
}

}  // namespace streamhost::store
