#include "value_codec.h"

#include <streamhost/plugin_sdk.hpp>


namespace streamhost::pgcdc {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool isPlainNumber(std::string_view s) {
  // What int and float output functions produce, NaN/Infinity excluded.
  if (s.empty()) {
    return false;
  }
  size_t i = s[0] == '-' ? 1 : 0;
  if (i >= s.size() || s[i] < '0' || s[i] > '9') {
    return false;
  }
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+')) {
      return false;
    }
  }
  return true;
}

void appendTimestamp(std::string& out, std::string_view s, bool with_zone) {
  // "2024-01-02 03:04:05.123456+00" → "2024-01-02T03:04:05.123456Z"; infinity and BC stay text.
  if (s.size() < 19 || s[10] != ' ' || s.find("BC") != std::string_view::npos) {
    appendJsonString(out, s);
    return;
  }
  out += '"';
  out.append(s.substr(0, 10));
  out += 'T';
  std::string_view rest = s.substr(11);
  if (!with_zone) {
    out.append(rest);
    out += '"';
    return;
  }
  size_t sign = rest.find_first_of("+-");
  if (sign == std::string_view::npos) {
    out.append(rest);
  } else {
    out.append(rest.substr(0, sign));
    std::string_view zone = rest.substr(sign);
    if (zone == "+00" || zone == "-00" || zone == "+00:00") {
      out += 'Z';
    } else if (zone.size() == 3) {
      out.append(zone);
      out += ":00";
    } else {
      out.append(zone);
    }
  }
  out += '"';
}

void appendBytea(std::string& out, std::string_view s) {
  if (s.size() < 2 || s[0] != '\\' || s[1] != 'x' || (s.size() % 2) != 0) {
    appendJsonString(out, s);  // escape format: bytea_output was changed
    return;
  }
  std::string raw;
  raw.resize((s.size() - 2) / 2);
  for (size_t i = 0; i < raw.size(); ++i) {
    int hi = hexValue(s[2 + 2 * i]);
    int lo = hexValue(s[3 + 2 * i]);
    if (hi < 0 || lo < 0) {
      appendJsonString(out, s);
      return;
    }
    raw[i] = static_cast<char>((hi << 4) | lo);
  }
  out += '"';
  appendBase64(out, raw);
  out += '"';
}

/// PostgreSQL's MAXDIM: text nested deeper is not an array the server wrote.
constexpr int kMaxArrayDims = 6;

/// Parses one array literal level starting at s[i] == '{'; appends a JSON array.
bool appendArray(std::string& out, std::string_view s, size_t& i, uint32_t elem, int depth = 1) {
  if (i >= s.size() || s[i] != '{' || depth > kMaxArrayDims) {
    return false;
  }
  ++i;
  out += '[';
  if (i < s.size() && s[i] == '}') {
    ++i;
    out += ']';
    return true;
  }
  std::string item;
  while (i < s.size()) {
    if (s[i] == '{') {
      if (!appendArray(out, s, i, elem, depth + 1)) {
        return false;
      }
    } else if (s[i] == '"') {
      item.clear();
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
          ++i;
        }
        item += s[i];
      }
      if (i >= s.size()) {
        return false;
      }
      ++i;
      appendPgValue(out, elem, item);
    } else {
      size_t start = i;
      while (i < s.size() && s[i] != ',' && s[i] != '}') {
        ++i;
      }
      std::string_view raw = s.substr(start, i - start);
      if (raw == "NULL") {
        out += "null";
      } else {
        appendPgValue(out, elem, raw);
      }
    }
    if (i >= s.size()) {
      return false;
    }
    if (s[i] == '}') {
      ++i;
      out += ']';
      return true;
    }
    if (s[i] != ',') {
      return false;
    }
    ++i;
    out += ',';
  }
  return false;
}

}  // namespace

void appendJsonString(std::string& out, std::string_view s) { sdk::appendJsonQuoted(out, s); }

void appendBase64(std::string& out, std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < n) {
    uint32_t v = uint32_t{p[i]} << 16;
    if (i + 1 < n) {
      v |= uint32_t{p[i + 1]} << 8;
    }
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < n ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
}

uint32_t arrayElementType(uint32_t type_oid) {
  switch (type_oid) {
    case 1000: return oid::kBool;
    case 1001: return oid::kBytea;
    case 1002: return oid::kChar;
    case 1003: return oid::kName;
    case 1005: return oid::kInt2;
    case 1007: return oid::kInt4;
    case 1009: return oid::kText;
    case 1014: return oid::kBpchar;
    case 1015: return oid::kVarchar;
    case 1016: return oid::kInt8;
    case 1021: return oid::kFloat4;
    case 1022: return oid::kFloat8;
    case 1028: return oid::kOid;
    case 1115: return oid::kTimestamp;
    case 1182: return oid::kDate;
    case 1183: return oid::kTime;
    case 1185: return oid::kTimestamptz;
    case 1187: return oid::kInterval;
    case 1231: return oid::kNumeric;
    case 1270: return oid::kTimetz;
    case 199: return oid::kJson;
    case 2951: return oid::kUuid;
    case 3807: return oid::kJsonb;
    default: return 0;
  }
}

void appendPgValue(std::string& out, uint32_t type_oid, std::string_view text) {
  switch (type_oid) {
    case oid::kBool:
      out += text == "t" ? "true" : "false";
      return;
    case oid::kInt2:
    case oid::kInt4:
    case oid::kInt8:
    case oid::kOid:
    case oid::kFloat4:
    case oid::kFloat8:
      if (isPlainNumber(text)) {
        out.append(text);
      } else {
        appendJsonString(out, text);  // NaN, Infinity
      }
      return;
    case oid::kJson:
    case oid::kJsonb:
      out.append(text);
      return;
    case oid::kBytea:
      appendBytea(out, text);
      return;
    case oid::kTimestamptz:
      appendTimestamp(out, text, true);
      return;
    case oid::kTimestamp:
      appendTimestamp(out, text, false);
      return;
    default:
      break;
  }
  if (uint32_t elem = arrayElementType(type_oid); elem != 0) {
    std::string_view s = text;
    if (!s.empty() && s[0] == '[') {  // explicit bounds, e.g. "[0:1]={1,2}"
      size_t eq = s.find('=');
      s = eq == std::string_view::npos ? std::string_view() : s.substr(eq + 1);
    }
    size_t i = 0;
    std::string arr;
    if (appendArray(arr, s, i, elem) && i == s.size()) {
      out += arr;
      return;
    }
  }
  appendJsonString(out, text);
}

}  // namespace streamhost::pgcdc
