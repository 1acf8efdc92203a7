#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace streamhost::config {

/// An API key the configuration grants; `key_sha256` is what is compared.
struct ApiKeyConfig {
  std::string name;
  std::string key_sha256;  ///< lower-case hex
  std::vector<std::string> scopes;
  bool given_in_plaintext = false;  ///< `key:` was used instead of `key_sha256:`
};

struct Limits {
  double api_requests_per_second = 100;  ///< per key; 0 turns rate limiting off
  int64_t api_burst = 200;
  int64_t api_max_body_bytes = 1 << 20;
  int64_t ingest_max_body_bytes = 10 << 20;
  int64_t http_read_timeout_ms = 30000;  ///< a request head or body that stalls longer is answered 408
  int64_t stream_command_timeout_ms = 30000;  ///< stop/pause/resume; a stop that overruns abandons the worker
  /// Per push stream, token bucket (ingest carries no API key); 0 turns it off.
  double ingest_requests_per_second = 1000;
  int64_t ingest_burst = 2000;
  /// Failed API-key attempts per client address and minute before it is refused (429) unheard.
  int64_t auth_failures_per_minute = 60;
};

struct JournalConfig {
  int64_t segment_bytes = 64LL << 20;
  int64_t group_commit_delay_ms = 0;  ///< as PostgreSQL's commit_delay: syncs already group what arrives during one
  int64_t group_commit_max_bytes = 4LL << 20;
  int64_t max_pending_bytes = 64LL << 20;
  std::string compression = "lz4";  ///< none|lz4|zstd: batch frames of pipelines without their own setting
};

struct MetricsConfig {
  bool require_key = true;  ///< /metrics names streams: a key with metrics:read (or admin) by default
  bool enabled = true;  ///< false: GET /metrics answers 404
};

/// Where packages install the console (STREAMHOST_CONSOLE_DIR at build time).
std::filesystem::path defaultConsoleDir();

struct ConsoleConfig {
  bool enabled = true;  ///< false: /console/ answers 404
  /// The console's static files (index.html, app.js, ...), read once at start.
  std::filesystem::path assets_dir = defaultConsoleDir();
};

struct TlsConfig {
  std::string cert_file;  ///< empty: plain HTTP
  std::string key_file;
};

/// The daemon's configuration, parsed from YAML and overridden by STREAMHOST_*
/// environment variables and then by command-line flags, in that order.
struct Config {
  std::string listen = "127.0.0.1:8080";
  std::filesystem::path data_dir = "/var/lib/streamhost";
  std::filesystem::path plugin_dir = STREAMHOST_DEFAULT_PLUGIN_DIR;
  std::string store = "sqlite";  ///< or a postgresql:// URI
  std::vector<ApiKeyConfig> api_keys;
  Limits limits;
  JournalConfig journal;
  TlsConfig tls;
  MetricsConfig metrics;
  ConsoleConfig console;
  std::string log_level = "information";  ///< Poco level names
  std::string log_format = "text";        ///< text or json
  int64_t http_threads = 16;  ///< threads kept ready for new connections
  struct Http {
    int64_t max_connections = 4096;            ///< beyond it a new connection gets 503
    int64_t max_connections_per_client = 1024;  ///< per client address
    int64_t idle_timeout_ms = 30000;           ///< keep-alive wait for the next request
    int64_t header_timeout_ms = 10000;         ///< a whole request head must arrive within it
    int64_t body_timeout_ms = 60000;           ///< a whole request body must arrive within it
  } http;
  int64_t shutdown_timeout_ms = 10000;
  struct Health {
    /// How often each stream that holds a position at its source is checked
    /// (retained WAL against its budget), running or not.
    int64_t check_interval_ms = 30000;
  } health;

  std::string listenHost() const;
  uint16_t listenPort() const;
};

/// Loads `path` (may be empty: defaults only). `env` holds the process
/// environment (STREAMHOST_* keys are read), `flags` holds dotted keys set on
/// the command line (e.g. {"data_dir", "/tmp/x"}). Relative paths in the file
/// are resolved against the file's directory; relative paths from env and
/// flags against the working directory. Errors name the offending key path.
Result<Config> loadConfig(const std::filesystem::path& path, const std::map<std::string, std::string>& env,
                          const std::map<std::string, std::string>& flags);

/// Every scalar key path the configuration knows, for help and env mapping.
const std::vector<std::string>& knownKeys();

/// Every scalar setting of `config` by its key path, as text (for reload diffs).
std::map<std::string, std::string> flattenConfig(const Config& config);

/// "limits.api_burst" -> "STREAMHOST_LIMITS_API_BURST".
std::string envNameFor(const std::string& key_path);

/// Renders the effective configuration (no secrets: key hashes only) as YAML.
std::string renderConfig(const Config& config);

}  // namespace streamhost::config
