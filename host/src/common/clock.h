#pragma once

#include <chrono>
#include <cstdint>

namespace streamhost {

/// Source of time, injected so tests can control it.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Wall-clock time in Unix milliseconds.
  virtual int64_t nowMillis() const = 0;
  /// Monotonic time, for deadlines and durations.
  virtual std::chrono::steady_clock::time_point steadyNow() const = 0;
};

/// The real clocks of the machine.
class SystemClock final : public Clock {
 public:
  int64_t nowMillis() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::chrono::steady_clock::time_point steadyNow() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace streamhost
