#include "common/ids.h"

#include <cstring>

#include "common/crypto.h"

namespace streamhost {
namespace {

constexpr char kCrockford[] = "0123456789abcdefghjkmnpqrstvwxyz";
constexpr int64_t kMaxUlidMillis = (int64_t{1} << 48) - 1;

/// Five bits of the 80-bit value hi:lo whose lowest bit is at `shift`.
unsigned randomChunk(uint16_t hi, uint64_t lo, int shift) {
  if (shift >= 64) {
    return unsigned(hi >> (shift - 64)) & 31u;
  }
  uint64_t bits = lo >> shift;
  if (shift > 59) {
    bits |= uint64_t(hi) << (64 - shift);
  }
  return unsigned(bits) & 31u;
}

}  // namespace

IdGenerator::IdGenerator() : clock_(system_clock_) {}

IdGenerator::IdGenerator(const Clock& clock) : clock_(clock) {}

std::string IdGenerator::next(std::string_view prefix) {
  int64_t now = clock_.nowMillis();
  now = now < 0 ? 0 : (now > kMaxUlidMillis ? kMaxUlidMillis : now);
  int64_t ms = 0;
  uint16_t hi = 0;
  uint64_t lo = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    bool fresh = now > last_ms_;
    if (!fresh) {
      // Same millisecond, or the clock stepped back: stay on the last
      // timestamp and count up so ids keep increasing.
      if (++rand_lo_ == 0 && ++rand_hi_ == 0) {
        // 2^80 ids in one millisecond cannot happen; move on regardless.
        now = last_ms_ + 1;
        fresh = true;
      } else {
        now = last_ms_;
      }
    }
    if (fresh) {
      std::string r = crypto::randomBytes(10);
      std::memcpy(&rand_hi_, r.data(), sizeof(rand_hi_));
      std::memcpy(&rand_lo_, r.data() + sizeof(rand_hi_), sizeof(rand_lo_));
      // Leave headroom so increments within a millisecond do not wrap.
      rand_hi_ &= 0x7fff;
      last_ms_ = now;
    }
    ms = last_ms_;
    hi = rand_hi_;
    lo = rand_lo_;
  }
  std::string out;
  out.reserve(prefix.size() + kUlidLength);
  out.append(prefix);
  for (int shift = 45; shift >= 0; shift -= 5) {
    out += kCrockford[(uint64_t(ms) >> shift) & 31u];
  }
  for (int shift = 75; shift >= 0; shift -= 5) {
    out += kCrockford[randomChunk(hi, lo, shift)];
  }
  return out;
}

bool isValidId(std::string_view id, std::string_view prefix) {
  if (id.size() != prefix.size() + kUlidLength || id.substr(0, prefix.size()) != prefix) {
    return false;
  }
  std::string_view ulid = id.substr(prefix.size());
  // 26 characters carry 130 bits; the first may only use the low 3.
  if (ulid[0] < '0' || ulid[0] > '7') {
    return false;
  }
  for (char c : ulid) {
    if (c == '\0' || std::strchr(kCrockford, c) == nullptr) {
      return false;
    }
  }
  return true;
}

}  // namespace streamhost
