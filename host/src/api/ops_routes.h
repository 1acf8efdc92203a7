#pragma once

#include <functional>
#include <string>
#include <vector>

#include "api/router.h"
#include "common/status.h"
#include "plugins/plugin_registry.h"
#include "plugins/plugin_report.h"

namespace streamhost::api {

struct OpsDeps {
  std::function<Status()> store_ping;
  const plugins::PluginRegistry* registry = nullptr;
  const plugins::PluginReport* report = nullptr;
  std::function<std::string()> prometheus_text;
  /// metrics.enabled, read per request (a reload may change it); unset: on.
  std::function<bool()> metrics_enabled;
  std::function<std::string()> openapi_json;
  bool metrics_require_key = true;  ///< /metrics names streams: metrics:read unless turned off
};

/// /healthz, /readyz, /metrics, /api/plugins, /api/openapi.json.
void addOpsRoutes(Router& router, OpsDeps deps);

/// The JSON of one source type as /api/plugins shows it (flags and config keys).
std::string sourceTypeJson(const plugins::SourceTypeInfo& type);

}  // namespace streamhost::api
