#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace streamhost::mycdc {

/// Thrown when an event is shorter than its own fields say; the caller adds
/// the event type and position.
struct Truncated {
  const char* what;
};

/// Bounds-checked little-endian reads over one event's bytes.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : p_(reinterpret_cast<const uint8_t*>(data.data())), n_(data.size()) {}

  size_t remaining() const { return n_ - at_; }
  size_t position() const { return at_; }
  bool empty() const { return at_ >= n_; }

  const uint8_t* take(size_t len, const char* what) {
    if (len > n_ - at_) {
      throw Truncated{what};
    }
    const uint8_t* out = p_ + at_;
    at_ += len;
    return out;
  }
  std::string_view bytes(size_t len, const char* what) {
    return {reinterpret_cast<const char*>(take(len, what)), len};
  }
  void skip(size_t len, const char* what) { take(len, what); }

  uint64_t le(size_t len, const char* what) {
    const uint8_t* b = take(len, what);
    uint64_t v = 0;
    for (size_t i = len; i-- > 0;) {
      v = (v << 8) | b[i];
    }
    return v;
  }
  uint8_t u8(const char* what) { return *take(1, what); }
  uint16_t u16(const char* what) { return static_cast<uint16_t>(le(2, what)); }
  uint32_t u32(const char* what) { return static_cast<uint32_t>(le(4, what)); }

  /// The protocol's length-encoded integer.
  uint64_t packed(const char* what) {
    uint8_t first = u8(what);
    if (first < 0xfb) {
      return first;
    }
    if (first == 0xfc) {
      return le(2, what);
    }
    if (first == 0xfd) {
      return le(3, what);
    }
    if (first == 0xfe) {
      return le(8, what);
    }
    throw Truncated{what};
  }

 private:
  const uint8_t* p_;
  size_t n_;
  size_t at_ = 0;
};

inline uint64_t beInt(const uint8_t* b, size_t len) {
  uint64_t v = 0;
  for (size_t i = 0; i < len; ++i) {
    v = (v << 8) | b[i];
  }
  return v;
}

inline uint64_t leInt(const uint8_t* b, size_t len) {
  uint64_t v = 0;
  for (size_t i = len; i-- > 0;) {
    v = (v << 8) | b[i];
  }
  return v;
}

/// CRC-32 (IEEE 802.3, zlib's), as the binlog checksums events.
uint32_t crc32Ieee(std::string_view data);
/// The same, one byte at a time (the reference the fast one is tested against).
uint32_t crc32Bytewise(std::string_view data);

}  // namespace streamhost::mycdc
