#include "metrics/metrics_registry.h"

#include <sstream>

namespace streamhost::metrics {
namespace {

std::string escapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string streamLabels(const StreamLabels& s) {
  return "stream_id=\"" + escapeLabel(s.id) + "\",stream=\"" + escapeLabel(s.name) + "\",source_type=\"" +
         escapeLabel(s.source_type) + "\"";
}

}  // namespace

std::shared_ptr<StreamMetrics> MetricsRegistry::stream(const std::string& stream_id) {
  std::lock_guard lock(mu_);
  auto& slot = streams_[stream_id];
  if (!slot) {
    slot = std::make_shared<StreamMetrics>();
  }
  return slot;
}

std::shared_ptr<StreamMetrics> MetricsRegistry::findStream(const std::string& stream_id) const {
  std::lock_guard lock(mu_);
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : it->second;
}

void MetricsRegistry::removeStream(const std::string& stream_id) {
  std::lock_guard lock(mu_);
  streams_.erase(stream_id);
}

void MetricsRegistry::recordHttpRequest(const std::string& route, const std::string& method, int status,
                                        double seconds) {
  std::lock_guard lock(mu_);
  HttpCount& c = http_[HttpKey{route, method, status}];
  ++c.count;
  c.seconds += seconds;
}

std::string MetricsRegistry::renderPrometheus(const std::vector<StreamLabels>& streams) const {
  std::ostringstream out;
  std::vector<std::pair<StreamLabels, std::shared_ptr<StreamMetrics>>> rows;
  {
    std::lock_guard lock(mu_);
    for (const auto& s : streams) {
      auto it = streams_.find(s.id);
      rows.emplace_back(s, it == streams_.end() ? nullptr : it->second);
    }
  }
  out << "# HELP streamhost_stream_events_total Records made durable, per stream.\n"
      << "# TYPE streamhost_stream_events_total counter\n";
  for (const auto& [s, m] : rows) {
    out << "streamhost_stream_events_total{" << streamLabels(s) << "} " << (m ? m->eventsTotal() : 0) << "\n";
  }
  out << "# HELP streamhost_stream_bytes_total Record bytes made durable, per stream.\n"
      << "# TYPE streamhost_stream_bytes_total counter\n";
  for (const auto& [s, m] : rows) {
    out << "streamhost_stream_bytes_total{" << streamLabels(s) << "} " << (m ? m->bytesTotal() : 0) << "\n";
  }
  out << "# HELP streamhost_stream_errors_total Errors per stream and kind.\n"
      << "# TYPE streamhost_stream_errors_total counter\n";
  for (const auto& [s, m] : rows) {
    std::array<int64_t, kErrorKinds> errors{};
    if (m) {
      errors = m->errorsTotal();
    }
    for (size_t k = 0; k < kErrorKinds; ++k) {
      out << "streamhost_stream_errors_total{" << streamLabels(s) << ",kind=\""
          << errorKindName(static_cast<ErrorKind>(k)) << "\"} " << errors[k] << "\n";
    }
  }
  out << "# HELP streamhost_stream_lag_records Records the source has that are not yet committed.\n"
      << "# TYPE streamhost_stream_lag_records gauge\n";
  for (const auto& [s, m] : rows) {
    if (m && m->lag().records) {
      out << "streamhost_stream_lag_records{" << streamLabels(s) << "} " << *m->lag().records << "\n";
    }
  }
  out << "# HELP streamhost_stream_lag_bytes Bytes the source has that are not yet committed.\n"
      << "# TYPE streamhost_stream_lag_bytes gauge\n";
  for (const auto& [s, m] : rows) {
    if (m && m->lag().bytes) {
      out << "streamhost_stream_lag_bytes{" << streamLabels(s) << "} " << *m->lag().bytes << "\n";
    }
  }
  out << "# HELP streamhost_stream_lag_seconds Age of the oldest uncommitted change.\n"
      << "# TYPE streamhost_stream_lag_seconds gauge\n";
  for (const auto& [s, m] : rows) {
    if (m && m->lag().seconds) {
      out << "streamhost_stream_lag_seconds{" << streamLabels(s) << "} " << *m->lag().seconds << "\n";
    }
  }
  out << "# HELP streamhost_stream_status 1 for the stream's current status.\n"
      << "# TYPE streamhost_stream_status gauge\n";
  for (const auto& [s, m] : rows) {
    for (const char* st : {"created", "starting", "running", "paused", "stopped", "error"}) {
      out << "streamhost_stream_status{" << streamLabels(s) << ",status=\"" << st << "\"} "
          << (s.status == st ? 1 : 0) << "\n";
    }
  }
  std::lock_guard lock(mu_);
  out << "# HELP streamhost_http_requests_total HTTP requests by route, method and status code.\n"
      << "# TYPE streamhost_http_requests_total counter\n";
  for (const auto& [k, c] : http_) {
    out << "streamhost_http_requests_total{route=\"" << escapeLabel(k.route) << "\",method=\"" << k.method
        << "\",code=\"" << k.status << "\"} " << c.count << "\n";
  }
  out << "# HELP streamhost_http_request_seconds_sum Time spent serving HTTP requests.\n"
      << "# TYPE streamhost_http_request_seconds_sum counter\n";
  for (const auto& [k, c] : http_) {
    out << "streamhost_http_request_seconds_sum{route=\"" << escapeLabel(k.route) << "\",method=\"" << k.method
        << "\",code=\"" << k.status << "\"} " << c.seconds << "\n";
  }
  return out.str();
}

}  // namespace streamhost::metrics
