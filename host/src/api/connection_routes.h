#pragma once

#include "api/router.h"
#include "core/connection_service.h"
#include "core/cursor.h"

namespace streamhost::api {

struct ConnectionRouteDeps {
  core::ConnectionService* connections = nullptr;
  const core::CursorCodec* cursors = nullptr;
};

/// /api/connections: create, list, get, patch, delete, test. Secrets are write-only.
void addConnectionRoutes(Router& router, ConnectionRouteDeps deps);

}  // namespace streamhost::api
