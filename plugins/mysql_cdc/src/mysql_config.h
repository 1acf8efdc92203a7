#pragma once

#include <streamhost/plugin_sdk.hpp>
#include <streamhost/sdk/tables.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace streamhost::mycdc {

enum class SslMode { kDisabled, kPreferred, kRequired, kVerifyCa, kVerifyIdentity };

/// How to reach the server: the `mysql` connection's settings.
struct ConnSettings {
  std::string host = "localhost";
  int64_t port = 3306;
  std::string user;
  std::string password;
  SslMode ssl_mode = SslMode::kPreferred;
  std::string ssl_ca_pem;

  /// Reads and checks the connection; throws sdk::Error naming the key.
  static ConnSettings fromHost(const sdk::Host& host);
  /// "user@host:port", for messages (no secret).
  std::string describe() const;
};

/// A "db.table" pattern; `*` matches any run of characters in its part.
using TablePattern = sdk::TablePattern;  ///< space is the database

enum class SnapshotMode { kInitial, kNever };

/// One mysql_cdc stream's settings, defaults applied.
struct CdcConfig {
  uint32_t server_id = 0;
  std::vector<TablePattern> include;
  std::vector<TablePattern> exclude;
  SnapshotMode snapshot_mode = SnapshotMode::kInitial;
  int64_t heartbeat_interval_ms = 10000;
  int64_t max_batch_rows = 4096;
  int64_t max_batch_bytes = 8 << 20;

  /// Reads and checks every key; throws sdk::Error naming the field. An
  /// absent server_id derives from `stream_id` (0 while validating).
  static CdcConfig fromHost(const sdk::Host& host, std::string_view stream_id);
  /// Whether changes of db.table are wanted by include/exclude (system schemas never are).
  bool wants(std::string_view db, std::string_view table) const;
};

/// The replica id a stream presents when server_id is not set: a hash of the
/// stream id, in [1000000, 4294967295), away from the small ids people give servers.
uint32_t defaultServerId(std::string_view stream_id);

std::span<const sh_config_key_t> cdcConfigKeys();
std::span<const sh_config_key_t> connectionConfigKeys();

/// Backtick-quotes an identifier.
std::string quoteIdent(std::string_view name);
/// Single-quotes a string literal (backslashes and quotes escaped).
std::string quoteLiteral(std::string_view text);

}  // namespace streamhost::mycdc
