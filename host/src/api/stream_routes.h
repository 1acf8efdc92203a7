#pragma once

#include "api/router.h"
#include "common/clock.h"
#include "core/stream_service.h"
#include "metrics/metrics_registry.h"
#include "plugins/plugin_registry.h"

namespace streamhost::api {

struct StreamRouteDeps {
  core::StreamService* service = nullptr;
  const plugins::PluginRegistry* registry = nullptr;
  metrics::MetricsRegistry* metrics = nullptr;
  const Clock* clock = nullptr;
};

/// Every /api/streams route of the contract.
void addStreamRoutes(Router& router, StreamRouteDeps deps);

}  // namespace streamhost::api
