#include "generator.h"

#include <algorithm>
#include <charconv>

namespace streamhost::plugins::datagen {

std::optional<ConfigProblem> validateConfig(const GeneratorConfig& c) {
  if (c.rate_per_second < 0 || c.rate_per_second > kMaxRatePerSecond) {
    return ConfigProblem{"rate_per_second",
                         "rate_per_second must be between 0 and " + std::to_string(kMaxRatePerSecond)};
  }
  if (c.max_records < 0) {
    return ConfigProblem{"max_records", "max_records must be 0 (endless) or more"};
  }
  if (c.payload_bytes < 0 || c.payload_bytes > kMaxPayloadBytes) {
    return ConfigProblem{"payload_bytes",
                         "payload_bytes must be between 0 and " + std::to_string(kMaxPayloadBytes) + " (1 MiB)"};
  }
  return std::nullopt;
}

std::optional<uint64_t> parseOffset(std::string_view offset) {
  if (offset.empty()) {
    return 0;
  }
  uint64_t v = 0;
  auto r = std::from_chars(offset.data(), offset.data() + offset.size(), v);
  if (r.ec != std::errc() || r.ptr != offset.data() + offset.size()) {
    return std::nullopt;
  }
  return v;
}

Generator::Generator(GeneratorConfig config) : config_(config) {
  payload_.resize(static_cast<size_t>(std::max<int64_t>(config_.payload_bytes, 0)));
  for (size_t i = 0; i < payload_.size(); ++i) {
    payload_[i] = static_cast<char>('a' + i % 26);
  }
}

bool Generator::exhausted() const {
  return config_.max_records > 0 && next_ > static_cast<uint64_t>(config_.max_records);
}

GeneratedRecord Generator::next() {
  GeneratedRecord r;
  next(r);
  return r;
}

void Generator::next(GeneratedRecord& r) {
  r.n = next_++;
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof(digits), r.n).ptr;
  r.key.assign(digits, end);
  r.offset = r.key;
  r.value.assign("{\"n\":");
  r.value.append(r.key).append(",\"payload\":\"").append(payload_).append("\"}");
}

int64_t Generator::remaining() const {
  if (config_.max_records <= 0) {
    return -1;
  }
  auto max = static_cast<uint64_t>(config_.max_records);
  return next_ > max ? 0 : static_cast<int64_t>(max - next_ + 1);
}

void RatePacer::refill(int64_t now_ms) {
  if (now_ms > last_ms_) {
    const int64_t cap = rate_ * 1000;
    // Clamp the elapsed time first so a long pause cannot overflow.
    const int64_t elapsed = std::min<int64_t>(now_ms - last_ms_, 1000);
    tokens_milli_ = std::min(cap, tokens_milli_ + elapsed * rate_);
    last_ms_ = now_ms;
  }
}

uint64_t RatePacer::take(int64_t now_ms, uint64_t want) {
  if (rate_ == 0) {
    return want;
  }
  refill(now_ms);
  uint64_t n = std::min<uint64_t>(want, static_cast<uint64_t>(tokens_milli_ / 1000));
  tokens_milli_ -= static_cast<int64_t>(n) * 1000;
  return n;
}

void RatePacer::giveBack(uint64_t n) {
  if (rate_ != 0) {
    tokens_milli_ = std::min(rate_ * 1000, tokens_milli_ + static_cast<int64_t>(n) * 1000);
  }
}

int64_t RatePacer::msUntilNext(int64_t now_ms) {
  if (rate_ == 0) {
    return 0;
  }
  refill(now_ms);
  if (tokens_milli_ >= 1000) {
    return 0;
  }
  return (1000 - tokens_milli_ + rate_ - 1) / rate_;
}

bool Waiter::waitFor(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, timeout, [this] { return woken_; });
  bool woken = woken_;
  woken_ = false;
  return woken;
}

void Waiter::wakeup() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_all();
}

}  // namespace streamhost::plugins::datagen
