#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace streamhost::plugins::datagen {

/// Settings of one datagen stream.
struct GeneratorConfig {
  int64_t rate_per_second = 1000;  ///< 0: as fast as the host takes them
  int64_t max_records = 0;         ///< 0: endless
  int64_t payload_bytes = 64;
};

inline constexpr int64_t kMaxRatePerSecond = 10'000'000;
inline constexpr int64_t kMaxPayloadBytes = 1024 * 1024;

/// A config problem naming its key.
struct ConfigProblem {
  std::string field;
  std::string message;
};

/// Checks ranges; nullopt when the config is usable.
std::optional<ConfigProblem> validateConfig(const GeneratorConfig& config);

/// Parses a resume offset: the decimal number of the last record delivered.
/// Empty means "from the start" (0); anything but a non-negative integer is nullopt.
std::optional<uint64_t> parseOffset(std::string_view offset);

/// One generated record.
struct GeneratedRecord {
  uint64_t n = 0;
  std::string key;     ///< decimal n
  std::string value;   ///< {"n":n,"payload":"abc..."}
  std::string offset;  ///< decimal n
};

/// Makes records 1, 2, 3, ... deterministically.
class Generator {
 public:
  explicit Generator(GeneratorConfig config);

  /// Continues after record `last` (0: from the first).
  void resumeAfter(uint64_t last) { next_ = last + 1; }
  /// Whether max_records have all been made.
  bool exhausted() const;
  /// The next record; call only when !exhausted().
  GeneratedRecord next();
  /// next() into `into`, reusing its strings' buffers (no allocation per record).
  void next(GeneratedRecord& into);
  /// Records still to come, -1 when endless.
  int64_t remaining() const;
  /// Number of the record next() returns.
  uint64_t nextNumber() const { return next_; }

 private:
  GeneratorConfig config_;
  std::string payload_;
  uint64_t next_ = 1;
};

/// Token bucket on the host clock: `rate` records per second, at most one
/// second's worth saved up. Integer arithmetic in record-milliseconds, so a
/// fake clock gives exact counts.
class RatePacer {
 public:
  /// @param rate 0 means unlimited.
  RatePacer(int64_t rate, int64_t now_ms) : rate_(rate), last_ms_(now_ms) {}

  /// Records that may go out now (capped at `want`), taken from the bucket.
  uint64_t take(int64_t now_ms, uint64_t want);
  /// Returns `n` unused records to the bucket (the host refused them).
  void giveBack(uint64_t n);
  /// Host milliseconds until the next record may go (0 when one may go now).
  int64_t msUntilNext(int64_t now_ms);

 private:
  void refill(int64_t now_ms);

  int64_t rate_;
  int64_t last_ms_;
  int64_t tokens_milli_ = 0;  // 1000 per record
};

/// A wait that wakeup() cuts short, from any thread.
class Waiter {
 public:
  /// Waits up to `timeout`; returns early (true) when woken since the last wait.
  bool waitFor(std::chrono::milliseconds timeout);
  void wakeup();

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool woken_ = false;
};

}  // namespace streamhost::plugins::datagen
