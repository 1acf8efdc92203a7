#include "common/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <system_error>

namespace streamhost {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

template <typename T>
void appendNumber(std::string& out, T value) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, r.ptr);
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// The code unit of a \uXXXX escape starting at `at` (the backslash), or -1.
int32_t escapeUnit(std::string_view t, size_t at) {
  if (at + 6 > t.size() || t[at] != '\\' || t[at + 1] != 'u') {
    return -1;
  }
  int32_t unit = 0;
  for (size_t k = at + 2; k < at + 6; ++k) {
    int h = hexValue(t[k]);
    if (h < 0) {
      return -1;
    }
    unit = unit * 16 + h;
  }
  return unit;
}

bool isContinuation(std::string_view t, size_t at, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
  if (at >= t.size()) {
    return false;
  }
  auto c = static_cast<unsigned char>(t[at]);
  return c >= lo && c <= hi;
}

// Length of the well-formed UTF-8 sequence at `at` (RFC 3629: no overlongs,
// no surrogates, nothing above U+10FFFF), or 0.
size_t utf8Length(std::string_view t, size_t at) {
  auto c = static_cast<unsigned char>(t[at]);
  if (c < 0x80) {
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    return isContinuation(t, at + 1) ? 2 : 0;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
    unsigned char hi = c == 0xED ? 0x9F : 0xBF;
    return isContinuation(t, at + 1, lo, hi) && isContinuation(t, at + 2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
    return isContinuation(t, at + 1, lo, hi) && isContinuation(t, at + 2) && isContinuation(t, at + 3) ? 4 : 0;
  }
  return 0;
}

// Moves `i` from an opening quote past the closing one.
bool portableString(std::string_view t, size_t& i) {
  ++i;
  while (i < t.size()) {
    char c = t[i];
    if (c == '"') {
      ++i;
      return true;
    }
    if (c == '\\') {
      int32_t unit = escapeUnit(t, i);
      if (unit < 0) {
        i += 2;  // a one-letter escape
        continue;
      }
      if (unit >= 0xDC00 && unit <= 0xDFFF) {
        return false;
      }
      if (unit >= 0xD800 && unit <= 0xDBFF) {
        int32_t low = escapeUnit(t, i + 6);
        if (low < 0xDC00 || low > 0xDFFF) {
          return false;
        }
        i += 6;
      }
      i += 6;
      continue;
    }
    size_t n = utf8Length(t, i);
    if (n == 0) {
      return false;
    }
    i += n;
  }
  return false;
}

bool portableNumber(std::string_view tok) {
  const char* end = tok.data() + tok.size();
  if (tok.find_first_of(".eE") != std::string_view::npos) {
    double d = 0;
    if (std::from_chars(tok.data(), end, d).ec != std::errc::result_out_of_range) {
      return true;
    }
    // Out of range is either an underflow to zero, which reads fine, or an overflow.
    return std::isfinite(std::strtod(std::string(tok).c_str(), nullptr));
  }
  if (tok.front() == '-') {
    int64_t v = 0;
    return std::from_chars(tok.data(), end, v).ec == std::errc();
  }
  uint64_t v = 0;
  return std::from_chars(tok.data(), end, v).ec == std::errc();
}

}  // namespace

void JsonWriter::beforeValue() {
  if (need_comma_) {
    out_ += ',';
  }
  need_comma_ = true;
}

JsonWriter& JsonWriter::beginObject() {
  beforeValue();
  out_ += '{';
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::endObject() {
  out_ += '}';
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::beginArray() {
  beforeValue();
  out_ += '[';
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::endArray() {
  out_ += ']';
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  beforeValue();
  appendEscaped(name);
  out_ += ':';
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::string(std::string_view value) {
  beforeValue();
  appendEscaped(value);
  return *this;
}

JsonWriter& JsonWriter::number(int64_t value) {
  beforeValue();
  appendNumber(out_, value);
  return *this;
}

JsonWriter& JsonWriter::number(uint64_t value) {
  beforeValue();
  appendNumber(out_, value);
  return *this;
}

JsonWriter& JsonWriter::number(double value) {
  if (!std::isfinite(value)) {
    return null();
  }
  beforeValue();
  appendNumber(out_, value);
  return *this;
}

JsonWriter& JsonWriter::boolean(bool value) {
  beforeValue();
  out_ += value ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::null() {
  beforeValue();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
  beforeValue();
  out_ += json;
  return *this;
}

std::string JsonWriter::take() {
  std::string out = std::move(out_);
  out_.clear();
  need_comma_ = false;
  return out;
}

void JsonWriter::appendEscaped(std::string_view s) {
  out_ += '"';
  size_t plain = 0;  // start of the run not yet copied
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = utf8Length(s, i);
      if (n != 0) {
        i += n;
        continue;
      }
      // Not UTF-8 (a path such as %ff%fe, a plugin's message in Latin-1):
      // each bad byte becomes U+FFFD so the answer stays valid JSON.
      out_.append(s.data() + plain, i - plain);
      out_ += "\\uFFFD";
      plain = ++i;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out_.append(s.data() + plain, i - plain);
    plain = ++i;
    if (c == '"' || c == '\\') {
      out_ += '\\';
      out_ += static_cast<char>(c);
    } else {
      out_ += "\\u00";
      out_ += kHex[c >> 4];
      out_ += kHex[c & 0xF];
    }
  }
  out_.append(s.data() + plain, s.size() - plain);
  out_ += '"';
}

std::string jsonQuoted(std::string_view s) {
  JsonWriter w;
  w.string(s);
  return w.take();
}

bool isPortableJsonContainer(std::string_view json) {
  size_t i = json.find_first_not_of(" \t\r\n");
  if (i == std::string_view::npos || (json[i] != '{' && json[i] != '[')) {
    return false;
  }
  return isPortableJsonValue(json);
}

bool isPortableJsonValue(std::string_view json) {
  size_t i = json.find_first_not_of(" \t\r\n");
  if (i == std::string_view::npos) {
    return false;
  }
  while (i < json.size()) {
    char c = json[i];
    if (c == '"') {
      if (!portableString(json, i)) {
        return false;
      }
      continue;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t end = json.find_first_not_of("0123456789+-.eE", i);
      end = end == std::string_view::npos ? json.size() : end;
      if (!portableNumber(json.substr(i, end - i))) {
        return false;
      }
      i = end;
      continue;
    }
    ++i;
  }
  return true;
}

}  // namespace streamhost
