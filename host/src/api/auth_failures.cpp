#include "api/auth_failures.h"

#include <chrono>

namespace streamhost::api {

AuthFailureLimiter::AuthFailureLimiter(int64_t per_minute, std::function<int64_t()> now_ms)
    : per_minute_(per_minute), now_ms_(std::move(now_ms)) {
  if (!now_ms_) {
    now_ms_ = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

int64_t AuthFailureLimiter::blockedFor(const std::string& address) {
  if (per_minute_ <= 0) {
    return 0;
  }
  int64_t now = now_ms_();
  std::lock_guard lock(mu_);
  auto it = windows_.find(address);
  if (it == windows_.end() || now - it->second.start_ms >= kWindowMs || it->second.failures < per_minute_) {
    return 0;
  }
  return (it->second.start_ms + kWindowMs - now + 999) / 1000;
}

void AuthFailureLimiter::recordFailure(const std::string& address) {
  if (per_minute_ <= 0) {
    return;
  }
  int64_t now = now_ms_();
  std::lock_guard lock(mu_);
  if (windows_.size() >= kMaxAddresses) {
    std::erase_if(windows_, [&](const auto& kv) { return now - kv.second.start_ms >= kWindowMs; });
    if (windows_.size() >= kMaxAddresses) {
      windows_.clear();  // a flood from that many addresses: forget rather than grow
    }
  }
  Window& w = windows_[address];
  if (now - w.start_ms >= kWindowMs) {
    w = Window{now, 0};
  }
  ++w.failures;
}

}  // namespace streamhost::api
