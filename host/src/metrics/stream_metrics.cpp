#include "metrics/stream_metrics.h"

#include <cmath>
#include <string_view>
#include <utility>

namespace streamhost::metrics {

std::vector<TableProgress> snapshotProgress(const std::map<std::string, double>& gauges) {
  constexpr std::string_view kPrefix = "snapshot.table.";
  struct Figures {
    double rows = 0;
    std::optional<double> estimate;
    bool done = false;
  };
  std::map<std::string, Figures> tables;
  for (const auto& [name, value] : gauges) {
    const std::string_view n = name;
    const size_t dot = n.rfind('.');
    if (!std::isfinite(value) || !n.starts_with(kPrefix) || dot == std::string_view::npos || dot <= kPrefix.size()) {
      continue;
    }
    const std::string_view field = n.substr(dot + 1);
    if (field != "rows" && field != "rows_estimate" && field != "done") {
      continue;
    }
    Figures& f = tables[std::string(n.substr(kPrefix.size(), dot - kPrefix.size()))];
    if (field == "rows") {
      f.rows = value;
    } else if (field == "rows_estimate") {
      f.estimate = value;
    } else {
      f.done = value != 0;
    }
  }
  std::vector<TableProgress> out;
  for (const auto& [name, f] : tables) {
    TableProgress& t = out.emplace_back();
    t.table = name;
    t.rows_done = static_cast<int64_t>(f.rows);
    t.done = f.done;
    if (f.done) {
      t.rows_total = t.rows_done;
    } else if (f.estimate && *f.estimate >= f.rows) {
      t.rows_total = static_cast<int64_t>(*f.estimate);
    }
  }
  return out;
}

std::optional<Window> parseWindow(const std::string& text) {
  if (text == "1m") {
    return Window::k1m;
  }
  if (text == "5m") {
    return Window::k5m;
  }
  if (text == "1h") {
    return Window::k1h;
  }
  if (text == "24h") {
    return Window::k24h;
  }
  return std::nullopt;
}

const char* windowName(Window w) {
  switch (w) {
    case Window::k1m: return "1m";
    case Window::k5m: return "5m";
    case Window::k1h: return "1h";
    case Window::k24h: return "24h";
  }
  return "5m";
}

int64_t windowSeconds(Window w) {
  switch (w) {
    case Window::k1m: return 60;
    case Window::k5m: return 300;
    case Window::k1h: return 3600;
    case Window::k24h: return 86400;
  }
  return 300;
}

StreamMetrics::StreamMetrics()
    : w1m_(1000, 60), w5m_(5000, 60), w1h_(60000, 60), w24h_(900000, 96) {}

RollingWindow& StreamMetrics::window(Window w) {
  return const_cast<RollingWindow&>(static_cast<const StreamMetrics*>(this)->window(w));
}

const RollingWindow& StreamMetrics::window(Window w) const {
  switch (w) {
    case Window::k1m: return w1m_;
    case Window::k5m: return w5m_;
    case Window::k1h: return w1h_;
    case Window::k24h: return w24h_;
  }
  return w5m_;
}

void StreamMetrics::addEvents(int64_t now_ms, int64_t events, int64_t bytes, int64_t last_event_ms) {
  std::lock_guard lock(mu_);
  for (Window w : {Window::k1m, Window::k5m, Window::k1h, Window::k24h}) {
    window(w).addEvents(now_ms, events, bytes);
  }
  events_total_ += events;
  bytes_total_ += bytes;
  if (events > 0) {
    last_event_at_ = last_event_ms;
  }
}

void StreamMetrics::addError(int64_t now_ms, ErrorKind kind, int64_t n) {
  std::lock_guard lock(mu_);
  for (Window w : {Window::k1m, Window::k5m, Window::k1h, Window::k24h}) {
    window(w).addError(now_ms, kind, n);
  }
  errors_total_[static_cast<size_t>(kind)] += n;
}

void StreamMetrics::addRequest(int64_t now_ms, RequestOutcome outcome) {
  std::lock_guard lock(mu_);
  for (Window w : {Window::k1m, Window::k5m, Window::k1h, Window::k24h}) {
    window(w).addRequest(now_ms, outcome);
  }
}

void StreamMetrics::setLag(const Lag& lag) {
  std::lock_guard lock(mu_);
  lag_ = lag;
}

WindowSnapshot StreamMetrics::snapshot(Window w, int64_t now_ms) const {
  std::lock_guard lock(mu_);
  WindowSnapshot s;
  s.window = w;
  s.series = window(w).series(now_ms);
  for (const Bucket& b : s.series) {
    s.total.add(b);
  }
  return s;
}

Lag StreamMetrics::lag() const {
  std::lock_guard lock(mu_);
  return lag_;
}

void StreamMetrics::setGauges(std::map<std::string, double> gauges) {
  std::lock_guard lock(mu_);
  gauges_ = std::move(gauges);
}

std::map<std::string, double> StreamMetrics::gauges() const {
  std::lock_guard lock(mu_);
  return gauges_;
}

std::optional<int64_t> StreamMetrics::lastEventAt() const {
  std::lock_guard lock(mu_);
  return last_event_at_;
}

int64_t StreamMetrics::eventsTotal() const {
  std::lock_guard lock(mu_);
  return events_total_;
}

int64_t StreamMetrics::bytesTotal() const {
  std::lock_guard lock(mu_);
  return bytes_total_;
}

std::array<int64_t, kErrorKinds> StreamMetrics::errorsTotal() const {
  std::lock_guard lock(mu_);
  return errors_total_;
}

}  // namespace streamhost::metrics
