#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "metrics/stream_metrics.h"

namespace streamhost::metrics {

/// Labels a stream's series carry in Prometheus text.
struct StreamLabels {
  std::string id;
  std::string name;
  std::string source_type;
  std::string status;
};

/// Owns every stream's counters and the HTTP request counters; renders
/// Prometheus text. Memory is bounded by the number of streams and routes.
class MetricsRegistry {
 public:
  /// The stream's counters, created on first use; shared so a worker can keep them.
  std::shared_ptr<StreamMetrics> stream(const std::string& stream_id);
  std::shared_ptr<StreamMetrics> findStream(const std::string& stream_id) const;
  void removeStream(const std::string& stream_id);

  void recordHttpRequest(const std::string& route, const std::string& method, int status, double seconds);

  /// Prometheus text format 0.0.4. `streams` gives the label values of the streams to export.
  std::string renderPrometheus(const std::vector<StreamLabels>& streams) const;

 private:
  struct HttpKey {
    std::string route;
    std::string method;
    int status;
    bool operator<(const HttpKey& o) const {
      return std::tie(route, method, status) < std::tie(o.route, o.method, o.status);
    }
  };
  struct HttpCount {
    int64_t count = 0;
    double seconds = 0;
  };

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<StreamMetrics>> streams_;
  std::map<HttpKey, HttpCount> http_;
};

}  // namespace streamhost::metrics
