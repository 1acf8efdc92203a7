#include "text_converter.h"

#include <streamhost/plugin_sdk.hpp>

#include <algorithm>
#include <cstring>

namespace streamhost::mycdc {
namespace {

/// iconv's name for MySQL's; empty when iconv has no equivalent.
std::string iconvName(const std::string& cs) {
  struct Pair {
    const char* mysql;
    const char* iconv;
  };
  static constexpr Pair kNames[] = {
      {"latin1", "CP1252"},  // MySQL's latin1 is Windows-1252
      {"latin2", "ISO-8859-2"}, {"latin5", "ISO-8859-9"}, {"latin7", "ISO-8859-13"}, {"greek", "ISO-8859-7"},
      {"hebrew", "ISO-8859-8"}, {"cp1250", "CP1250"}, {"cp1251", "CP1251"}, {"cp1256", "CP1256"},
      {"cp1257", "CP1257"}, {"cp850", "CP850"}, {"cp852", "CP852"}, {"cp866", "CP866"}, {"koi8r", "KOI8-R"},
      {"koi8u", "KOI8-U"}, {"sjis", "SHIFT_JIS"}, {"cp932", "CP932"}, {"ujis", "EUC-JP"}, {"eucjpms", "EUC-JP-MS"},
      {"euckr", "EUC-KR"}, {"gb2312", "GB2312"}, {"gbk", "GBK"}, {"big5", "BIG5"}, {"tis620", "TIS-620"},
      {"ucs2", "UCS-2BE"}, {"utf16", "UTF-16BE"}, {"utf16le", "UTF-16LE"}, {"utf32", "UTF-32BE"},
      {"swe7", "ISO646-SE"}, {"macroman", "MACINTOSH"}, {"armscii8", "ARMSCII-8"}, {"geostd8", "GEORGIAN-PS"},
  };
  for (const auto& p : kNames) {
    if (cs == p.mysql) {
      return p.iconv;
    }
  }
  return {};
}

void appendReplacingInvalid(std::string& out, std::string_view s) {
  // Keeps valid UTF-8 sequences, replaces each invalid byte with U+FFFD.
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && static_cast<unsigned char>(s[j]) < 0x80) {
      ++j;
    }
    out.append(s.substr(i, j - i));
    i = j;
    if (i >= s.size()) {
      break;
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (len > 1 && i + len <= s.size() && sdk::isValidUtf8(s.substr(i, len))) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
}

}  // namespace

TextConverter::TextConverter(std::string charset) : charset_(std::move(charset)) {
  utf8_ = charset_ == "utf8mb4" || charset_ == "utf8mb3" || charset_ == "utf8" || charset_ == "ascii" ||
          charset_.empty();
  binary_ = charset_ == "binary";
  if (!utf8_ && !binary_) {
    std::string name = iconvName(charset_);
    if (!name.empty()) {
      cd_ = iconv_open("UTF-8", name.c_str());
    }
  }
}

TextConverter::~TextConverter() {
  if (cd_ != reinterpret_cast<iconv_t>(-1)) {
    iconv_close(cd_);
  }
}

std::string TextConverter::toUtf8(std::string_view bytes) const {
  std::string out;
  if (utf8_ || binary_ || cd_ == reinterpret_cast<iconv_t>(-1)) {
    if (sdk::isValidUtf8(bytes)) {
      out.assign(bytes);
    } else {
      appendReplacingInvalid(out, bytes);
    }
    return out;
  }
  std::lock_guard lock(mu_);
  iconv(cd_, nullptr, nullptr, nullptr, nullptr);
  out.resize(bytes.size() * 4 + 8);
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  char* dst = out.data();
  size_t out_left = out.size();
  while (in_left > 0) {
    if (iconv(cd_, &in, &in_left, &dst, &out_left) != static_cast<size_t>(-1)) {
      break;
    }
    // An invalid or incomplete sequence: one replacement character, then go on.
    if (out_left < 3) {
      break;
    }
    std::memcpy(dst, "\xEF\xBF\xBD", 3);
    dst += 3;
    out_left -= 3;
    ++in;
    --in_left;
  }
  out.resize(out.size() - out_left);
  return out;
}

void TextConverter::appendJson(std::string& out, std::string_view bytes) const {
  // ASCII reads the same in every single- and multi-byte charset that is not UCS-2/UTF-16/UTF-32.
  bool ascii_compatible = utf8_ || (charset_.rfind("ucs2", 0) != 0 && charset_.rfind("utf16", 0) != 0 &&
                                    charset_.rfind("utf32", 0) != 0);
  if (ascii_compatible && std::all_of(bytes.begin(), bytes.end(), [](char c) { return (c & 0x80) == 0; })) {
    sdk::appendJsonQuoted(out, bytes);
    return;
  }
  if (utf8_ && sdk::isValidUtf8(bytes)) {
    sdk::appendJsonQuoted(out, bytes);
    return;
  }
  sdk::appendJsonQuoted(out, toUtf8(bytes));
}

void appendBase64(std::string& out, std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint32_t{b[i]} << 16) | (uint32_t{b[i + 1]} << 8) | b[i + 2];
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t v = uint32_t{b[i]} << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    uint32_t v = (uint32_t{b[i]} << 16) | (uint32_t{b[i + 1]} << 8);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
}

}  // namespace streamhost::mycdc
