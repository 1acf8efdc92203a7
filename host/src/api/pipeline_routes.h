#pragma once

#include "api/router.h"
#include "common/clock.h"
#include "common/ids.h"
#include "core/cursor.h"
#include "journal/journal_manager.h"
#include "store/store.h"

namespace streamhost::api {

struct PipelineRouteDeps {
  store::Store* store = nullptr;
  journal::JournalManager* journals = nullptr;
  IdGenerator* ids = nullptr;
  const Clock* clock = nullptr;
  const core::CursorCodec* cursors = nullptr;
};

/// /api/pipelines: create, list, get, delete, and the long-polled events reader.
void addPipelineRoutes(Router& router, PipelineRouteDeps deps);

}  // namespace streamhost::api
