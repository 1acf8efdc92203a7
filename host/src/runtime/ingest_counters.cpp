#include "runtime/ingest_counters.h"

#include <sstream>

namespace streamhost::runtime {

const char* ingestOutcomeName(IngestOutcome outcome) { return metrics::requestOutcomeName(outcome); }

IngestOutcome outcomeOfStatus(int http_status) {
  if (http_status == 200) {
    return IngestOutcome::kDuplicate;
  }
  if (http_status >= 200 && http_status < 300) {
    return IngestOutcome::kAccepted;
  }
  if (http_status == 401 || http_status == 403) {
    return IngestOutcome::kUnauthorized;
  }
  if (http_status == 429 || http_status == 409) {
    return IngestOutcome::kThrottled;
  }
  if (http_status == 503) {
    return IngestOutcome::kUnavailable;
  }
  return IngestOutcome::kRejected;
}

void IngestCounters::add(const std::string& stream_id, IngestOutcome outcome) {
  std::lock_guard lock(mu_);
  ++counts_[stream_id][static_cast<size_t>(outcome)];
}

std::array<int64_t, kIngestOutcomes> IngestCounters::of(const std::string& stream_id) const {
  std::lock_guard lock(mu_);
  auto it = counts_.find(stream_id);
  return it == counts_.end() ? std::array<int64_t, kIngestOutcomes>{} : it->second;
}

std::string IngestCounters::renderPrometheus(const std::set<std::string>& stream_ids) {
  std::lock_guard lock(mu_);
  std::ostringstream out;
  out << "# HELP streamhost_ingest_requests_total Ingest requests per push stream and outcome.\n"
      << "# TYPE streamhost_ingest_requests_total counter\n";
  for (auto it = counts_.begin(); it != counts_.end();) {
    if (stream_ids.count(it->first) == 0) {
      it = counts_.erase(it);
      continue;
    }
    for (size_t k = 0; k < kIngestOutcomes; ++k) {
      out << "streamhost_ingest_requests_total{stream_id=\"" << it->first << "\",outcome=\""
          << ingestOutcomeName(static_cast<IngestOutcome>(k)) << "\"} " << it->second[k] << "\n";
    }
    ++it;
  }
  return out.str();
}

}  // namespace streamhost::runtime
