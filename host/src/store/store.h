#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace streamhost::store {

/// Times are Unix milliseconds throughout the store.
struct StreamRow {
  std::string id;  ///< "str_" + ULID
  std::string name;
  std::string source_type;
  std::string pipeline_id;
  std::optional<std::string> connection_id;
  std::string config_json = "{}";  ///< full config, secrets included (the API redacts)
  /// Config keys sealed at rest (the plugin's SH_CFG_SECRET keys present in
  /// config_json); a read fills it with the keys that were sealed.
  std::vector<std::string> secret_keys;
  std::string status = "created";  ///< created|starting|running|paused|stopped|error
  std::optional<std::string> last_error;
  std::optional<std::string> committed_offset;
  /// Pipeline seq of the last record committed_offset covers; 0 when unknown.
  /// Its write is not synced, so after a power cut it may lag the journal.
  uint64_t committed_seq = 0;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  std::optional<int64_t> started_at;
  /// When an operator last set or reset the offset (PUT/DELETE .../offsets).
  std::optional<int64_t> offset_changed_at;
  /// When committed_offset last moved (also by an operator).
  std::optional<int64_t> committed_at;
};

struct PipelineRow {
  std::string id;  ///< "pl_" + ULID
  std::string name;
  int64_t retention_max_bytes = 0;        ///< 0: unlimited
  int64_t retention_max_age_seconds = 0;  ///< 0: unlimited
  int64_t max_record_bytes = 0;           ///< 0: the default limit
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct ConnectionRow {
  std::string id;  ///< "conn_" + ULID
  std::string name;
  std::string type;
  std::string config_json = "{}";
  std::map<std::string, std::string> secrets;  ///< plaintext in memory, encrypted at rest
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct ApiKeyRow {
  std::string id;  ///< "key_" + ULID
  std::string name;
  std::string key_sha256;  ///< lower-case hex of SHA-256 of the key
  std::vector<std::string> scopes;
  int64_t created_at = 0;
  std::optional<int64_t> expires_at;    ///< refused from then on; nullopt: never
  std::optional<int64_t> last_used_at;  ///< recorded at most once a minute
};

/// Position in a newest-first listing: rows strictly after (older than) this key.
struct PageKey {
  int64_t created_at = 0;
  std::string id;
};

struct StreamFilter {
  std::optional<std::string> status;
  std::optional<std::string> source_type;
  std::optional<std::string> pipeline_id;
};

/// Metadata store. Implementations: SQLite (embedded default) and, later,
/// PostgreSQL; one shared test suite runs against each. All methods are
/// thread-safe. Errors: kNotFound for a missing id, kAlreadyExists for a
/// duplicate name, kConflict for a delete of something still referenced,
/// kInternal for storage failures.
class Store {
 public:
  virtual ~Store() = default;

  // Streams. Listing is newest first by (created_at, id), strictly after `after`.
  virtual Status createStream(const StreamRow& row) = 0;
  virtual Result<StreamRow> getStream(const std::string& id) = 0;
  virtual Result<std::vector<StreamRow>> listStreams(const StreamFilter& filter, const std::optional<PageKey>& after,
                                                     int limit) = 0;
  /// Replaces every mutable column (name, config, status, last_error, committed_offset, timestamps).
  virtual Status updateStream(const StreamRow& row) = 0;
  /// Changes only the lifecycle columns, so a worker's report cannot undo a
  /// concurrent rename. `started_at` is set when given; `last_error` is
  /// replaced (nullopt clears it).
  virtual Status setStreamStatus(const std::string& id, const std::string& status,
                                 const std::optional<std::string>& last_error, std::optional<int64_t> started_at,
                                 int64_t now) = 0;
  /// Advances only the committed offset (the hot path after each durable batch).
  /// `journal_seq` is the pipeline seq of the stream's last record the offset
  /// covers (0: no new record, keep the stored one).
  virtual Status setCommittedOffset(const std::string& id, const std::string& offset, int64_t now,
                                    uint64_t journal_seq = 0) = 0;
  /// An operator set (or, with nullopt, reset) the committed offset: writes it
  /// with `journal_seq` (the stream's newest journal seq, so the journal's
  /// older records do not override it on start) and records the time.
  virtual Status setOffsetByOperator(const std::string& id, const std::optional<std::string>& offset,
                                     uint64_t journal_seq, int64_t now) = 0;
  /// Deletes the stream and its plugin state.
  virtual Status deleteStream(const std::string& id) = 0;

  // Pipelines. deletePipeline is kConflict while a stream references it.
  virtual Status createPipeline(const PipelineRow& row) = 0;
  virtual Result<PipelineRow> getPipeline(const std::string& id) = 0;
  virtual Result<std::vector<PipelineRow>> listPipelines(const std::optional<PageKey>& after, int limit) = 0;
  virtual Status deletePipeline(const std::string& id) = 0;

  // Connections. deleteConnection is kConflict while a stream references it.
  virtual Status createConnection(const ConnectionRow& row) = 0;
  virtual Result<ConnectionRow> getConnection(const std::string& id) = 0;
  virtual Result<std::vector<ConnectionRow>> listConnections(const std::optional<std::string>& type,
                                                             const std::optional<PageKey>& after, int limit) = 0;
  virtual Status updateConnection(const ConnectionRow& row) = 0;
  virtual Status deleteConnection(const std::string& id) = 0;

  // API keys, looked up by the hash of the presented key.
  virtual Status createApiKey(const ApiKeyRow& row) = 0;
  virtual Result<ApiKeyRow> findApiKeyByHash(const std::string& key_sha256) = 0;
  virtual Result<std::vector<ApiKeyRow>> listApiKeys() = 0;
  virtual Status deleteApiKey(const std::string& id) = 0;
  /// Records that a key was used at `now`; kNotFound for an unknown id.
  virtual Status touchApiKey(const std::string& id, int64_t now) = 0;

  // Per-stream plugin state (dedup ids and the like). expires_at 0: never.
  virtual Result<std::optional<std::string>> getState(const std::string& stream_id, const std::string& key,
                                                      int64_t now) = 0;
  virtual Status putState(const std::string& stream_id, const std::string& key, const std::string& value,
                          int64_t expires_at) = 0;
  virtual Status deleteState(const std::string& stream_id, const std::string& key) = 0;

  /// Cheap liveness probe for /readyz.
  virtual Status ping() = 0;
};

using StorePtr = std::unique_ptr<Store>;

}  // namespace streamhost::store
