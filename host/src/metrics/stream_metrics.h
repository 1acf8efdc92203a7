#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "metrics/rolling_window.h"

namespace streamhost::metrics {

/// The four windows of the API: 1m = 60 x 1 s, 5m = 60 x 5 s, 1h = 60 x 1 min, 24h = 96 x 15 min.
enum class Window { k1m, k5m, k1h, k24h };
std::optional<Window> parseWindow(const std::string& text);
const char* windowName(Window w);
int64_t windowSeconds(Window w);

struct Lag {
  std::optional<int64_t> records;
  std::optional<int64_t> bytes;
  std::optional<double> seconds;
};

struct WindowSnapshot {
  Window window = Window::k5m;
  Bucket total;
  std::vector<Bucket> series;
};

/// One table of a connector's initial snapshot.
struct TableProgress {
  std::string table;
  int64_t rows_done = 0;
  std::optional<int64_t> rows_total;  ///< the estimate, or the rows read once done; nullopt: unknown
  bool done = false;
};

/// The tables named by gauges snapshot.table.<table>.rows|rows_estimate|done
/// (the SDK's Host::snapshotTable), by name. An estimate below what was read
/// is stale and dropped.
std::vector<TableProgress> snapshotProgress(const std::map<std::string, double>& gauges);

/// Counters of one stream. Thread-safe; workers add once per batch.
class StreamMetrics {
 public:
  StreamMetrics();

  void addEvents(int64_t now_ms, int64_t events, int64_t bytes, int64_t last_event_ms);
  void addError(int64_t now_ms, ErrorKind kind, int64_t n = 1);
  void addRequest(int64_t now_ms, RequestOutcome outcome);
  void setLag(const Lag& lag);
  /// The connector's own gauges (SDK Host::gauge), as last copied by its worker.
  void setGauges(std::map<std::string, double> gauges);

  WindowSnapshot snapshot(Window w, int64_t now_ms) const;
  Lag lag() const;
  std::map<std::string, double> gauges() const;
  std::optional<int64_t> lastEventAt() const;
  int64_t eventsTotal() const;
  int64_t bytesTotal() const;
  std::array<int64_t, kErrorKinds> errorsTotal() const;

 private:
  RollingWindow& window(Window w);
  const RollingWindow& window(Window w) const;

  mutable std::mutex mu_;
  RollingWindow w1m_, w5m_, w1h_, w24h_;
  int64_t events_total_ = 0;
  int64_t bytes_total_ = 0;
  std::array<int64_t, kErrorKinds> errors_total_{};
  std::optional<int64_t> last_event_at_;
  Lag lag_;
  std::map<std::string, double> gauges_;
};

}  // namespace streamhost::metrics
