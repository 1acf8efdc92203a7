#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace streamhost::api {

/// Counts failed API-key attempts per client address in one-minute windows.
/// An address over the limit is refused before its key is hashed or looked
/// up, so guessing keys cannot load the store. Thread-safe.
class AuthFailureLimiter {
 public:
  /// @param per_minute failures allowed per address and minute; 0: unlimited.
  /// @param now_ms wall-clock Unix ms (injectable for tests).
  explicit AuthFailureLimiter(int64_t per_minute, std::function<int64_t()> now_ms = {});

  /// Seconds until `address` may try again; 0 when it may now.
  int64_t blockedFor(const std::string& address);
  /// Records one failed attempt from `address`.
  void recordFailure(const std::string& address);

 private:
  struct Window {
    int64_t start_ms = 0;
    int64_t failures = 0;
  };
  static constexpr int64_t kWindowMs = 60'000;
  static constexpr size_t kMaxAddresses = 100'000;

  int64_t per_minute_;
  std::function<int64_t()> now_ms_;
  std::mutex mu_;
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace streamhost::api
