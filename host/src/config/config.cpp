#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include "common/crypto.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <sstream>

namespace streamhost::config {
namespace {

enum class Kind { kString, kPath, kInt, kDouble, kBool };

struct KeyDef {
  const char* path;
  Kind kind;
  std::function<void*(Config&)> target;
};

const std::vector<KeyDef>& keyDefs() {
  static const std::vector<KeyDef> defs = {
      {"listen", Kind::kString, [](Config& c) -> void* { return &c.listen; }},
      {"data_dir", Kind::kPath, [](Config& c) -> void* { return &c.data_dir; }},
      {"plugin_dir", Kind::kPath, [](Config& c) -> void* { return &c.plugin_dir; }},
      {"store", Kind::kString, [](Config& c) -> void* { return &c.store; }},
      {"log.level", Kind::kString, [](Config& c) -> void* { return &c.log_level; }},
      {"log.format", Kind::kString, [](Config& c) -> void* { return &c.log_format; }},
      {"http.threads", Kind::kInt, [](Config& c) -> void* { return &c.http_threads; }},
      {"http.max_connections", Kind::kInt, [](Config& c) -> void* { return &c.http.max_connections; }},
      {"http.max_connections_per_client", Kind::kInt,
       [](Config& c) -> void* { return &c.http.max_connections_per_client; }},
      {"http.idle_timeout_ms", Kind::kInt, [](Config& c) -> void* { return &c.http.idle_timeout_ms; }},
      {"http.header_timeout_ms", Kind::kInt, [](Config& c) -> void* { return &c.http.header_timeout_ms; }},
      {"http.body_timeout_ms", Kind::kInt, [](Config& c) -> void* { return &c.http.body_timeout_ms; }},
      {"shutdown_timeout_ms", Kind::kInt, [](Config& c) -> void* { return &c.shutdown_timeout_ms; }},
      {"health.check_interval_ms", Kind::kInt, [](Config& c) -> void* { return &c.health.check_interval_ms; }},
      {"metrics.enabled", Kind::kBool, [](Config& c) -> void* { return &c.metrics.enabled; }},
      {"console.enabled", Kind::kBool, [](Config& c) -> void* { return &c.console.enabled; }},
      {"console.assets_dir", Kind::kPath, [](Config& c) -> void* { return &c.console.assets_dir; }},
      {"tls.cert_file", Kind::kPath, [](Config& c) -> void* { return &c.tls.cert_file; }},
      {"tls.key_file", Kind::kPath, [](Config& c) -> void* { return &c.tls.key_file; }},
      {"limits.api_requests_per_second", Kind::kDouble,
       [](Config& c) -> void* { return &c.limits.api_requests_per_second; }},
      {"limits.api_burst", Kind::kInt, [](Config& c) -> void* { return &c.limits.api_burst; }},
      {"limits.api_max_body_bytes", Kind::kInt, [](Config& c) -> void* { return &c.limits.api_max_body_bytes; }},
      {"limits.ingest_max_body_bytes", Kind::kInt,
       [](Config& c) -> void* { return &c.limits.ingest_max_body_bytes; }},
      {"limits.http_read_timeout_ms", Kind::kInt,
       [](Config& c) -> void* { return &c.limits.http_read_timeout_ms; }},
      {"limits.stream_command_timeout_ms", Kind::kInt,
       [](Config& c) -> void* { return &c.limits.stream_command_timeout_ms; }},
      {"limits.ingest_requests_per_second", Kind::kDouble,
       [](Config& c) -> void* { return &c.limits.ingest_requests_per_second; }},
      {"limits.ingest_burst", Kind::kInt, [](Config& c) -> void* { return &c.limits.ingest_burst; }},
      {"limits.auth_failures_per_minute", Kind::kInt,
       [](Config& c) -> void* { return &c.limits.auth_failures_per_minute; }},
      {"metrics.require_key", Kind::kBool, [](Config& c) -> void* { return &c.metrics.require_key; }},
      {"journal.segment_bytes", Kind::kInt, [](Config& c) -> void* { return &c.journal.segment_bytes; }},
      {"journal.group_commit_delay_ms", Kind::kInt,
       [](Config& c) -> void* { return &c.journal.group_commit_delay_ms; }},
      {"journal.group_commit_max_bytes", Kind::kInt,
       [](Config& c) -> void* { return &c.journal.group_commit_max_bytes; }},
      {"journal.max_pending_bytes", Kind::kInt, [](Config& c) -> void* { return &c.journal.max_pending_bytes; }},
      {"journal.compression", Kind::kString, [](Config& c) -> void* { return &c.journal.compression; }},
  };
  return defs;
}

const KeyDef* findKey(const std::string& path) {
  for (const auto& d : keyDefs()) {
    if (path == d.path) {
      return &d;
    }
  }
  return nullptr;
}

Status assign(Config& c, const KeyDef& def, const std::string& value, const std::filesystem::path& base,
              const std::string& origin) {
  void* target = def.target(c);
  switch (def.kind) {
    case Kind::kString:
      *static_cast<std::string*>(target) = value;
      return Status::ok();
    case Kind::kPath: {
      std::filesystem::path p(value);
      if (!value.empty() && p.is_relative()) {
        p = (base / p).lexically_normal();
      }
      // Two path-typed fields are std::string (TLS files), the rest std::filesystem::path.
      if (std::string(def.path).rfind("tls.", 0) == 0) {
        *static_cast<std::string*>(target) = p.string();
      } else {
        *static_cast<std::filesystem::path*>(target) = p;
      }
      return Status::ok();
    }
    case Kind::kInt: {
      int64_t v = 0;
      auto r = std::from_chars(value.data(), value.data() + value.size(), v);
      if (r.ec != std::errc() || r.ptr != value.data() + value.size()) {
        return invalidArgument(origin + ": '" + def.path + "' must be an integer, got '" + value + "'", def.path);
      }
      *static_cast<int64_t*>(target) = v;
      return Status::ok();
    }
    case Kind::kDouble: {
      char* end = nullptr;
      double v = std::strtod(value.c_str(), &end);
      if (value.empty() || end != value.c_str() + value.size()) {
        return invalidArgument(origin + ": '" + def.path + "' must be a number, got '" + value + "'", def.path);
      }
      *static_cast<double*>(target) = v;
      return Status::ok();
    }
    case Kind::kBool: {
      std::string v = value;
      std::transform(v.begin(), v.end(), v.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      if (v == "true" || v == "yes" || v == "on" || v == "1") {
        *static_cast<bool*>(target) = true;
      } else if (v == "false" || v == "no" || v == "off" || v == "0") {
        *static_cast<bool*>(target) = false;
      } else {
        return invalidArgument(origin + ": '" + def.path + "' must be true or false, got '" + value + "'", def.path);
      }
      return Status::ok();
    }
  }
  return internalError("unreachable");
}

bool isHex64(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char ch) {
           return std::isdigit(static_cast<unsigned char>(ch)) || (ch >= 'a' && ch <= 'f');
         });
}

Status parseApiKeys(const YAML::Node& node, Config& c) {
  if (!node.IsSequence()) {
    return invalidArgument("'auth.api_keys' must be a list", "auth.api_keys");
  }
  for (size_t i = 0; i < node.size(); ++i) {
    std::string at = "auth.api_keys[" + std::to_string(i) + "]";
    const YAML::Node& k = node[i];
    if (!k.IsMap()) {
      return invalidArgument("'" + at + "' must be a mapping", at);
    }
    ApiKeyConfig key;
    for (const auto& kv : k) {
      std::string name = kv.first.as<std::string>();
      if (name == "name") {
        key.name = kv.second.as<std::string>();
      } else if (name == "key_sha256") {
        key.key_sha256 = kv.second.as<std::string>();
        std::transform(key.key_sha256.begin(), key.key_sha256.end(), key.key_sha256.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        if (!isHex64(key.key_sha256)) {
          return invalidArgument("'" + at + ".key_sha256' must be 64 hex digits", at + ".key_sha256");
        }
      } else if (name == "key") {
        key.key_sha256 = crypto::sha256Hex(kv.second.as<std::string>());
        key.given_in_plaintext = true;
      } else if (name == "scopes") {
        if (!kv.second.IsSequence()) {
          return invalidArgument("'" + at + ".scopes' must be a list", at + ".scopes");
        }
        for (const auto& s : kv.second) {
          key.scopes.push_back(s.as<std::string>());
        }
      } else {
        return invalidArgument("unknown key '" + at + "." + name + "'", at + "." + name);
      }
    }
    if (key.name.empty()) {
      return invalidArgument("'" + at + ".name' is required", at + ".name");
    }
    if (key.key_sha256.empty()) {
      return invalidArgument("'" + at + "' needs key_sha256 (or key)", at + ".key_sha256");
    }
    c.api_keys.push_back(std::move(key));
  }
  return Status::ok();
}

Status walk(const YAML::Node& node, const std::string& prefix, Config& c, const std::filesystem::path& base) {
  if (!node.IsMap()) {
    return invalidArgument("'" + (prefix.empty() ? std::string("(top level)") : prefix) + "' must be a mapping",
                           prefix);
  }
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    std::string path = prefix.empty() ? key : prefix + "." + key;
    if (path == "auth.api_keys") {
      Status s = parseApiKeys(kv.second, c);
      if (!s) {
        return s;
      }
      continue;
    }
    if (kv.second.IsMap()) {
      Status s = walk(kv.second, path, c, base);
      if (!s) {
        return s;
      }
      continue;
    }
    const KeyDef* def = findKey(path);
    if (def == nullptr) {
      return invalidArgument("unknown key '" + path + "'", path);
    }
    if (!kv.second.IsScalar()) {
      return invalidArgument("'" + path + "' must be a scalar", path);
    }
    Status s = assign(c, *def, kv.second.Scalar(), base, "config file");
    if (!s) {
      return s;
    }
  }
  return Status::ok();
}

Status checkValues(const Config& c) {
  if (c.listen.rfind(':') == std::string::npos || c.listenPort() == 0) {
    return invalidArgument("'listen' must be host:port with a port from 1 to 65535, got '" + c.listen + "'",
                           "listen");
  }
  if (c.store != "sqlite" && c.store.rfind("postgresql://", 0) != 0 && c.store.rfind("postgres://", 0) != 0) {
    return invalidArgument("'store' must be sqlite or a postgresql:// URI", "store");
  }
  if (c.limits.api_requests_per_second < 0) {
    return invalidArgument("'limits.api_requests_per_second' must be >= 0", "limits.api_requests_per_second");
  }
  if (c.limits.ingest_requests_per_second < 0) {
    return invalidArgument("'limits.ingest_requests_per_second' must be >= 0", "limits.ingest_requests_per_second");
  }
  if (c.limits.ingest_burst < 1) {
    return invalidArgument("'limits.ingest_burst' must be >= 1", "limits.ingest_burst");
  }
  if (c.limits.auth_failures_per_minute < 0) {
    return invalidArgument("'limits.auth_failures_per_minute' must be >= 0 (0: unlimited)",
                           "limits.auth_failures_per_minute");
  }
  if (c.limits.api_burst < 1) {
    return invalidArgument("'limits.api_burst' must be >= 1", "limits.api_burst");
  }
  if (c.limits.api_max_body_bytes < 1024) {
    return invalidArgument("'limits.api_max_body_bytes' must be >= 1024", "limits.api_max_body_bytes");
  }
  if (c.limits.ingest_max_body_bytes < 1024) {
    return invalidArgument("'limits.ingest_max_body_bytes' must be >= 1024", "limits.ingest_max_body_bytes");
  }
  if (c.journal.segment_bytes < (1 << 16)) {
    return invalidArgument("'journal.segment_bytes' must be >= 65536", "journal.segment_bytes");
  }
  if (c.journal.group_commit_delay_ms < 0 || c.journal.group_commit_max_bytes < 1 ||
      c.journal.max_pending_bytes < (1 << 16)) {
    return invalidArgument("journal group commit settings out of range", "journal");
  }
  if (c.journal.compression != "none" && c.journal.compression != "lz4" && c.journal.compression != "zstd") {
    return invalidArgument("'journal.compression' must be none, lz4 or zstd, got '" + c.journal.compression + "'",
                           "journal.compression");
  }
  if (c.http_threads < 1 || c.http_threads > 1024) {
    return invalidArgument("'http.threads' must be from 1 to 1024", "http.threads");
  }
  if (c.http.max_connections < 1 || c.http.max_connections > 100000) {
    return invalidArgument("'http.max_connections' must be from 1 to 100000", "http.max_connections");
  }
  if (c.http.max_connections_per_client < 1) {
    return invalidArgument("'http.max_connections_per_client' must be >= 1", "http.max_connections_per_client");
  }
  for (auto [value, key] : {std::pair{c.http.idle_timeout_ms, "http.idle_timeout_ms"},
                            std::pair{c.http.header_timeout_ms, "http.header_timeout_ms"},
                            std::pair{c.http.body_timeout_ms, "http.body_timeout_ms"}}) {
    if (value < 100 || value > 3600000) {
      return invalidArgument(std::string("'") + key + "' must be between 100 and 3600000", key);
    }
  }
  if (c.log_format != "text" && c.log_format != "json") {
    return invalidArgument("'log.format' must be text or json", "log.format");
  }
  static const char* kLevels[] = {"fatal", "critical", "error", "warning", "notice", "information", "debug", "trace"};
  if (std::find(std::begin(kLevels), std::end(kLevels), c.log_level) == std::end(kLevels)) {
    return invalidArgument("'log.level' must be one of fatal, critical, error, warning, notice, information, debug, trace",
                           "log.level");
  }
  if (c.limits.stream_command_timeout_ms < 100 || c.limits.stream_command_timeout_ms > 600000) {
    return invalidArgument("'limits.stream_command_timeout_ms' must be between 100 and 600000",
                           "limits.stream_command_timeout_ms");
  }
  if (c.health.check_interval_ms < 100 || c.health.check_interval_ms > 3600000) {
    return invalidArgument("'health.check_interval_ms' must be between 100 and 3600000", "health.check_interval_ms");
  }
  if (c.limits.http_read_timeout_ms < 100 || c.limits.http_read_timeout_ms > 3600000) {
    return invalidArgument("'limits.http_read_timeout_ms' must be between 100 and 3600000",
                           "limits.http_read_timeout_ms");
  }
  if (c.tls.cert_file.empty() != c.tls.key_file.empty()) {
    return invalidArgument("'tls.cert_file' and 'tls.key_file' go together", "tls");
  }
  return Status::ok();
}

}  // namespace

std::string Config::listenHost() const { return listen.substr(0, listen.rfind(':')); }

std::filesystem::path defaultConsoleDir() { return STREAMHOST_DEFAULT_CONSOLE_DIR; }

uint16_t Config::listenPort() const {
  auto pos = listen.rfind(':');
  if (pos == std::string::npos) {
    return 0;
  }
  unsigned v = 0;
  const char* b = listen.data() + pos + 1;
  const char* e = listen.data() + listen.size();
  auto r = std::from_chars(b, e, v);
  if (r.ec != std::errc() || r.ptr != e || v > 65535) {
    return 0;
  }
  return static_cast<uint16_t>(v);
}

const std::vector<std::string>& knownKeys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (const auto& d : keyDefs()) {
      k.emplace_back(d.path);
    }
    return k;
  }();
  return keys;
}

std::map<std::string, std::string> flattenConfig(const Config& config) {
  std::map<std::string, std::string> out;
  Config& c = const_cast<Config&>(config);  // the targets are only read here
  for (const auto& d : keyDefs()) {
    void* target = d.target(c);
    switch (d.kind) {
      case Kind::kString: out[d.path] = *static_cast<std::string*>(target); break;
      case Kind::kPath:
        out[d.path] = std::string(d.path).rfind("tls.", 0) == 0 ? *static_cast<std::string*>(target)
                                                                 : static_cast<std::filesystem::path*>(target)->string();
        break;
      case Kind::kInt: out[d.path] = std::to_string(*static_cast<int64_t*>(target)); break;
      case Kind::kDouble: {
        std::ostringstream v;
        v << *static_cast<double*>(target);
        out[d.path] = v.str();
        break;
      }
      case Kind::kBool: out[d.path] = *static_cast<bool*>(target) ? "true" : "false"; break;
    }
  }
  return out;
}

std::string envNameFor(const std::string& key_path) {
  std::string out = "STREAMHOST_";
  for (char ch : key_path) {
    out += ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  return out;
}

Result<Config> loadConfig(const std::filesystem::path& path, const std::map<std::string, std::string>& env,
                          const std::map<std::string, std::string>& flags) {
  Config c;
  if (!path.empty()) {
    YAML::Node root;
    try {
      root = YAML::LoadFile(path.string());
    } catch (const YAML::BadFile&) {
      return Status(StatusCode::kNotFound, "cannot read config file " + path.string());
    } catch (const YAML::Exception& e) {
      return invalidArgument("config file " + path.string() + ": " + e.what());
    }
    if (!root.IsNull()) {
      try {
        std::filesystem::path base = std::filesystem::absolute(path).parent_path();
        Status s = walk(root, "", c, base);
        if (!s) {
          return Status(s.code(), "config file " + path.string() + ": " + s.message(), s.field());
        }
      } catch (const YAML::Exception& e) {
        return invalidArgument("config file " + path.string() + ": " + e.what());
      }
    }
  }
  std::filesystem::path cwd = std::filesystem::current_path();
  for (const auto& def : keyDefs()) {
    auto it = env.find(envNameFor(def.path));
    if (it != env.end()) {
      Status s = assign(c, def, it->second, cwd, "environment " + it->first);
      if (!s) {
        return s;
      }
    }
  }
  for (const auto& [key, value] : flags) {
    const KeyDef* def = findKey(key);
    if (def == nullptr) {
      return invalidArgument("unknown setting '" + key + "'", key);
    }
    Status s = assign(c, *def, value, cwd, "command line");
    if (!s) {
      return s;
    }
  }
  Status s = checkValues(c);
  if (!s) {
    return s;
  }
  return c;
}

std::string renderConfig(const Config& c) {
  std::ostringstream out;
  out << "listen: " << c.listen << "\n"
      << "data_dir: " << c.data_dir.string() << "\n"
      << "plugin_dir: " << c.plugin_dir.string() << "\n"
      << "store: " << (c.store.rfind("postgres", 0) == 0 ? "postgresql://(redacted)" : c.store) << "\n"
      << "auth:\n  api_keys:" << (c.api_keys.empty() ? " []\n" : "\n");
  for (const auto& k : c.api_keys) {
    out << "    - name: " << k.name << "\n      key_sha256: " << k.key_sha256 << "\n      scopes: [";
    for (size_t i = 0; i < k.scopes.size(); ++i) {
      out << (i ? ", " : "") << k.scopes[i];
    }
    out << "]\n";
  }
  out << "limits:\n  api_requests_per_second: " << c.limits.api_requests_per_second
      << "\n  api_burst: " << c.limits.api_burst << "\n  api_max_body_bytes: " << c.limits.api_max_body_bytes
      << "\n  ingest_max_body_bytes: " << c.limits.ingest_max_body_bytes
      << "\n  http_read_timeout_ms: " << c.limits.http_read_timeout_ms
      << "\n  stream_command_timeout_ms: " << c.limits.stream_command_timeout_ms
      << "\n  ingest_requests_per_second: " << c.limits.ingest_requests_per_second
      << "\n  ingest_burst: " << c.limits.ingest_burst
      << "\n  auth_failures_per_minute: " << c.limits.auth_failures_per_minute << "\n"
      << "journal:\n  segment_bytes: " << c.journal.segment_bytes
      << "\n  group_commit_delay_ms: " << c.journal.group_commit_delay_ms
      << "\n  group_commit_max_bytes: " << c.journal.group_commit_max_bytes
      << "\n  max_pending_bytes: " << c.journal.max_pending_bytes << "\n  compression: " << c.journal.compression << "\n"
      << "metrics:\n  enabled: " << (c.metrics.enabled ? "true" : "false")
      << "\n  require_key: " << (c.metrics.require_key ? "true" : "false") << "\n"
      << "console:\n  enabled: " << (c.console.enabled ? "true" : "false")
      << "\n  assets_dir: " << c.console.assets_dir.string() << "\n"
      << "log:\n  level: " << c.log_level << "\n  format: " << c.log_format << "\n"
      << "http:\n  threads: " << c.http_threads << "\n  max_connections: " << c.http.max_connections
      << "\n  max_connections_per_client: " << c.http.max_connections_per_client
      << "\n  idle_timeout_ms: " << c.http.idle_timeout_ms << "\n  header_timeout_ms: " << c.http.header_timeout_ms
      << "\n  body_timeout_ms: " << c.http.body_timeout_ms << "\n"
      << "health:\n  check_interval_ms: " << c.health.check_interval_ms << "\n";
  return out.str();
}

}  // namespace streamhost::config
