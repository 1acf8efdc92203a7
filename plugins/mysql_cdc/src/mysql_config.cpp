#include "mysql_config.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace streamhost::mycdc {
namespace {

constexpr sdk::TableNameRules kTableNames{"db", 64, "-", "letters, digits, _, $, - and *"};

}  // namespace

uint32_t defaultServerId(std::string_view stream_id) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (char c : stream_id) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return static_cast<uint32_t>(1000000 + h % (4294967295ULL - 1000000));
}

ConnSettings ConnSettings::fromHost(const sdk::Host& host) {
  ConnSettings s;
  s.host = host.connectionString("host", "localhost");
  s.port = host.connectionInt("port", 3306);
  s.user = host.connectionString("user");
  s.password = host.connectionString("password");
  s.ssl_ca_pem = host.connectionString("ssl_ca_pem");
  std::string mode = host.connectionString("ssl_mode", "preferred");
  if (s.host.empty()) {
    sdk::configError("host", "host must not be empty");
  }
  if (s.port < 1 || s.port > 65535) {
    sdk::configError("port", "port must be between 1 and 65535");
  }
  if (s.user.empty()) {
    sdk::configError("user", "user is required");
  }
  static constexpr std::array<std::pair<std::string_view, SslMode>, 5> kModes = {{
      {"disabled", SslMode::kDisabled}, {"preferred", SslMode::kPreferred}, {"required", SslMode::kRequired},
      {"verify_ca", SslMode::kVerifyCa}, {"verify_identity", SslMode::kVerifyIdentity}}};
  auto it = std::find_if(kModes.begin(), kModes.end(), [&](const auto& p) { return p.first == mode; });
  if (it == kModes.end()) {
    sdk::configError("ssl_mode", "ssl_mode must be one of disabled, preferred, required, verify_ca, verify_identity");
  }
  s.ssl_mode = it->second;
  if ((s.ssl_mode == SslMode::kVerifyCa || s.ssl_mode == SslMode::kVerifyIdentity) && s.ssl_ca_pem.empty()) {
    sdk::configError("ssl_ca_pem", "ssl_ca_pem is required with ssl_mode " + mode + ": the PEM of the CA that signed the server");
  }
  if (!s.ssl_ca_pem.empty() && s.ssl_ca_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    sdk::configError("ssl_ca_pem", "ssl_ca_pem must be PEM text starting with -----BEGIN CERTIFICATE-----");
  }
  return s;
}

std::string ConnSettings::describe() const { return user + "@" + host + ":" + std::to_string(port); }

CdcConfig CdcConfig::fromHost(const sdk::Host& host, std::string_view stream_id) {
  CdcConfig c;
  auto sid = host.configJson("server_id");
  if (sid && *sid != "null") {
    c.server_id = static_cast<uint32_t>(sdk::configIntBetween(host, "server_id", 0, 1, 4294967295LL));
  } else {
    c.server_id = stream_id.empty() ? 0 : defaultServerId(stream_id);
  }
  c.include = sdk::tablePatterns(host, "include_tables", kTableNames);
  c.exclude = sdk::tablePatterns(host, "exclude_tables", kTableNames);
  std::string mode = host.configString("snapshot_mode", "initial");
  if (mode == "initial") {
    c.snapshot_mode = SnapshotMode::kInitial;
  } else if (mode == "never") {
    c.snapshot_mode = SnapshotMode::kNever;
  } else {
    sdk::configError("snapshot_mode", "must be \"initial\" or \"never\"");
  }
  c.heartbeat_interval_ms = sdk::configIntBetween(host, "heartbeat_interval_ms", 10000, 0, 4294967);
  if (c.heartbeat_interval_ms > 0 && c.heartbeat_interval_ms < 100) {
    sdk::configError("heartbeat_interval_ms", "must be 0 (off) or at least 100");
  }
  c.max_batch_rows = sdk::configIntBetween(host, "max_batch_rows", 4096, 1, 100000);
  c.max_batch_bytes = sdk::configIntBetween(host, "max_batch_bytes", 8 << 20, 1024, 256 << 20);
  return c;
}

bool CdcConfig::wants(std::string_view db, std::string_view table) const {
  if (db == "mysql" || db == "information_schema" || db == "performance_schema" || db == "sys") {
    return false;
  }
  return sdk::tableWanted(include, exclude, db, table);
}

std::string quoteIdent(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    out += c;
    if (c == '`') {
      out += '`';
    }
  }
  return out + "`";
}

std::string quoteLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "'";
}

std::span<const sh_config_key_t> cdcConfigKeys() {
  static constexpr sh_config_key_t kKeys[] = {
      sdk::configKey("server_id", SH_CFG_INT, nullptr, 0,
                     "Replica id this stream presents to the server; default derived from the stream id. Must "
                     "differ from every other replica of that server."),
      sdk::configKey("include_tables", SH_CFG_ARRAY, "[]", 0, "db.table patterns to read (* allowed); all when empty."),
      sdk::configKey("exclude_tables", SH_CFG_ARRAY, "[]", 0, "db.table patterns to skip (* allowed)."),
      sdk::configKey("snapshot_mode", SH_CFG_STRING, "\"initial\"", 0,
                     "initial: a consistent snapshot of the included tables, then the binlog from that point; "
                     "never: the binlog from its current end."),
      sdk::configKey("heartbeat_interval_ms", SH_CFG_INT, "10000", 0,
                     "The server's replication heartbeat period, which also moves the position on a quiet "
                     "server; 0 turns it off."),
      sdk::configKey("max_batch_rows", SH_CFG_INT, "4096", 0, "Most rows handed to the host per batch."),
      sdk::configKey("max_batch_bytes", SH_CFG_INT, "8388608", 0, "Most bytes handed to the host per batch."),
  };
  return kKeys;
}

std::span<const sh_config_key_t> connectionConfigKeys() {
  static constexpr sh_config_key_t kKeys[] = {
      sdk::configKey("host", SH_CFG_STRING, "\"localhost\"", 0, "Server host name or address."),
      sdk::configKey("port", SH_CFG_INT, "3306", 0, "Server port."),
      sdk::configKey("user", SH_CFG_STRING, nullptr, SH_CFG_REQUIRED,
                     "User with REPLICATION SLAVE, REPLICATION CLIENT (BINLOG MONITOR on MariaDB) and SELECT."),
      sdk::configKey("ssl_mode", SH_CFG_STRING, "\"preferred\"", 0,
                     "disabled, preferred, required, verify_ca or verify_identity."),
      sdk::configKey("ssl_ca_pem", SH_CFG_STRING, nullptr, 0,
                     "PEM of the CA that signed the server's certificate (verify_ca, verify_identity)."),
      sdk::configKey("password", SH_CFG_STRING, nullptr, SH_CFG_SECRET, "Password of the user."),
  };
  return kKeys;
}

}  // namespace streamhost::mycdc
