#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "metrics/rolling_window.h"

namespace streamhost::runtime {

/// What became of an ingest request (the metrics room counts them per window).
using IngestOutcome = metrics::RequestOutcome;
inline constexpr size_t kIngestOutcomes = metrics::kRequestOutcomes;
const char* ingestOutcomeName(IngestOutcome outcome);
/// The outcome an answer's HTTP status stands for.
IngestOutcome outcomeOfStatus(int http_status);

/// Ingest requests per stream and outcome. Thread-safe.
class IngestCounters {
 public:
  void add(const std::string& stream_id, IngestOutcome outcome);
  std::array<int64_t, kIngestOutcomes> of(const std::string& stream_id) const;
  /// Prometheus text of `streamhost_ingest_requests_total` for the given streams;
  /// counters of other streams (deleted ones) are dropped.
  std::string renderPrometheus(const std::set<std::string>& stream_ids);

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::array<int64_t, kIngestOutcomes>> counts_;
};

}  // namespace streamhost::runtime
