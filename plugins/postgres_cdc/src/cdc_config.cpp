#include "cdc_config.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace streamhost::pgcdc {
namespace {

constexpr sdk::TableNameRules kTableNames{"schema", 63, "", "letters, digits, _, $ and *"};

}  // namespace

std::string defaultSlotName(std::string_view stream_id) {
  std::string out = "streamhost_";
  for (char c : stream_id) {
    unsigned char u = static_cast<unsigned char>(c);
    out += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '_';
  }
  return out.substr(0, 63);
}

bool isValidSlotName(std::string_view name) {
  return !name.empty() && name.size() <= 63 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool isValidIdentifier(std::string_view name) {
  if (name.empty() || name.size() > 63) {
    return false;
  }
  auto first = static_cast<unsigned char>(name[0]);
  if (!std::isalpha(first) && first != '_') {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
  });
}

std::string quoteIdent(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') {
      out += '"';
    }
  }
  return out + "\"";
}

std::string quoteLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') {
      out += '\'';
    }
  }
  return out + "'";
}

ConnSettings ConnSettings::fromHost(const sdk::Host& host) {
  ConnSettings s;
  s.host = host.connectionString("host", "localhost");
  s.port = host.connectionInt("port", 5432);
  s.database = host.connectionString("database");
  s.user = host.connectionString("user");
  s.password = host.connectionString("password");
  // require by default: prefer would fall back to plaintext for the password and the WAL.
  s.sslmode = host.connectionString("sslmode", "require");
  s.ssl_root_cert_pem = host.connectionString("ssl_root_cert_pem");
  if (s.host.empty()) {
    sdk::configError("host", "must not be empty");
  }
  if (s.port < 1 || s.port > 65535) {
    sdk::configError("port", "must be between 1 and 65535");
  }
  if (s.database.empty()) {
    sdk::configError("database", "is required");
  }
  if (s.user.empty()) {
    sdk::configError("user", "is required");
  }
  static constexpr std::array<std::string_view, 6> kModes = {"disable", "allow", "prefer", "require",
                                                             "verify-ca", "verify-full"};
  if (std::find(kModes.begin(), kModes.end(), s.sslmode) == kModes.end()) {
    sdk::configError("sslmode", "must be one of disable, allow, prefer, require, verify-ca, verify-full");
  }
  bool verifies = s.sslmode == "verify-ca" || s.sslmode == "verify-full";
  if (verifies && s.ssl_root_cert_pem.empty()) {
    sdk::configError("ssl_root_cert_pem", "is required with sslmode " + s.sslmode +
                                              ": set ssl_root_cert_pem to the PEM of the CA that signed the "
                                              "server's certificate");
  }
  if (!s.ssl_root_cert_pem.empty() && s.ssl_root_cert_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    sdk::configError("ssl_root_cert_pem", "must hold PEM certificates (-----BEGIN CERTIFICATE-----)");
  }
  return s;
}

std::string ConnSettings::describe() const {
  return user + "@" + host + ":" + std::to_string(port) + "/" + database;
}

CdcConfig CdcConfig::fromHost(const sdk::Host& host, std::string_view stream_id) {
  CdcConfig c;
  // Absent names derive from the stream id (unknown while validating); given ones must be valid.
  std::string derived = stream_id.empty() ? std::string() : defaultSlotName(stream_id);
  auto given = [&](const char* key) {
    auto json = host.configJson(key);
    return json && *json != "null";
  };
  c.slot_name = given("slot_name") ? host.configString("slot_name") : derived;
  if (given("slot_name") && !isValidSlotName(c.slot_name)) {
    sdk::configError("slot_name", "must be 1-63 characters of lower-case letters, digits and _");
  }
  c.publication = given("publication") ? host.configString("publication") : derived;
  if (given("publication") && !isValidIdentifier(c.publication)) {
    sdk::configError("publication",
                     "must be a PostgreSQL identifier: a letter or _, then letters, digits, _ or $ (at most 63)");
  }
  c.create_publication = host.configBool("create_publication", true);
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
  c.heartbeat_interval_ms = sdk::configIntBetween(host, "heartbeat_interval_ms", 10000, 0, 3600000);
  c.max_batch_rows = sdk::configIntBetween(host, "max_batch_rows", 4096, 1, 100000);
  c.max_batch_bytes = sdk::configIntBetween(host, "max_batch_bytes", 8 << 20, 1024, 256 << 20);
  c.max_transaction_memory_bytes =
      sdk::configIntBetween(host, "max_transaction_memory_bytes", 64 << 20, 0, int64_t{64} << 30);
  c.max_slot_lag_bytes =
      sdk::configIntBetween(host, "max_slot_lag_bytes", int64_t{10} << 30, 0, int64_t{1} << 50);
  std::string action = host.configString("on_lag_budget_exceeded", "error");
  if (action == "error") {
    c.on_lag_budget_exceeded = LagBudgetAction::kError;
  } else if (action == "resume") {
    c.on_lag_budget_exceeded = LagBudgetAction::kResume;
  } else if (action == "drop_slot") {
    c.on_lag_budget_exceeded = LagBudgetAction::kDropSlot;
  } else {
    sdk::configError("on_lag_budget_exceeded", "must be \"error\", \"resume\" or \"drop_slot\"");
  }
  return c;
}

bool CdcConfig::wants(std::string_view schema, std::string_view table) const {
  return sdk::tableWanted(include, exclude, schema, table);
}

std::span<const sh_config_key_t> cdcConfigKeys() {
  static constexpr sh_config_key_t kKeys[] = {
      sdk::configKey("slot_name", SH_CFG_STRING, nullptr, 0,
                     "Logical replication slot; default streamhost_<stream id>."),
      sdk::configKey("publication", SH_CFG_STRING, nullptr, 0, "Publication to read; default streamhost_<stream id>."),
      sdk::configKey("create_publication", SH_CFG_BOOL, "true", 0,
                     "Create the publication when missing (FOR TABLE the included tables, or FOR ALL TABLES)."),
      sdk::configKey("include_tables", SH_CFG_ARRAY, "[]", 0, "schema.table patterns to read (* allowed); all when empty."),
      sdk::configKey("exclude_tables", SH_CFG_ARRAY, "[]", 0, "schema.table patterns to skip (* allowed)."),
      sdk::configKey("snapshot_mode", SH_CFG_STRING, "\"initial\"", 0,
                     "initial: read the included tables first, then stream; never: stream only."),
      sdk::configKey("heartbeat_interval_ms", SH_CFG_INT, "10000", 0,
                     "How often the slot is advanced on a quiet database; 0 turns it off."),
      sdk::configKey("max_batch_rows", SH_CFG_INT, "4096", 0, "Most rows handed to the host per batch."),
      sdk::configKey("max_batch_bytes", SH_CFG_INT, "8388608", 0, "Most bytes handed to the host per batch."),
      sdk::configKey("max_transaction_memory_bytes", SH_CFG_INT, "67108864", 0,
                     "Memory a streamed transaction may use until it commits; the rest goes to a temp file."),
      sdk::configKey("max_slot_lag_bytes", SH_CFG_INT, "10737418240", 0,
                     "WAL the slot may retain (running, paused, stopped or in error) before "
                     "on_lag_budget_exceeded applies; a warning at 80 %; 0 turns the budget off."),
      sdk::configKey("on_lag_budget_exceeded", SH_CFG_STRING, "\"error\"", 0,
                     "error: the stream goes to error; resume: a paused stream resumes; drop_slot: the slot is "
                     "dropped and the next start takes a new snapshot."),
  };
  return kKeys;
}

std::span<const sh_config_key_t> connectionConfigKeys() {
  static constexpr sh_config_key_t kKeys[] = {
      sdk::configKey("host", SH_CFG_STRING, "\"localhost\"", 0, "Server host name, address or socket directory."),
      sdk::configKey("port", SH_CFG_INT, "5432", 0, "Server port."),
      sdk::configKey("database", SH_CFG_STRING, nullptr, SH_CFG_REQUIRED, "Database to replicate."),
      sdk::configKey("user", SH_CFG_STRING, nullptr, SH_CFG_REQUIRED,
                     "Role with the REPLICATION attribute (or a superuser)."),
      sdk::configKey("sslmode", SH_CFG_STRING, "\"require\"", 0,
                     "libpq sslmode: require (default), verify-ca, verify-full, or disable for local work."),
      sdk::configKey("ssl_root_cert_pem", SH_CFG_STRING, nullptr, 0,
                     "PEM of the CA certificate(s) that verify-ca and verify-full check the server against."),
      sdk::configKey("password", SH_CFG_STRING, nullptr, SH_CFG_SECRET, "Password of the role."),
  };
  return kKeys;
}

}  // namespace streamhost::pgcdc
