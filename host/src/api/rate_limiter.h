#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace streamhost::api {

/// Per-key token buckets. Thread-safe. A rate of 0 turns limiting off.
class RateLimiter {
 public:
  struct Decision {
    bool allowed = true;
    int64_t limit = 0;        ///< bucket size (burst)
    int64_t remaining = 0;    ///< whole tokens left after this request
    int64_t reset_epoch = 0;  ///< Unix seconds when the bucket is full again
    int64_t retry_after = 0;  ///< seconds to wait when refused
  };

  /// `now_ms` is wall-clock Unix ms (injectable for tests).
  RateLimiter(double per_second, int64_t burst, std::function<int64_t()> now_ms = {});

  Decision take(const std::string& key);
  bool enabled() const;
  /// New rate and burst for every bucket from the next request on (SIGHUP
  /// reload); buckets keep their tokens, capped at the new burst.
  void setLimits(double per_second, int64_t burst);

 private:
  struct Bucket {
    double tokens;
    int64_t last_ms;
  };
  double per_second_;
  int64_t burst_;
  std::function<int64_t()> now_ms_;
  mutable std::mutex mu_;  ///< guards the rate and burst too
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace streamhost::api
