#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace streamhost::app {

/// One setting that differs between the running configuration and the file
/// re-read on SIGHUP.
struct ConfigChange {
  std::string key;   ///< dotted path, e.g. "limits.api_burst", or "auth.api_keys"
  std::string from;  ///< the running value, as text
  std::string to;    ///< the value in the file, as text
  bool live = false; ///< applied by the reload; false: takes effect at the next restart
};

/// What a reload changes. These apply live: log.level, auth.api_keys,
/// limits.api_requests_per_second, limits.api_burst, metrics.enabled, and
/// tls.cert_file / tls.key_file while TLS stays on (the pair is re-read on
/// every reload even when the paths are the same, for renewed certificates).
/// Everything else (listen, data_dir, plugin_dir, store, log.format,
/// http.threads, shutdown_timeout_ms, the body and read-timeout limits,
/// journal.*, and turning TLS on or off) needs a restart.
std::vector<ConfigChange> diffConfigs(const config::Config& running, const config::Config& next);

/// Whether `key` is one of the settings a reload applies.
bool appliesLive(const std::string& key, const config::Config& running, const config::Config& next);

/// "a -> b" lines joined with "; ", for the log.
std::string describeChanges(const std::vector<ConfigChange>& changes);

}  // namespace streamhost::app
