#include "api/rate_limiter.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace streamhost::api {

RateLimiter::RateLimiter(double per_second, int64_t burst, std::function<int64_t()> now_ms)
    : per_second_(per_second), burst_(std::max<int64_t>(burst, 1)), now_ms_(std::move(now_ms)) {
  if (!now_ms_) {
    now_ms_ = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

RateLimiter::Decision RateLimiter::take(const std::string& key) {
  Decision d;
  int64_t now = now_ms_();
  std::lock_guard lock(mu_);
  d.limit = burst_;
  if (per_second_ <= 0) {
    d.remaining = burst_;
    d.reset_epoch = now / 1000;
    return d;
  }
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{static_cast<double>(burst_), now});
  Bucket& b = it->second;
  if (!inserted && now > b.last_ms) {
    b.tokens = std::min<double>(static_cast<double>(burst_), b.tokens + (now - b.last_ms) * per_second_ / 1000.0);
    b.last_ms = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    d.allowed = true;
  } else {
    d.allowed = false;
    d.retry_after = std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1.0 - b.tokens) / per_second_)));
  }
  d.remaining = static_cast<int64_t>(std::floor(b.tokens));
  double to_full = (static_cast<double>(burst_) - b.tokens) / per_second_;
  d.reset_epoch = (now + static_cast<int64_t>(std::ceil(to_full * 1000.0))) / 1000;
  // Bound memory: forget buckets that have been full for a while.
  if (buckets_.size() > 10000) {
    std::erase_if(buckets_, [&](const auto& kv) {
      return kv.second.tokens + (now - kv.second.last_ms) * per_second_ / 1000.0 >= burst_;
    });
  }
  return d;
}

bool RateLimiter::enabled() const {
  std::lock_guard lock(mu_);
  return per_second_ > 0;
}

void RateLimiter::setLimits(double per_second, int64_t burst) {
  std::lock_guard lock(mu_);
  per_second_ = per_second;
  burst_ = std::max<int64_t>(burst, 1);
  for (auto& [key, bucket] : buckets_) {
    bucket.tokens = std::min<double>(bucket.tokens, static_cast<double>(burst_));
  }
}

}  // namespace streamhost::api
