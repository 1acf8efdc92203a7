#pragma once

#include "api/router.h"
#include "core/cursor.h"
#include "core/pipeline_service.h"

namespace streamhost::api {

struct PipelineRouteDeps {
  core::PipelineService* pipelines = nullptr;
  const core::CursorCodec* cursors = nullptr;
};

/// /api/pipelines: create, list, get, delete, and the long-polled events reader.
void addPipelineRoutes(Router& router, PipelineRouteDeps deps);

}  // namespace streamhost::api
