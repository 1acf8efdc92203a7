#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace streamhost::core {

/// Runs one check round (StreamService::checkSourceHealth) every `interval`
/// on its own thread, from start() until stop(). The first round runs one
/// interval after start, so a restart does not hit every source at once.
class HealthMonitor {
 public:
  HealthMonitor(std::chrono::milliseconds interval, std::function<void()> round)
      : interval_(interval), round_(std::move(round)) {}
  ~HealthMonitor() { stop(); }
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  void start();
  /// Waits for a round in progress to finish.
  void stop();

 private:
  void run();

  std::chrono::milliseconds interval_;
  std::function<void()> round_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace streamhost::core
