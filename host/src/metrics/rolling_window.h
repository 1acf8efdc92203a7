#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace streamhost::metrics {

/// Error kinds counted per stream; a fixed set keeps buckets small.
enum class ErrorKind : uint8_t { kSource = 0, kCommit, kJournal, kRejected, kUnauthorized, kThrottled, kOther };
inline constexpr size_t kErrorKinds = 7;
const char* errorKindName(ErrorKind kind);

/// What became of a push (ingest) request; counted per stream.
enum class RequestOutcome : uint8_t { kAccepted = 0, kDuplicate, kUnauthorized, kRejected, kThrottled, kUnavailable };
inline constexpr size_t kRequestOutcomes = 6;
const char* requestOutcomeName(RequestOutcome outcome);

/// One bucket of a window.
struct Bucket {
  int64_t start_ms = 0;  ///< aligned to the bucket width
  int64_t events = 0;
  int64_t bytes = 0;
  std::array<int64_t, kErrorKinds> errors{};
  std::array<int64_t, kRequestOutcomes> requests{};  ///< push requests by outcome

  int64_t errorTotal() const;
  /// Adds the counts of `other` (its start time is ignored).
  void add(const Bucket& other);
};

/// A fixed ring of `count` buckets of `width_ms` each: memory is constant
/// whatever the uptime. Not thread-safe; StreamMetrics locks around it.
class RollingWindow {
 public:
  RollingWindow(int64_t width_ms, size_t count);

  void addEvents(int64_t now_ms, int64_t events, int64_t bytes);
  void addError(int64_t now_ms, ErrorKind kind, int64_t n);
  void addRequest(int64_t now_ms, RequestOutcome outcome);

  /// The `count` buckets ending with the one holding `now_ms`, oldest first;
  /// buckets with no data are zero with their start time filled in.
  std::vector<Bucket> series(int64_t now_ms) const;
  /// Sum over the window ending at `now_ms`.
  Bucket total(int64_t now_ms) const;

  int64_t widthMs() const { return width_ms_; }
  size_t count() const { return buckets_.size(); }

 private:
  Bucket& slot(int64_t now_ms);

  int64_t width_ms_;
  std::vector<Bucket> buckets_;
};

}  // namespace streamhost::metrics
