#pragma once

#include <map>
#include <string>

#include "common/status.h"
#include "plugins/plugin_types.h"

namespace streamhost::plugins {

/// What a plugin said about a connection it tried.
struct ConnectionTestResult {
  bool ok = false;
  std::string message;  ///< the plugin's sentences
  double latency_ms = 0;
};

/// `{"config": <config_json>, "secrets": {...}}`: what plugins read through
/// connection_get, for a stream and for a connection test alike.
std::string connectionJson(const std::string& config_json, const std::map<std::string, std::string>& secrets);

/// Asks the plugin of `type` to connect with `connection_json` and report.
/// kInvalidState when no loaded plugin can test this type.
Result<ConnectionTestResult> testConnection(const ConnectionTypeInfo* type, const std::string& type_name,
                                            const std::string& connection_json, const std::string& id,
                                            const std::string& name);

}  // namespace streamhost::plugins
