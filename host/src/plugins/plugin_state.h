#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"

namespace streamhost::plugins {

/// Durable per-stream key/value state behind the ABI's state_get/state_put
/// (dedup ids and the like). The daemon wires it to the store; the plugin
/// room does not know which store that is.
class PluginStateStore {
 public:
  virtual ~PluginStateStore() = default;
  /// nullopt when absent or expired at `now_ms`.
  virtual Result<std::optional<std::string>> get(const std::string& stream_id, const std::string& key,
                                                 int64_t now_ms) = 0;
  /// `expires_at_ms` 0: never.
  virtual Status put(const std::string& stream_id, const std::string& key, const std::string& value,
                     int64_t expires_at_ms) = 0;
  virtual Status remove(const std::string& stream_id, const std::string& key) = 0;
};

}  // namespace streamhost::plugins
