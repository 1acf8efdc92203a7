#pragma once

#include <streamhost/plugin_sdk.hpp>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cdc_config.h"
#include "change_encoder.h"
#include "lsn.h"
#include "pg_conn.h"
#include "pgoutput.h"
#include "replication_stream.h"
#include "txn_buffer.h"

namespace streamhost::pgcdc {

/// A record (or, with op 0, a bare checkpoint) waiting to be handed to the host.
struct Pending {
  std::string key;
  std::string value;
  char op = 0;
  int64_t ts_ms = 0;
  Offset offset;
};

/// The postgres_cdc source: an optional snapshot from the slot's exported
/// snapshot, then pgoutput over a replication connection. The slot is told
/// only what the host has made durable (commit()).
class CdcSource final : public sdk::Source, private DecoderEvents {
 public:
  static constexpr const char* kName = "postgres_cdc";
  static constexpr const char* kDescription =
      "PostgreSQL change data capture over logical replication (pgoutput), with an initial snapshot.";
  static constexpr uint32_t kFlags = SH_CAP_NEEDS_CONNECTION | SH_CAP_PAUSE | SH_CAP_SNAPSHOT;
  static constexpr const char* kConnectionType = "postgres";
  static std::span<const sh_config_key_t> configKeys() { return cdcConfigKeys(); }
  static void validate(const sdk::Host& host) { CdcConfig::fromHost(host, ""); }

  CdcSource(sdk::Host host, const sh_create_args_t& args);
  ~CdcSource() override;

  void start(std::string_view resume_offset) override;
  void poll(sdk::Sink& sink, uint32_t max_records, int32_t timeout_ms) override;
  void commit(std::string_view offset) override;
  void pause() override {}
  void resume() override {}
  void stop() override;
  std::vector<std::string> teardown(bool force) override;
  sdk::Lag lag() override;
  void wakeup() noexcept override;
  std::string offsetToJson(std::string_view offset) override;
  std::string offsetFromJson(std::string_view json) override;
  std::vector<std::string> offsetReset() override;
  sdk::SourceHealth sourceHealth(std::string_view committed_offset) override;

 private:
  struct Budget {
    int64_t rows;
    int64_t bytes;
  };
  struct Txn {
    Lsn commit = 0;
    uint32_t xid = 0;
    int64_t ts_ms = 0;
    uint64_t records = 0;
  };
  struct Replay {
    TxnBuffer txn;
    Lsn commit_lsn = 0;
    Lsn end_lsn = 0;
    int64_t ts_us = 0;
  };
  struct Snapshot {
    std::vector<std::pair<std::string, std::string>> tables;
    size_t table = 0;
    bool copy_open = false;  ///< the current table's COPY is running on `conn`
    Relation relation;
    Tuple tuple;            ///< the row being read, viewing the COPY row and `scratch`
    std::string scratch;
    std::string what;       ///< "reading <table>", for errors
    std::string offset_prefix;  ///< Offset::snapshotPrefix of the current table
    Lsn consistent = 0;
    int64_t started_ms = 0;
    int64_t rows_table = 0;
    int64_t rows_total = 0;
    std::vector<std::string> resume_key;  ///< the current table continues after this key
    std::vector<int> key_cols;            ///< result columns of the current table's primary key
    const PgConn* conn = nullptr;         ///< the connection holding the snapshot's transaction
  };
  enum class Phase { kIdle, kSnapshot, kStreaming };

  void resetState();
  void startConnected(const Offset& resume);
  void prepareSlot(const Offset& resume);
  void beginSnapshot(const std::string& snapshot_name, Lsn consistent);
  /// Continues an interrupted snapshot after its last delivered row, in a new
  /// transaction (the exported snapshot died with its connection).
  void resumeSnapshot(const Offset::SnapshotPos& pos);
  void reportSnapshotTables(PgConn& conn, const Snapshot& s);
  void snapshotStep(int64_t rows);
  void startStreaming(Lsn from);
  void handleCopyMessage(std::string_view msg);
  void replayStep(int64_t rows);
  void periodic(int64_t now_ms);
  void refreshWalEnd();
  void sendStatus(bool reply_requested, int64_t now_ms);
  /// Hands queued records to the host; false when the budget is spent or the host is full.
  bool drain(sdk::Sink& sink, Budget& budget);
  void pushRecord(char op, const Change& change, Lsn lsn);
  void pushCheckpoint(Lsn complete);
  PgConn& admin();

  void onBegin(Lsn final_lsn, int64_t commit_ts_us, uint32_t xid) override;
  void onCommit(Lsn commit_lsn, Lsn end_lsn, int64_t commit_ts_us) override;
  void onRelation(Relation& rel) override;
  void onChange(char op, const Relation& rel, const Tuple* old_tuple, char old_kind, const Tuple* new_tuple,
                Lsn lsn) override;
  void onTruncate(const std::vector<const Relation*>& rels, Lsn lsn) override;
  void onStreamed(uint32_t xid, std::string_view message, Lsn lsn) override;
  void onStreamCommit(uint32_t xid, Lsn commit_lsn, Lsn end_lsn, int64_t commit_ts_us) override;
  void onStreamAbort(uint32_t xid, uint32_t subxid) override;

  ConnSettings settings_;
  CdcConfig config_;
  int wake_fd_ = -1;

  std::unique_ptr<PgConn> admin_;
  std::unique_ptr<PgConn> repl_;
  std::unique_ptr<ReplicationStream> stream_;
  std::unique_ptr<PgOutputDecoder> decoder_;
  Phase phase_ = Phase::kIdle;
  std::optional<Snapshot> snapshot_;

  std::deque<Pending> out_;
  bool in_txn_ = false;
  Txn txn_;
  Lsn skip_commit_ = 0;  ///< a transaction partly delivered before a restart
  uint64_t skip_records_ = 0;
  std::unordered_map<uint32_t, TxnBuffer> streamed_;
  std::unordered_map<uint32_t, uint32_t> base_types_;  ///< domain type → base type
  std::string replay_message_;
  std::optional<Replay> replay_;

  Lsn complete_ = 0;         ///< end of the last whole transaction handed over
  Lsn acked_ = 0;            ///< what the slot has been told is durable
  Lsn server_wal_end_ = 0;   ///< pg_current_wal_lsn() as last read
  int64_t status_interval_ms_ = 10000;
  int64_t last_status_ms_ = 0;
  int64_t last_reply_request_ms_ = 0;
  int64_t last_heartbeat_ms_ = 0;
  int64_t last_commit_seen_ms_ = 0;
  int64_t now_ms_ = 0;
  size_t value_hint_ = 256;  ///< capacity to reserve for the next value
};

/// The `postgres` connection type.
struct PostgresConnection {
  static constexpr const char* kName = "postgres";
  static constexpr const char* kDescription = "A PostgreSQL server reachable with libpq.";
  static std::span<const sh_config_key_t> configKeys() { return connectionConfigKeys(); }
  /// Connects and reports reachability, the REPLICATION attribute and wal_level.
  static std::string test(const sdk::Host& host);
};

}  // namespace streamhost::pgcdc
