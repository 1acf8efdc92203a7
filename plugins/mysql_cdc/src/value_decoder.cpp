#include "value_decoder.h"

#include <streamhost/plugin_sdk.hpp>

#include <charconv>
#include <cstring>

namespace streamhost::mycdc {
namespace {

constexpr int kDigitsPerWord = 9;
constexpr int kDig2Bytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};

void appendInt(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}
void appendUint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}
void appendDouble(std::string& out, double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
  out.append(s);
}
void pad(std::string& out, uint64_t v, int width) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  for (int k = static_cast<int>(r.ptr - buf); k < width; ++k) {
    out += '0';
  }
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}
/// ".ffffff" cut to `fsp` digits; nothing for fsp 0.
void appendFraction(std::string& out, uint64_t micros, int fsp) {
  if (fsp <= 0) {
    return;
  }
  std::string six;
  pad(six, micros, 6);
  out += '.';
  out.append(six, 0, static_cast<size_t>(std::min(fsp, 6)));
}

int64_t signExtend(uint64_t v, int bytes) {
  int shift = 64 - 8 * bytes;
  return static_cast<int64_t>(v << shift) >> shift;
}

/// Fractional seconds of the MySQL 5.6 temporal types, in microseconds.
int64_t readFraction(ByteReader& r, int fsp) {
  switch (fsp) {
    case 1: case 2: return static_cast<int64_t>(r.u8("fraction")) * 10000;
    case 3: case 4: return static_cast<int64_t>(beInt(r.take(2, "fraction"), 2)) * 100;
    case 5: case 6: return static_cast<int64_t>(beInt(r.take(3, "fraction"), 3));
    default: return 0;
  }
}

void appendDateParts(std::string& out, uint64_t y, uint64_t m, uint64_t d) {
  pad(out, y, 4);
  out += '-';
  pad(out, m, 2);
  out += '-';
  pad(out, d, 2);
}
void appendTimeParts(std::string& out, uint64_t h, uint64_t mi, uint64_t s) {
  pad(out, h, 2);
  out += ':';
  pad(out, mi, 2);
  out += ':';
  pad(out, s, 2);
}

void appendDatetime2(std::string& out, ByteReader& r, int fsp) {
  int64_t packed = static_cast<int64_t>(beInt(r.take(5, "datetime"), 5)) - 0x8000000000LL;
  int64_t frac = readFraction(r, fsp);
  uint64_t ymd = static_cast<uint64_t>(packed) >> 17, hms = static_cast<uint64_t>(packed) & 0x1FFFF;
  uint64_t ym = ymd >> 5;
  out += '"';
  appendDateParts(out, ym / 13, ym % 13, ymd & 31);
  out += packed == 0 ? ' ' : 'T';  // the zero datetime stays the server's text
  appendTimeParts(out, hms >> 12, (hms >> 6) & 63, hms & 63);
  appendFraction(out, static_cast<uint64_t>(frac), fsp);
  out += '"';
}

void appendTime2(std::string& out, ByteReader& r, int fsp) {
  // my_time_packed_from_binary: the integer part, then a fraction whose sign follows it.
  int64_t packed;
  if (fsp >= 5) {
    packed = static_cast<int64_t>(beInt(r.take(6, "time"), 6)) - 0x800000000000LL;
  } else {
    int64_t intpart = static_cast<int64_t>(beInt(r.take(3, "time"), 3)) - 0x800000;
    int64_t frac = 0;
    if (fsp >= 1) {
      int bytes = fsp <= 2 ? 1 : 2;
      frac = static_cast<int64_t>(beInt(r.take(static_cast<size_t>(bytes), "time"), static_cast<size_t>(bytes)));
      if (intpart < 0 && frac != 0) {
        intpart++;
        frac -= bytes == 1 ? 0x100 : 0x10000;
      }
      frac *= bytes == 1 ? 10000 : 100;
    }
    packed = intpart * (int64_t{1} << 24) + frac;
  }
  bool neg = packed < 0;
  uint64_t v = static_cast<uint64_t>(neg ? -packed : packed);
  uint64_t hms = v >> 24, micros = v % (uint64_t{1} << 24);
  out += '"';
  if (neg) {
    out += '-';
  }
  appendTimeParts(out, (hms >> 12) % (1 << 10), (hms >> 6) % 64, hms % 64);
  appendFraction(out, micros, fsp);
  out += '"';
}


size_t lengthBytes(uint32_t max_len) { return max_len < 256 ? 1 : 2; }

std::string_view readString(const ColumnInfo& c, ByteReader& r) {
  switch (c.real_type) {
    case 15: case 253: return r.bytes(r.le(lengthBytes(c.meta), "string length"), "string");
    case 254: {
      uint8_t b0 = static_cast<uint8_t>(c.meta >> 8);
      uint32_t max_len = (c.meta & 0xFF) | (static_cast<uint32_t>((b0 & 0x30) ^ 0x30) << 4);
      return r.bytes(r.le(lengthBytes(max_len), "string length"), "string");
    }
    default:  // blob family and geometry: the metadata is the width of the length
      return r.bytes(r.le(c.meta, "blob length"), "blob");
  }
}

void appendBits(std::string& out, const ColumnInfo& c, ByteReader& r) {
  size_t bytes = (c.meta >> 8) + ((c.meta & 0xFF) != 0 ? 1 : 0);
  appendUint(out, beInt(r.take(bytes, "bit"), bytes));
}

void appendInteger(std::string& out, const ColumnInfo& c, ByteReader& r) {
  size_t len = c.real_type == 1 ? 1 : c.real_type == 2 ? 2 : c.real_type == 9 ? 3 : c.real_type == 3 ? 4 : 8;
  uint64_t v = r.le(len, "integer");
  if (c.is_unsigned) {
    appendUint(out, v);
  } else {
    appendInt(out, signExtend(v, static_cast<int>(len)));
  }
}

}  // namespace

void appendTimestampSeconds(std::string& out, int64_t secs, int64_t micros, int fsp) {
  if (secs == 0 && micros == 0) {
    out += "\"0000-00-00 00:00:00";
    appendFraction(out, 0, fsp);
    out += '"';
    return;
  }
  // Civil date from days since the epoch (Howard Hinnant's algorithm).
  int64_t days = secs / 86400, rem = secs % 86400;
  days += 719468;
  int64_t era = days / 146097;
  int64_t doe = days - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  out += '"';
  appendDateParts(out, static_cast<uint64_t>(y + (m <= 2)), static_cast<uint64_t>(m), static_cast<uint64_t>(d));
  out += 'T';
  appendTimeParts(out, static_cast<uint64_t>(rem / 3600), static_cast<uint64_t>(rem / 60 % 60),
                  static_cast<uint64_t>(rem % 60));
  appendFraction(out, static_cast<uint64_t>(micros), fsp);
  out += "Z\"";
}

size_t decimalSize(int precision, int scale) {
  int intg = precision - scale;
  return static_cast<size_t>((intg / kDigitsPerWord) * 4 + kDig2Bytes[intg % kDigitsPerWord] +
                             (scale / kDigitsPerWord) * 4 + kDig2Bytes[scale % kDigitsPerWord]);
}

std::string decodeDecimal(const uint8_t* bytes, int precision, int scale, size_t* consumed) {
  const int intg = precision - scale;
  const int intg0 = intg / kDigitsPerWord, intg0x = intg % kDigitsPerWord;
  const int frac0 = scale / kDigitsPerWord, frac0x = scale % kDigitsPerWord;
  const size_t size = decimalSize(precision, scale);
  *consumed = size;
  uint8_t buf[64];
  std::memcpy(buf, bytes, size);
  const bool negative = (buf[0] & 0x80) == 0;
  buf[0] ^= 0x80;
  if (negative) {
    for (size_t i = 0; i < size; ++i) {
      buf[i] = static_cast<uint8_t>(~buf[i]);
    }
  }
  size_t at = 0;
  std::string digits;  // the integer part, leading zeros dropped afterwards
  auto word = [&](int ndigits) {
    size_t nbytes = static_cast<size_t>(ndigits == kDigitsPerWord ? 4 : kDig2Bytes[ndigits]);
    uint64_t v = beInt(buf + at, nbytes);
    at += nbytes;
    std::string s;
    pad(s, v, ndigits);
    return s;
  };
  if (intg0x > 0) {
    digits += word(intg0x);
  }
  for (int i = 0; i < intg0; ++i) {
    digits += word(kDigitsPerWord);
  }
  size_t nz = digits.find_first_not_of('0');
  digits = nz == std::string::npos ? "0" : digits.substr(nz);
  std::string frac;
  for (int i = 0; i < frac0; ++i) {
    frac += word(kDigitsPerWord);
  }
  if (frac0x > 0) {
    frac += word(frac0x);
  }
  std::string out = negative ? "-" : "";
  out += digits;
  if (scale > 0) {
    out += '.';
    out += frac;
  }
  return out;
}

void appendValue(std::string& out, const ColumnInfo& c, ByteReader& r) {
  switch (c.kind) {
    case ValueKind::kInteger:
      appendInteger(out, c, r);
      return;
    case ValueKind::kDecimal: {
      int precision = c.meta & 0xFF, scale = c.meta >> 8;
      size_t size = decimalSize(precision, scale);
      if (size > 64) {
        throw sdk::Error(SH_ERR_FATAL, "DECIMAL(" + std::to_string(precision) + "," + std::to_string(scale) +
                                           ") of column " + c.name + " is wider than MySQL allows");
      }
      size_t used = 0;
      out += '"';
      out += decodeDecimal(r.take(size, "decimal"), precision, scale, &used);
      out += '"';
      return;
    }
    case ValueKind::kFloat: {
      uint32_t bits = r.u32("float");
      float f;
      std::memcpy(&f, &bits, 4);
      appendDouble(out, static_cast<double>(f));  // the stored 32-bit value, exactly
      return;
    }
    case ValueKind::kDouble: {
      uint64_t bits = r.le(8, "double");
      double d;
      std::memcpy(&d, &bits, 8);
      appendDouble(out, d);
      return;
    }
    case ValueKind::kYear: {
      uint8_t y = r.u8("year");
      appendUint(out, y == 0 ? 0 : 1900u + y);
      return;
    }
    case ValueKind::kBit:
      appendBits(out, c, r);
      return;
    case ValueKind::kDate: {
      uint64_t v = r.le(3, "date");
      out += '"';
      appendDateParts(out, v >> 9, (v >> 5) & 15, v & 31);
      out += '"';
      return;
    }
    case ValueKind::kTime:
      if (c.real_type == 19) {
        appendTime2(out, r, c.meta);
      } else {  // the pre-5.6 TIME: [-]HHMMSS as a 3-byte integer
        int64_t v = signExtend(r.le(3, "time"), 3);
        bool neg = v < 0;
        uint64_t a = static_cast<uint64_t>(neg ? -v : v);
        out += neg ? "\"-" : "\"";
        appendTimeParts(out, a / 10000, a / 100 % 100, a % 100);
        out += '"';
      }
      return;
    case ValueKind::kDatetime:
      if (c.real_type == 18) {
        appendDatetime2(out, r, c.meta);
      } else {  // the pre-5.6 DATETIME: YYYYMMDDhhmmss as an 8-byte integer
        uint64_t v = r.le(8, "datetime");
        uint64_t d = v / 1000000, t = v % 1000000;
        out += '"';
        appendDateParts(out, d / 10000, d / 100 % 100, d % 100);
        out += v == 0 ? ' ' : 'T';
        appendTimeParts(out, t / 10000, t / 100 % 100, t % 100);
        out += '"';
      }
      return;
    case ValueKind::kTimestamp:
      if (c.real_type == 17) {
        int64_t secs = static_cast<int64_t>(beInt(r.take(4, "timestamp"), 4));
        appendTimestampSeconds(out, secs, readFraction(r, c.meta), c.meta);
      } else {
        appendTimestampSeconds(out, r.u32("timestamp"), 0, 0);
      }
      return;
    case ValueKind::kText:
      c.text->appendJson(out, readString(c, r));
      return;
    case ValueKind::kBinary: {
      std::string_view v = readString(c, r);
      out += '"';
      if (c.fixed_length > v.size()) {
        // BINARY(n) arrives without its trailing zero bytes.
        std::string padded(v);
        padded.resize(c.fixed_length, '\0');
        appendBase64(out, padded);
      } else {
        appendBase64(out, v);
      }
      out += '"';
      return;
    }
    case ValueKind::kJson: {
      std::string_view v = readString(c, r);
      if (sdk::isValidJson(v)) {
        out.append(v);  // inline, numbers exactly as stored
      } else {
        sdk::appendJsonQuoted(out, v);
      }
      return;
    }
    case ValueKind::kEnum: {
      size_t len = c.meta & 0xFF;
      uint64_t idx = r.le(len, "enum");
      if (idx == 0 || idx > c.labels.size()) {
        out += idx == 0 ? "\"\"" : "null";  // 0 is the empty string an invalid insert leaves
      } else {
        c.text->appendJson(out, c.labels[idx - 1]);
      }
      return;
    }
    case ValueKind::kSet: {
      size_t len = c.meta & 0xFF;
      uint64_t bits = r.le(len, "set");
      out += '[';
      bool first = true;
      for (size_t i = 0; i < c.labels.size() && i < 64; ++i) {
        if ((bits >> i) & 1) {
          out += first ? "" : ",";
          first = false;
          c.text->appendJson(out, c.labels[i]);
        }
      }
      out += ']';
      return;
    }
    case ValueKind::kGeometry: {
      std::string_view v = r.bytes(r.le(c.meta, "geometry length"), "geometry");
      if (v.size() < 4) {
        throw Truncated{"geometry"};
      }
      out += "{\"srid\":";
      appendUint(out, leInt(reinterpret_cast<const uint8_t*>(v.data()), 4));
      out += ",\"wkb\":\"";
      appendBase64(out, v.substr(4));
      out += "\"}";
      return;
    }
    case ValueKind::kMysqlJson:
      appendMysqlJson(out, r.bytes(r.le(c.meta, "json length"), "json"));
      return;
    case ValueKind::kNull:
      out += "null";
      return;
  }
}

}  // namespace streamhost::mycdc
