#pragma once

#include "api/rate_limiter.h"
#include "api/router.h"
#include "common/clock.h"
#include "core/stream_service.h"
#include "metrics/metrics_registry.h"

namespace streamhost::api {

struct IngestRouteDeps {
  core::StreamService* streams = nullptr;
  const Clock* clock = nullptr;
  /// Per-stream token buckets; nullptr or a rate of 0: no limit.
  RateLimiter* limiter = nullptr;
  /// Whether a stream exists, without the store, for counting refusals.
  const metrics::MetricsRegistry* metrics = nullptr;
};

/// `POST /ingest/{stream_id}`: no API key (the stream's own auth applies), any
/// content type, the ingest body limit. Unknown or deleted stream: 404; a
/// stream that is not running: 503 with Retry-After; a full queue or a stream
/// over its request rate: 429 with Retry-After; otherwise the push source's answer.
void addIngestRoutes(Router& router, IngestRouteDeps deps);

}  // namespace streamhost::api
