#pragma once

#include <streamhost/plugin_abi.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "plugins/plugin_state.h"

namespace Poco {
class Logger;
}

namespace streamhost::plugins {

/// Unix milliseconds; injected so tests can use a fake clock.
using ClockFn = std::function<int64_t()>;

/// What an instance (or one validation call) is made from.
struct InstanceOptions {
  std::string stream_id;
  std::string stream_name;
  std::string plugin_name;       ///< filled in by Connector
  std::string config_json = "{}";  ///< defaults already applied
  std::string connection_json;   ///< {"config":{...},"secrets":{...}} or empty
  PluginStateStore* state = nullptr;  ///< state_get/put; null answers SH_ERR_UNSUPPORTED
  void* plugin_opaque = nullptr;   ///< the plugin's sh_plugin_t::opaque, filled in with plugin_name
  ClockFn clock;                   ///< empty: the system clock
};

/// The host side of one plugin instance: the object behind `sh_host_ctx_t*`.
/// Gauges, counters and logging are thread-safe; config lookups read
/// immutable data.
/// @remark Plugins must never log secrets: the host cannot know which parts
///         of a free-text message are secret, so it masks nothing.
class InstanceContext {
 public:
  /// @returns kInvalidConfig when config or connection JSON is not an object.
  static Result<std::unique_ptr<InstanceContext>> create(InstanceOptions options);

  InstanceContext(const InstanceContext&) = delete;
  InstanceContext& operator=(const InstanceContext&) = delete;

  /// The opaque handle handed to the plugin.
  sh_host_ctx_t* handle() { return reinterpret_cast<sh_host_ctx_t*>(this); }
  /// Inverse of handle(); nullptr stays nullptr.
  static InstanceContext* fromHandle(sh_host_ctx_t* ctx) { return reinterpret_cast<InstanceContext*>(ctx); }

  const std::string& streamId() const { return options_.stream_id; }
  const std::string& streamName() const { return options_.stream_name; }
  const std::string& pluginName() const { return options_.plugin_name; }
  const std::string& configJson() const { return options_.config_json; }
  const std::string& connectionJson() const { return options_.connection_json; }
  void* pluginOpaque() const { return options_.plugin_opaque; }

  /// JSON text of a top-level config key, nullopt when absent.
  std::optional<std::string> configValue(std::string_view key) const;
  /// JSON text of a connection key: "config" first, then "secrets".
  std::optional<std::string> connectionValue(std::string_view key) const;

  /// Logs one line to streamhost.plugins tagged "plugin=<name> stream=<id>".
  void log(int32_t level, std::string_view message) const;
  void setGauge(std::string_view name, double value);
  void addCounter(std::string_view name, int64_t delta);
  std::map<std::string, double> gauges() const;
  std::map<std::string, int64_t> counters() const;

  int64_t nowMs() const;

  /// nullopt when absent; kUnsupported without a store.
  Result<std::optional<std::string>> stateGet(const std::string& key) const;
  /// ttl_ms > 0 expires; an empty value with ttl_ms < 0 deletes.
  Status statePut(const std::string& key, const std::string& value, int64_t ttl_ms);

 private:
  explicit InstanceContext(InstanceOptions options);

  InstanceOptions options_;
  std::map<std::string, std::string, std::less<>> config_;
  std::map<std::string, std::string, std::less<>> connection_config_;
  std::map<std::string, std::string, std::less<>> connection_secrets_;
  Poco::Logger& logger_;
  mutable std::mutex metrics_mutex_;
  std::map<std::string, double, std::less<>> gauges_;
  std::map<std::string, int64_t, std::less<>> counters_;
};

using InstanceContextPtr = std::unique_ptr<InstanceContext>;

}  // namespace streamhost::plugins
