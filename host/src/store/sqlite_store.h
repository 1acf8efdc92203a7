#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "store/sqlite_db.h"
#include "store/store.h"

namespace streamhost::store {

/// Opens (creating and migrating as needed) the SQLite store at `path`.
/// @param secret_key 32-byte AES key sealing connection secrets (see
///   crypto::loadOrCreateKeyFile()).
/// @returns kInvalidArgument for a bad key, kUnsupported for a database
///   written by a newer build, kInternal/kBusy for storage failures.
Result<StorePtr> openSqliteStore(const std::string& path, const std::string& secret_key);

/// The listStreams() query for `filter`, exposed so tests can check its plan.
std::string sqliteStreamListSql(const StreamFilter& filter, bool has_after);

/// Store on one SQLite connection in WAL mode, serialised by a mutex.
///
/// Durability: writes that answer an API call (create, update, delete) commit
/// with synchronous=FULL, so what was reported survives power loss. The hot
/// paths (setCommittedOffset, plugin state) commit with synchronous=NORMAL:
/// they survive a process crash, and a power loss can only roll them back to
/// an earlier committed value. That is safe because an offset is written only
/// after the journal fsync'd the records up to it: resuming from an older
/// offset re-delivers records (duplicates, which at-least-once allows), never
/// loses one. The next FULL commit also makes every earlier NORMAL one durable.
class SqliteStore final : public Store {
 public:
  SqliteStore(SqliteDbPtr db, std::string secret_key);

  Status createStream(const StreamRow& row) override;
  Result<StreamRow> getStream(const std::string& id) override;
  Result<std::vector<StreamRow>> listStreams(const StreamFilter& filter, const std::optional<PageKey>& after,
                                             int limit) override;
  /// created_at, source_type, pipeline_id and connection_id are fixed at creation.
  Status updateStream(const StreamRow& row) override;
  /// One UPDATE, so it cannot race a concurrent rename the way get+update could.
  Status setStreamStatus(const std::string& id, const std::string& status,
                         const std::optional<std::string>& last_error, std::optional<int64_t> started_at,
                         int64_t now) override;
  Status setOffsetByOperator(const std::string& id, const std::optional<std::string>& offset, uint64_t journal_seq,
                             int64_t now) override;
  Status setCommittedOffset(const std::string& id, const std::string& offset, int64_t now,
                            uint64_t journal_seq = 0) override;
  Status deleteStream(const std::string& id) override;

  Status createPipeline(const PipelineRow& row) override;
  Result<PipelineRow> getPipeline(const std::string& id) override;
  Result<std::vector<PipelineRow>> listPipelines(const std::optional<PageKey>& after, int limit) override;
  Status deletePipeline(const std::string& id) override;

  Status createConnection(const ConnectionRow& row) override;
  Result<ConnectionRow> getConnection(const std::string& id) override;
  Result<std::vector<ConnectionRow>> listConnections(const std::optional<std::string>& type,
                                                     const std::optional<PageKey>& after, int limit) override;
  /// Updates name, config, secrets and updated_at; type is fixed at creation.
  Status updateConnection(const ConnectionRow& row) override;
  Status deleteConnection(const std::string& id) override;

  Status createApiKey(const ApiKeyRow& row) override;
  Result<ApiKeyRow> findApiKeyByHash(const std::string& key_sha256) override;
  Result<std::vector<ApiKeyRow>> listApiKeys() override;
  Status deleteApiKey(const std::string& id) override;
  Status touchApiKey(const std::string& id, int64_t now) override;

  /// Also sweeps expired state of all streams, at most once per minute of `now`.
  Result<std::optional<std::string>> getState(const std::string& stream_id, const std::string& key,
                                              int64_t now) override;
  /// kNotFound when the stream does not exist.
  Status putState(const std::string& stream_id, const std::string& key, const std::string& value,
                  int64_t expires_at) override;
  /// Deleting an absent key succeeds.
  Status deleteState(const std::string& stream_id, const std::string& key) override;

  Status ping() override;

 private:
  enum class Durability { kFull, kNormal };

  /// Sets PRAGMA synchronous for the next commit; caller holds mu_.
  Status useDurability(Durability d);
  /// True when a row with `id` exists in `table` (a fixed table name); caller holds mu_.
  Result<bool> exists(const char* table, const std::string& id);
  /// Explains a failed stream insert/update; caller holds mu_.
  Status streamWriteError(const SqliteStatement& stmt, const Status& failure, const StreamRow& row);
  /// Conflict naming a stream that still references `id` through `column`; caller holds mu_.
  Status referencedError(const char* what, const char* column, const std::string& id, const Status& failure);
  Result<ConnectionRow> readConnection(const SqliteStatement& stmt);
  /// A stream row with its sealed config keys opened.
  Result<StreamRow> readStream(const SqliteStatement& stmt);

  std::mutex mu_;
  SqliteDbPtr db_;
  const std::string secret_key_;
  Durability durability_ = Durability::kNormal;
  int64_t last_state_sweep_ = 0;
};

}  // namespace streamhost::store
