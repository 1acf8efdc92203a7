/// @file sdk/json.hpp
/// @brief The connectors' one JSON reader (RFC 8259, nesting at most 64 deep,
/// every value keeps its source text) and the helpers built on it: config
/// values, nested config objects checked for unknown keys, JSON pointers,
/// and quoting. Small and free of other libraries, so it can be fuzzed alone.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <streamhost/sdk/utf8.hpp>

namespace streamhost::sdk {

/// A parsed JSON value that keeps its exact source text (`raw`), so a record
/// stores what the sender sent.
struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  std::string_view raw;  ///< points into the parsed text
  std::string text;      ///< decoded string (kString)
  bool boolean = false;
  std::vector<JsonValue> items;                            ///< kArray
  std::vector<std::pair<std::string, JsonValue>> members;  ///< kObject, in order

  // Defined after the class: clang with libstdc++ would otherwise need the
  // pair<string, JsonValue> complete while JsonValue itself is not yet.
  JsonValue();
  JsonValue(const JsonValue&);
  JsonValue(JsonValue&&) noexcept;
  JsonValue& operator=(const JsonValue&);
  JsonValue& operator=(JsonValue&&) noexcept;
  ~JsonValue();

  bool isObject() const { return kind == Kind::kObject; }
  bool isArray() const { return kind == Kind::kArray; }
  bool isString() const { return kind == Kind::kString; }
  /// First member named `key`, or nullptr.
  const JsonValue* find(std::string_view key) const;
};

inline JsonValue::JsonValue() = default;
inline JsonValue::JsonValue(const JsonValue&) = default;
inline JsonValue::JsonValue(JsonValue&&) noexcept = default;
inline JsonValue& JsonValue::operator=(const JsonValue&) = default;
inline JsonValue& JsonValue::operator=(JsonValue&&) noexcept = default;
inline JsonValue::~JsonValue() = default;

/// Parses one complete JSON text (RFC 8259, nesting at most 64 deep).
/// @param error receives "offset N: reason" on failure.
inline std::optional<JsonValue> parseJson(std::string_view text, std::string* error = nullptr);

/// RFC 6901 JSON pointer ("" is the whole value); nullptr when it names nothing.
inline const JsonValue* resolvePointer(const JsonValue& root, std::string_view pointer);

/// Whether `pointer` is a syntactically valid JSON pointer.
inline bool isValidPointer(std::string_view pointer);

namespace detail {

inline constexpr int kMaxJsonDepth = 64;

class JsonParser {
 public:
  /// @param keep false: check only, building no values (no allocations).
  explicit JsonParser(std::string_view s, bool keep = true) : s_(s), keep_(keep) {}

  std::optional<JsonValue> parseAll(std::string* error) {
    JsonValue v;
    skipSpace();
    if (!value(v, 0)) {
      return fail(error);
    }
    skipSpace();
    if (pos_ != s_.size()) {
      reason_ = "unexpected text after the value";
      return fail(error);
    }
    return v;
  }

 private:
  std::optional<JsonValue> fail(std::string* error) const {
    if (error != nullptr) {
      *error = "offset " + std::to_string(pos_) + ": " + reason_;
    }
    return std::nullopt;
  }
  bool bad(const char* reason) {
    reason_ = reason;
    return false;
  }
  void skipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) {
      return bad("invalid literal");
    }
    pos_ += word.size();
    return true;
  }

  bool value(JsonValue& v, int depth) {
    if (depth > kMaxJsonDepth) {
      return bad("nesting too deep");
    }
    if (pos_ >= s_.size()) {
      return bad("unexpected end of input");
    }
    size_t start = pos_;
    bool ok = false;
    switch (s_[pos_]) {
      case '{': ok = object(v, depth); break;
      case '[': ok = array(v, depth); break;
      case '"': v.kind = JsonValue::Kind::kString; ok = string(v.text); break;
      case 't': v.kind = JsonValue::Kind::kBool; v.boolean = true; ok = literal("true"); break;
      case 'f': v.kind = JsonValue::Kind::kBool; ok = literal("false"); break;
      case 'n': v.kind = JsonValue::Kind::kNull; ok = literal("null"); break;
      default: v.kind = JsonValue::Kind::kNumber; ok = number(); break;
    }
    v.raw = s_.substr(start, pos_ - start);
    return ok;
  }

  bool digits() {
    size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      ++pos_;
    }
    return pos_ > start;
  }

  bool number() {
    if (pos_ < s_.size() && s_[pos_] == '-') {
      ++pos_;
    }
    if (pos_ < s_.size() && s_[pos_] == '0') {
      ++pos_;
    } else if (!digits()) {
      return bad("invalid value");
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (!digits()) {
        return bad("invalid number");
      }
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) {
        ++pos_;
      }
      if (!digits()) {
        return bad("invalid number");
      }
    }
    return true;
  }

  bool hex4(uint32_t& out) {
    if (pos_ + 4 > s_.size()) {
      return bad("truncated \\u escape");
    }
    out = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_++];
      out <<= 4;
      if (c >= '0' && c <= '9') {
        out |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        out |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        out |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return bad("invalid \\u escape");
      }
    }
    return true;
  }

  bool string(std::string& out) {
    ++pos_;  // opening quote
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '"') {
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return bad("control character in string");
      }
      if (c != '\\') {
        if (keep_) {
          out += c;
        }
        continue;
      }
      if (pos_ >= s_.size()) {
        break;
      }
      char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = 0;
          if (!hex4(cp)) {
            return false;
          }
          if (cp >= 0xD800 && cp < 0xDC00 && s_.substr(pos_, 2) == "\\u") {
            size_t save = pos_;
            pos_ += 2;
            uint32_t lo = 0;
            if (hex4(lo) && lo >= 0xDC00 && lo < 0xE000) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else {
              pos_ = save;
            }
          }
          appendUtf8(out, cp);
          break;
        }
        default: return bad("invalid escape");
      }
    }
    return bad("unterminated string");
  }

  bool array(JsonValue& v, int depth) {
    v.kind = JsonValue::Kind::kArray;
    ++pos_;
    skipSpace();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      skipSpace();
      JsonValue item;
      if (!value(item, depth + 1)) {
        return false;
      }
      if (keep_) {
        v.items.push_back(std::move(item));
      }
      skipSpace();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return bad("expected ',' or ']'");
    }
  }

  bool object(JsonValue& v, int depth) {
    v.kind = JsonValue::Kind::kObject;
    ++pos_;
    skipSpace();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      skipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '"') {
        return bad("expected a member name");
      }
      std::string key;
      if (!string(key)) {
        return false;
      }
      skipSpace();
      if (pos_ >= s_.size() || s_[pos_] != ':') {
        return bad("expected ':'");
      }
      ++pos_;
      skipSpace();
      JsonValue member;
      if (!value(member, depth + 1)) {
        return false;
      }
      if (keep_) {
        v.members.emplace_back(std::move(key), std::move(member));
      }
      skipSpace();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return bad("expected ',' or '}'");
    }
  }

  std::string_view s_;
  bool keep_ = true;
  size_t pos_ = 0;
  const char* reason_ = "invalid JSON";
};

}  // namespace detail

inline const JsonValue* JsonValue::find(std::string_view key) const {
  for (const auto& [k, v] : members) {
    if (k == key) {
      return &v;
    }
  }
  return nullptr;
}

inline std::optional<JsonValue> parseJson(std::string_view text, std::string* error) {
  return detail::JsonParser(text).parseAll(error);
}

inline bool isValidPointer(std::string_view pointer) {
  if (!pointer.empty() && pointer.front() != '/') {
    return false;
  }
  for (size_t i = 0; i < pointer.size(); ++i) {
    if (pointer[i] == '~' && (i + 1 >= pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1'))) {
      return false;
    }
  }
  return true;
}

inline const JsonValue* resolvePointer(const JsonValue& root, std::string_view pointer) {
  if (!isValidPointer(pointer)) {
    return nullptr;
  }
  const JsonValue* cur = &root;
  size_t pos = 0;
  while (pos < pointer.size()) {
    size_t next = pointer.find('/', pos + 1);
    std::string_view raw = pointer.substr(pos + 1, next == std::string_view::npos ? std::string_view::npos : next - pos - 1);
    std::string token;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '~') {
        token += raw[++i] == '0' ? '~' : '/';
      } else {
        token += raw[i];
      }
    }
    if (cur->isObject()) {
      cur = cur->find(token);
    } else if (cur->isArray()) {
      size_t idx = 0;
      bool ok = !token.empty() && (token == "0" || token[0] != '0');
      for (char c : token) {
        ok = ok && c >= '0' && c <= '9';
        idx = idx * 10 + static_cast<size_t>(c - '0');
      }
      cur = ok && idx < cur->items.size() ? &cur->items[idx] : nullptr;
    } else {
      cur = nullptr;
    }
    if (cur == nullptr) {
      return nullptr;
    }
    pos = next == std::string_view::npos ? pointer.size() : next;
  }
  return cur;
}

/// Whether `text` is one complete JSON text, without building it (no
/// allocation): the check for values that are only stored, not read.
/// @param error receives "offset N: reason" when it is not.
inline bool isValidJson(std::string_view text, std::string* error = nullptr) {
  return detail::JsonParser(text, false).parseAll(error).has_value();
}

/// Decodes a JSON string literal (with quotes); nullopt when `json` is not one.
inline std::optional<std::string> parseJsonString(std::string_view json) {
  auto v = parseJson(json);
  if (!v || !v->isString()) {
    return std::nullopt;
  }
  return std::move(v->text);
}

/// Decodes a JSON array of strings, e.g. a config key of type SH_CFG_ARRAY;
/// nullopt when `json` is anything else.
inline std::optional<std::vector<std::string>> parseJsonStringArray(std::string_view json) {
  auto v = parseJson(json);
  if (!v || !v->isArray()) {
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (auto& item : v->items) {
    if (!item.isString()) {
      return std::nullopt;
    }
    out.push_back(std::move(item.text));
  }
  return out;
}

/// Member names of one JSON object, in document order; nullopt when `json`
/// is not an object.
inline std::optional<std::vector<std::string>> jsonObjectKeys(std::string_view json) {
  auto v = parseJson(json);
  if (!v || !v->isObject()) {
    return std::nullopt;
  }
  std::vector<std::string> keys;
  for (auto& [k, member] : v->members) {
    keys.push_back(std::move(k));
  }
  return keys;
}

/// The first member of the JSON object `json` whose name is not in `allowed`,
/// or nullopt when every member is known (or `json` is not an object).
/// Config objects nested in a key are checked with this at every depth, so a
/// typo such as `signed_text` for `signed_payload` is refused, not ignored.
inline std::optional<std::string> unknownJsonKey(std::string_view json,
                                                 std::initializer_list<std::string_view> allowed) {
  auto keys = jsonObjectKeys(json);
  if (!keys) {
    return std::nullopt;
  }
  for (const auto& k : *keys) {
    if (std::find(allowed.begin(), allowed.end(), std::string_view(k)) == allowed.end()) {
      return k;
    }
  }
  return std::nullopt;
}

/// Appends `s` to `out` as a JSON string literal, quotes included. Bytes of
/// 0x80 and above pass through (the input is UTF-8).
inline void appendJsonQuoted(std::string& out, std::string_view s) {
  out += '"';
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      continue;
    }
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

/// Encodes `s` as a JSON string literal, quotes included.
inline std::string jsonQuote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  appendJsonQuoted(out, s);
  return out;
}

}  // namespace streamhost::sdk
