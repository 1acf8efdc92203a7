#pragma once

#include <streamhost/plugin_sdk.hpp>
#include <streamhost/sdk/tables.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace streamhost::pgcdc {

/// How to reach the server: the `postgres` connection's settings.
struct ConnSettings {
  std::string host = "localhost";
  int64_t port = 5432;
  std::string database;
  std::string user;
  std::string password;
  std::string sslmode = "require";
  std::string ssl_root_cert_pem;  ///< CA certificate(s) for verify-ca / verify-full

  /// Reads and checks the stream's connection; throws sdk::Error naming the key.
  static ConnSettings fromHost(const sdk::Host& host);
  /// "user@host:port/database", for messages (no secret).
  std::string describe() const;
};

/// A "schema.table" pattern; `*` matches any run of characters in its part.
using TablePattern = sdk::TablePattern;  ///< space is the schema

enum class SnapshotMode { kInitial, kNever };

/// What happens when the slot retains more WAL than max_slot_lag_bytes.
enum class LagBudgetAction { kError, kResume, kDropSlot };

/// One postgres_cdc stream's settings, defaults applied.
struct CdcConfig {
  std::string slot_name;
  std::string publication;
  bool create_publication = true;
  std::vector<TablePattern> include;
  std::vector<TablePattern> exclude;
  SnapshotMode snapshot_mode = SnapshotMode::kInitial;
  int64_t heartbeat_interval_ms = 10000;
  int64_t max_batch_rows = 4096;
  int64_t max_batch_bytes = 8 << 20;
  int64_t max_transaction_memory_bytes = 64 << 20;
  int64_t max_slot_lag_bytes = int64_t{10} << 30;  ///< 0: no budget
  LagBudgetAction on_lag_budget_exceeded = LagBudgetAction::kError;

  /// Reads and checks every key; throws sdk::Error naming the field. Absent
  /// slot and publication names derive from `stream_id` (empty while validating).
  static CdcConfig fromHost(const sdk::Host& host, std::string_view stream_id);
  /// Whether a change of schema.table is wanted by include/exclude.
  bool wants(std::string_view schema, std::string_view table) const;
};

/// The default slot (and publication) name for a stream id.
std::string defaultSlotName(std::string_view stream_id);
/// Whether `name` is a valid replication slot name ([a-z0-9_]{1,63}).
bool isValidSlotName(std::string_view name);
/// Whether `name` is a plain PostgreSQL identifier ([A-Za-z_][A-Za-z0-9_$]{0,62}).
bool isValidIdentifier(std::string_view name);
/// Double-quotes an identifier for SQL.
std::string quoteIdent(std::string_view name);
/// Single-quotes a literal for SQL (standard_conforming_strings on).
std::string quoteLiteral(std::string_view text);

/// The config key tables of the source and of the connection type.
std::span<const sh_config_key_t> cdcConfigKeys();
std::span<const sh_config_key_t> connectionConfigKeys();

}  // namespace streamhost::pgcdc
