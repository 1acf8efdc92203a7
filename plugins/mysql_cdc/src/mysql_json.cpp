// MySQL's binary JSON (the JSON column type of MySQL 5.7+), decoded to text.
// MariaDB stores JSON as text and never sends this type.
#include <streamhost/plugin_sdk.hpp>

#include <charconv>
#include <cstring>

#include "text_converter.h"
#include "value_decoder.h"

namespace streamhost::mycdc {
namespace {

enum : uint8_t {
  kSmallObject = 0, kLargeObject = 1, kSmallArray = 2, kLargeArray = 3, kLiteral = 4, kInt16 = 5, kUint16 = 6,
  kInt32 = 7, kUint32 = 8, kInt64 = 9, kUint64 = 10, kDouble = 11, kString = 12, kOpaque = 15
};

[[noreturn]] void bad(const char* what) {
  throw sdk::Error(SH_ERR_FATAL, std::string("binary JSON value is malformed: ") + what);
}

class JsonDecoder {
 public:
  JsonDecoder(std::string_view data, std::string& out) : d_(data), out_(out) {}

  void value(uint8_t type, size_t at, int depth) {
    if (depth > 100) {
      bad("nested too deep");
    }
    switch (type) {
      case kSmallObject: case kLargeObject: container(at, type == kLargeObject, true, depth); return;
      case kSmallArray: case kLargeArray: container(at, type == kLargeArray, false, depth); return;
      case kLiteral: literal(u(at, 1)); return;
      case kInt16: number(static_cast<int16_t>(u(at, 2))); return;
      case kUint16: number(static_cast<uint64_t>(u(at, 2))); return;
      case kInt32: number(static_cast<int32_t>(u(at, 4))); return;
      case kUint32: number(static_cast<uint64_t>(u(at, 4))); return;
      case kInt64: number(static_cast<int64_t>(u(at, 8))); return;
      case kUint64: number(u(at, 8)); return;
      case kDouble: {
        uint64_t bits = u(at, 8);
        double v;
        std::memcpy(&v, &bits, 8);
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof buf, v);
        out_.append(buf, static_cast<size_t>(r.ptr - buf));
        return;
      }
      case kString: {
        size_t len = varlen(at);
        sdk::appendJsonQuoted(out_, slice(at, len));
        return;
      }
      case kOpaque: {
        at += 1;  // the MySQL field type of the opaque value
        size_t len = varlen(at);
        out_ += "\"base64:";
        appendBase64(out_, slice(at, len));
        out_ += '"';
        return;
      }
      default:
        bad("unknown value type");
    }
  }

 private:
  uint64_t u(size_t at, size_t n) const {
    if (at + n > d_.size()) {
      bad("truncated");
    }
    return leInt(reinterpret_cast<const uint8_t*>(d_.data()) + at, n);
  }
  std::string_view slice(size_t at, size_t n) const {
    if (at + n > d_.size()) {
      bad("truncated");
    }
    return d_.substr(at, n);
  }
  size_t varlen(size_t& at) const {
    size_t len = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      uint64_t b = u(at++, 1);
      len |= static_cast<size_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return len;
      }
    }
    bad("length too long");
  }
  void literal(uint64_t v) { out_ += v == 0 ? "null" : v == 1 ? "true" : "false"; }
  template <class T>
  void number(T v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, static_cast<size_t>(r.ptr - buf));
  }
  static bool inlined(uint8_t type, bool large) {
    return type == kLiteral || type == kInt16 || type == kUint16 || (large && (type == kInt32 || type == kUint32));
  }
  void container(size_t base, bool large, bool object, int depth) {
    const size_t w = large ? 4 : 2;
    const size_t count = static_cast<size_t>(u(base, w));
    const size_t key_entries = base + 2 * w;
    const size_t value_entries = key_entries + (object ? count * (w + 2) : 0);
    out_ += object ? '{' : '[';
    for (size_t i = 0; i < count; ++i) {
      if (i > 0) {
        out_ += ',';
      }
      if (object) {
        size_t ko = static_cast<size_t>(u(key_entries + i * (w + 2), w));
        size_t kl = static_cast<size_t>(u(key_entries + i * (w + 2) + w, 2));
        sdk::appendJsonQuoted(out_, slice(base + ko, kl));
        out_ += ':';
      }
      size_t entry = value_entries + i * (1 + w);
      uint8_t type = static_cast<uint8_t>(u(entry, 1));
      if (inlined(type, large)) {
        value(type, entry + 1, depth + 1);
      } else {
        value(type, base + static_cast<size_t>(u(entry + 1, w)), depth + 1);
      }
    }
    out_ += object ? '}' : ']';
  }

  std::string_view d_;
  std::string& out_;
};

}  // namespace

void appendMysqlJson(std::string& out, std::string_view bytes) {
  if (bytes.empty()) {
    out += "null";
    return;
  }
  JsonDecoder d(bytes, out);
  d.value(static_cast<uint8_t>(bytes[0]), 1, 0);
}

}  // namespace streamhost::mycdc
