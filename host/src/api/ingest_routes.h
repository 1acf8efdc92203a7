#pragma once

#include "api/router.h"
#include "common/clock.h"
#include "core/stream_service.h"

namespace streamhost::api {

struct IngestRouteDeps {
  core::StreamService* streams = nullptr;
  const Clock* clock = nullptr;
};

/// `POST /ingest/{stream_id}`: no API key (the stream's own auth applies), any
/// content type, the ingest body limit. Unknown or deleted stream: 404; a
/// stream that is not running: 503 with Retry-After; a full queue: 429 with
/// Retry-After; otherwise the push source's answer.
void addIngestRoutes(Router& router, IngestRouteDeps deps);

}  // namespace streamhost::api
