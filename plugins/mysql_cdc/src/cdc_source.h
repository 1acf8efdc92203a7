#pragma once

#include <streamhost/plugin_sdk.hpp>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "binlog_event.h"
#include "binlog_position.h"
#include "binlog_reader.h"
#include "my_session.h"
#include "mysql_config.h"
#include "row_encoder.h"
#include "snapshot_state.h"
#include "table_schema.h"

namespace streamhost::mycdc {

/// A record (or, with op 0, a bare checkpoint) waiting to be handed to the host.
struct Pending {
  std::string key;
  std::string value;
  char op = 0;
  int64_t ts_ms = 0;
  std::string offset;
};

/// Collation ids and charset converters of one server.
class ServerCharsets final : public CharsetResolver {
 public:
  void load(MySession& session);
  std::string charsetOf(uint32_t collation) override;
  const TextConverter* converter(const std::string& charset) override;

 private:
  std::unordered_map<uint32_t, std::string> collations_;
  std::unordered_map<std::string, std::unique_ptr<TextConverter>> converters_;
};

/// The mysql_cdc source: an optional consistent snapshot, then the row-based
/// binlog from exactly that point. The position lives only in the host's
/// committed offsets (the server keeps nothing for a reader).
class MysqlCdcSource final : public sdk::Source {
 public:
  static constexpr const char* kName = "mysql_cdc";
  static constexpr const char* kDescription =
      "MariaDB and MySQL change data capture from the row-based binlog, with an initial snapshot.";
  static constexpr uint32_t kFlags = SH_CAP_NEEDS_CONNECTION | SH_CAP_PAUSE | SH_CAP_SNAPSHOT;
  static constexpr const char* kConnectionType = "mysql";
  static std::span<const sh_config_key_t> configKeys() { return cdcConfigKeys(); }
  static void validate(const sdk::Host& host) { CdcConfig::fromHost(host, ""); }

  MysqlCdcSource(sdk::Host host, const sh_create_args_t& args);
  ~MysqlCdcSource() override;

  void start(std::string_view resume_offset) override;
  void poll(sdk::Sink& sink, uint32_t max_records, int32_t timeout_ms) override;
  void commit(std::string_view offset) override;
  void pause() override {}
  void resume() override {}
  void stop() override;
  std::vector<std::string> teardown(bool force) override;
  sdk::Lag lag() override;
  void wakeup() noexcept override;
  /// {"file", "position", "gtid"}: the token's form; file and position resume.
  std::string offsetToJson(std::string_view offset) override;
  std::string offsetFromJson(std::string_view json) override;
  std::vector<std::string> offsetReset() override;
  /// Warns while the position is in the server's oldest binlog file and that
  /// file nears the server's binlog expiry.
  sdk::SourceHealth sourceHealth(std::string_view committed_offset) override;

 private:
  struct Budget {
    int64_t rows;
    int64_t bytes;
  };
  struct MappedTable {
    TableMap map;
    bool wanted = false;
    std::optional<TableSchema> schema;
  };

  void resetState();
  void startConnected(const BinlogOffset& resume);
  void startStreaming(const std::string& file, uint64_t pos, const std::string& gtid_state = {});
  bool drain(sdk::Sink& sink, Budget& budget);
  void pushCheckpoint(const std::string& file, uint64_t pos);
  void handleEvent(std::string_view raw);
  void dispatch(const Event& e, uint64_t start);
  void onQuery(const Event& e, uint64_t start);
  void onRows(const Event& e, uint64_t start);
  void beginTxn(uint64_t start, const std::string& gtid);
  void endTxn(uint64_t next_pos);
  const TableSchema& schemaFor(MappedTable& t);
  std::vector<CatalogColumn> catalog(const std::string& db, const std::string& table);
  uint8_t postHeader(uint8_t type) const;
  MySession& admin();
  std::string streamOffset(uint64_t rows) const;

  // Snapshot (cdc_snapshot.cpp).
  void beginSnapshot();
  void snapshotStep(int64_t rows);

  ConnSettings settings_;
  CdcConfig config_;
  std::string stream_id_;

  std::unique_ptr<MySession> admin_;
  std::unique_ptr<BinlogReader> reader_;
  std::unique_ptr<Snapshot> snapshot_;
  ServerCharsets charsets_;
  bool registered_ = false;

  std::deque<std::string> events_;  ///< raw events taken from the reader, not yet decoded
  std::deque<Pending> out_;
  std::unordered_map<uint64_t, MappedTable> tables_;
  std::unordered_map<std::string, std::vector<CatalogColumn>> catalog_;

  // Where the stream is.
  std::string file_;
  bool checksummed_ = false;
  std::vector<uint8_t> post_header_;
  std::string complete_file_;  ///< end of the last whole transaction
  uint64_t complete_pos_ = 0;
  std::string last_gtid_;
  bool in_txn_ = false;
  uint64_t txn_start_ = 0;  ///< where the current transaction begins (its GTID or BEGIN)
  std::string txn_gtid_;
  uint32_t txn_server_id_ = 0;
  int64_t txn_ts_ms_ = 0;
  uint64_t txn_rows_ = 0;
  bool txn_standalone_ = false;
  bool saw_begin_ = false;  ///< the transaction opened with a BEGIN query
  bool txn_maria_ = false;  ///< the transaction opened with a MariaDB GTID (whose flags say how it ends)
  uint64_t skip_rows_ = 0;  ///< rows of the first transaction already durable before a restart

  BinlogOffset acked_;
  int64_t last_event_ts_ms_ = 0;
  /// No later than the last write of the checkpoint's file: the last event's
  /// time, or when the file was seen as the server's current one (a file is
  /// written once more, its Rotate event, when it stops being current).
  int64_t position_time_ms_ = 0;
  int64_t now_ms_ = 0;
  RowImage before_, after_;
  size_t value_hint_ = 256;
};

/// The `mysql` connection type.
struct MysqlConnection {
  static constexpr const char* kName = "mysql";
  static constexpr const char* kDescription = "A MariaDB or MySQL server reachable with Connector/C.";
  static std::span<const sh_config_key_t> configKeys() { return connectionConfigKeys(); }
  /// Connects and reports flavour and version, binlog, format, GTIDs and grants.
  static std::string test(const sdk::Host& host);
};

}  // namespace streamhost::mycdc
