#pragma once

#include "api/router.h"
#include "common/clock.h"
#include "common/ids.h"
#include "core/cursor.h"
#include "plugins/plugin_registry.h"
#include "store/store.h"

namespace streamhost::api {

struct ConnectionRouteDeps {
  store::Store* store = nullptr;
  const plugins::PluginRegistry* registry = nullptr;
  IdGenerator* ids = nullptr;
  const Clock* clock = nullptr;
  const core::CursorCodec* cursors = nullptr;
};

/// /api/connections: create, list, get, patch, delete, test. Secrets are write-only.
void addConnectionRoutes(Router& router, ConnectionRouteDeps deps);

}  // namespace streamhost::api
