#include "metrics/rolling_window.h"

namespace streamhost::metrics {

const char* errorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kSource: return "source";
    case ErrorKind::kCommit: return "commit";
    case ErrorKind::kJournal: return "journal";
    case ErrorKind::kRejected: return "rejected";
    case ErrorKind::kUnauthorized: return "unauthorized";
    case ErrorKind::kThrottled: return "throttled";
    case ErrorKind::kOther: return "other";
  }
  return "other";
}

const char* requestOutcomeName(RequestOutcome outcome) {
  switch (outcome) {
    case RequestOutcome::kAccepted: return "accepted";
    case RequestOutcome::kDuplicate: return "duplicate";
    case RequestOutcome::kUnauthorized: return "unauthorized";
    case RequestOutcome::kRejected: return "rejected";
    case RequestOutcome::kThrottled: return "throttled";
    case RequestOutcome::kUnavailable: return "unavailable";
  }
  return "rejected";
}

int64_t Bucket::errorTotal() const {
  int64_t n = 0;
  for (int64_t e : errors) {
    n += e;
  }
  return n;
}

void Bucket::add(const Bucket& other) {
  events += other.events;
  bytes += other.bytes;
  for (size_t k = 0; k < kErrorKinds; ++k) {
    errors[k] += other.errors[k];
  }
  for (size_t k = 0; k < kRequestOutcomes; ++k) {
    requests[k] += other.requests[k];
  }
}

RollingWindow::RollingWindow(int64_t width_ms, size_t count) : width_ms_(width_ms), buckets_(count) {}

Bucket& RollingWindow::slot(int64_t now_ms) {
  int64_t start = now_ms - (now_ms % width_ms_);
  Bucket& b = buckets_[static_cast<size_t>((start / width_ms_) % static_cast<int64_t>(buckets_.size()))];
  if (b.start_ms != start) {
    b = Bucket{};
    b.start_ms = start;
  }
  return b;
}

void RollingWindow::addEvents(int64_t now_ms, int64_t events, int64_t bytes) {
  Bucket& b = slot(now_ms);
  b.events += events;
  b.bytes += bytes;
}

void RollingWindow::addError(int64_t now_ms, ErrorKind kind, int64_t n) {
  slot(now_ms).errors[static_cast<size_t>(kind)] += n;
}

void RollingWindow::addRequest(int64_t now_ms, RequestOutcome outcome) {
  ++slot(now_ms).requests[static_cast<size_t>(outcome)];
}

std::vector<Bucket> RollingWindow::series(int64_t now_ms) const {
  const auto n = static_cast<int64_t>(buckets_.size());
  int64_t last_start = now_ms - (now_ms % width_ms_);
  std::vector<Bucket> out;
  out.reserve(buckets_.size());
  for (int64_t i = n - 1; i >= 0; --i) {
    int64_t start = last_start - i * width_ms_;
    const Bucket& b = buckets_[static_cast<size_t>(((start / width_ms_) % n + n) % n)];
    if (b.start_ms == start) {
      out.push_back(b);
    } else {
      Bucket empty;
      empty.start_ms = start;
      out.push_back(empty);
    }
  }
  return out;
}

Bucket RollingWindow::total(int64_t now_ms) const {
  Bucket t;
  for (const Bucket& b : series(now_ms)) {
    t.add(b);
  }
  return t;
}

}  // namespace streamhost::metrics
