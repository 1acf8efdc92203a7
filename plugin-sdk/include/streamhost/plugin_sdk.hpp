/// @file plugin_sdk.hpp
/// @brief Optional header-only C++20 helpers over plugin_abi.h.
///
/// A source type is a class derived from streamhost::sdk::Source with a few
/// static members; a plugin is a struct naming its types; one macro exports
/// it. Every callback is wrapped so that no exception crosses the C boundary:
/// an sdk::Error becomes its status code and message, anything else becomes
/// SH_ERR_INTERNAL with the exception's text.
///
/// @code
/// class Ticker : public streamhost::sdk::Source {
///  public:
///   static constexpr const char* kName = "ticker";
///   static constexpr const char* kDescription = "Counts.";
///   static constexpr uint32_t kFlags = SH_CAP_PAUSE;
///   static constexpr const char* kConnectionType = nullptr;
///   static std::span<const sh_config_key_t> configKeys();
///   static void validate(const streamhost::sdk::Host& config);   // optional
///   Ticker(streamhost::sdk::Host host, const sh_create_args_t& args);
///   void start(std::string_view offset) override;
///   void poll(streamhost::sdk::Sink& sink, uint32_t max, int32_t timeout_ms) override;
/// };
/// struct TickerPlugin {
///   static constexpr const char* kName = "ticker";
///   static constexpr const char* kVersion = "1.0.0";
///   static constexpr const char* kDescription = "Example.";
///   using Sources = streamhost::sdk::List<Ticker>;
///   using Connections = streamhost::sdk::List<>;
/// };
/// STREAMHOST_DEFINE_PLUGIN(TickerPlugin)
/// @endcode
#pragma once

#include <streamhost/plugin_abi.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace streamhost::sdk {

/// An error with an ABI status code and, for config errors, the offending field.
class Error : public std::runtime_error {
 public:
  Error(sh_status_t code, const std::string& message, std::string field = {})
      : std::runtime_error(message), code_(code), field_(std::move(field)) {}
  sh_status_t code() const { return code_; }
  const std::string& field() const { return field_; }

 private:
  sh_status_t code_;
  std::string field_;
};

/// Throws an SH_ERR_INVALID_CONFIG error naming `field`.
[[noreturn]] inline void configError(std::string field, const std::string& message) {
  throw Error(SH_ERR_INVALID_CONFIG, message, std::move(field));
}

/// A config key table entry; use in a static array returned by configKeys().
constexpr sh_config_key_t configKey(const char* name, int32_t type, const char* default_json, uint32_t flags,
                                    const char* help) {
  return sh_config_key_t{sizeof(sh_config_key_t), name, type, flags, default_json, help};
}

inline sh_str_t toStr(std::string_view s) { return sh_str_t{s.data(), s.size()}; }
inline std::string_view toView(sh_str_t s) { return s.data ? std::string_view(s.data, s.len) : std::string_view(); }
inline sh_bytes_t toBytes(std::string_view s) {
  return sh_bytes_t{reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view toView(sh_bytes_t b) {
  return b.data ? std::string_view(reinterpret_cast<const char*>(b.data), b.len) : std::string_view();
}

/// Appends code point `cp` to `out` as UTF-8.
inline void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

namespace detail {

inline void writeBuf(char* buf, size_t size, std::string_view text) {
  if (buf == nullptr || size == 0) {
    return;
  }
  size_t n = std::min(size - 1, text.size());
  std::memcpy(buf, text.data(), n);
  buf[n] = '\0';
}


inline std::optional<uint32_t> hex4(std::string_view s, size_t at) {
  if (at + 4 > s.size()) {
    return std::nullopt;
  }
  uint32_t v = 0;
  auto r = std::from_chars(s.data() + at, s.data() + at + 4, v, 16);
  if (r.ec != std::errc() || r.ptr != s.data() + at + 4) {
    return std::nullopt;
  }
  return v;
}

}  // namespace detail

/// Decodes a JSON string literal (with quotes); nullopt when `json` is not one.
inline std::optional<std::string> parseJsonString(std::string_view json) {
  if (json.size() < 2 || json.front() != '"' || json.back() != '"') {
    return std::nullopt;
  }
  std::string out;
  for (size_t i = 1; i + 1 < json.size(); ++i) {
    char c = json[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i + 1 > json.size() - 1) {
      return std::nullopt;
    }
    switch (json[i]) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        auto cp = detail::hex4(json, i + 1);
        if (!cp) {
          return std::nullopt;
        }
        i += 4;
        uint32_t code = *cp;
        if (code >= 0xD800 && code < 0xDC00 && i + 6 < json.size() && json[i + 1] == '\\' && json[i + 2] == 'u') {
          auto lo = detail::hex4(json, i + 3);
          if (lo && *lo >= 0xDC00 && *lo < 0xE000) {
            code = 0x10000 + ((code - 0xD800) << 10) + (*lo - 0xDC00);
            i += 6;
          }
        }
        appendUtf8(out, code);
        break;
      }
      default: return std::nullopt;
    }
  }
  return out;
}

/// Decodes a JSON array of strings, e.g. a config key of type SH_CFG_ARRAY;
/// nullopt when `json` is anything else.
inline std::optional<std::vector<std::string>> parseJsonStringArray(std::string_view json) {
  auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  size_t i = 0;
  auto skip = [&] {
    while (i < json.size() && isSpace(json[i])) {
      ++i;
    }
  };
  skip();
  if (i >= json.size() || json[i] != '[') {
    return std::nullopt;
  }
  ++i;
  std::vector<std::string> out;
  skip();
  if (i < json.size() && json[i] == ']') {
    ++i;
    skip();
    return i == json.size() ? std::optional(out) : std::nullopt;
  }
  while (true) {
    skip();
    if (i >= json.size() || json[i] != '"') {
      return std::nullopt;
    }
    size_t start = i++;
    while (i < json.size() && json[i] != '"') {
      i += json[i] == '\\' ? 2 : 1;
    }
    if (i >= json.size()) {
      return std::nullopt;
    }
    auto s = parseJsonString(json.substr(start, i + 1 - start));
    if (!s) {
      return std::nullopt;
    }
    out.push_back(std::move(*s));
    ++i;
    skip();
    if (i < json.size() && json[i] == ',') {
      ++i;
      continue;
    }
    if (i < json.size() && json[i] == ']') {
      ++i;
      skip();
      return i == json.size() ? std::optional(out) : std::nullopt;
    }
    return std::nullopt;
  }
}

namespace detail {

inline void skipJsonSpace(std::string_view json, size_t& i) {
  while (i < json.size() && (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' || json[i] == '\r')) {
    ++i;
  }
}

/// Moves `i` past one JSON value whose syntax the host already checked.
inline bool skipJsonValue(std::string_view json, size_t& i) {
  int depth = 0;
  while (i < json.size()) {
    char c = json[i];
    bool scalar_end = c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (depth == 0 && scalar_end) {
      return true;
    }
    if (c == '"') {
      for (++i; i < json.size() && json[i] != '"'; i += json[i] == '\\' ? 2 : 1) {
      }
      if (i >= json.size()) {
        return false;
      }
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    }
    ++i;
    if (depth == 0 && (c == '"' || c == '}' || c == ']')) {
      return true;
    }
  }
  return depth == 0;
}

}  // namespace detail

/// Member names of one JSON object, in document order; nullopt when `json`
/// is not an object.
inline std::optional<std::vector<std::string>> jsonObjectKeys(std::string_view json) {
  size_t i = 0;
  detail::skipJsonSpace(json, i);
  if (i >= json.size() || json[i] != '{') {
    return std::nullopt;
  }
  ++i;
  std::vector<std::string> keys;
  detail::skipJsonSpace(json, i);
  if (i < json.size() && json[i] == '}') {
    return keys;
  }
  while (i < json.size()) {
    detail::skipJsonSpace(json, i);
    size_t start = i;
    if (i >= json.size() || json[i] != '"' || !detail::skipJsonValue(json, i)) {
      return std::nullopt;
    }
    auto key = parseJsonString(json.substr(start, i - start));
    detail::skipJsonSpace(json, i);
    if (!key || i >= json.size() || json[i] != ':') {
      return std::nullopt;
    }
    ++i;
    detail::skipJsonSpace(json, i);
    if (!detail::skipJsonValue(json, i)) {
      return std::nullopt;
    }
    keys.push_back(std::move(*key));
    detail::skipJsonSpace(json, i);
    if (i < json.size() && json[i] == '}') {
      return keys;
    }
    if (i >= json.size() || json[i] != ',') {
      return std::nullopt;
    }
    ++i;
  }
  return std::nullopt;
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

/// The host's services for one instance (or one validation call).
class Host {
 public:
  Host(const sh_host_api_t* api, sh_host_ctx_t* ctx) : api_(api), ctx_(ctx) {}

  const sh_host_api_t* api() const { return api_; }
  sh_host_ctx_t* ctx() const { return ctx_; }

  void log(int32_t level, std::string_view message) const {
    if (api_ && api_->log) {
      api_->log(ctx_, level, toStr(message));
    }
  }
  void info(std::string_view m) const { log(SH_LOG_INFO, m); }
  void warn(std::string_view m) const { log(SH_LOG_WARN, m); }
  void error(std::string_view m) const { log(SH_LOG_ERROR, m); }

  /// Raw JSON of a config key (default applied), nullopt when absent.
  std::optional<std::string> configJson(std::string_view key) const { return get(api_->config_get, key); }
  /// Raw JSON of a connection key (config or secret), nullopt when absent.
  std::optional<std::string> connectionJson(std::string_view key) const {
    return get(api_->connection_get, key);
  }

  std::string configString(std::string_view key, std::string_view fallback = {}) const {
    return asString(key, configJson(key), fallback);
  }
  int64_t configInt(std::string_view key, int64_t fallback = 0) const { return asInt(key, configJson(key), fallback); }
  bool configBool(std::string_view key, bool fallback = false) const {
    return asBool(key, configJson(key), fallback);
  }
  std::string connectionString(std::string_view key, std::string_view fallback = {}) const {
    return asString(key, connectionJson(key), fallback);
  }
  int64_t connectionInt(std::string_view key, int64_t fallback = 0) const {
    return asInt(key, connectionJson(key), fallback);
  }

  int64_t nowMs() const { return api_->now_ms(ctx_); }
  void gauge(std::string_view name, double value) const { api_->gauge_set(ctx_, toStr(name), value); }
  void count(std::string_view name, int64_t delta = 1) const { api_->counter_add(ctx_, toStr(name), delta); }

  std::optional<std::string> stateGet(std::string_view key) const {
    std::string buf(256, '\0');
    for (int attempt = 0; attempt < 2; ++attempt) {
      size_t len = 0;
      sh_status_t st =
          api_->state_get(ctx_, toStr(key), reinterpret_cast<uint8_t*>(buf.data()), buf.size(), &len);
      if (st == SH_ERR_NOT_FOUND) {
        return std::nullopt;
      }
      if (st != SH_OK) {
        throw Error(st, "state_get failed for key " + std::string(key));
      }
      if (len <= buf.size()) {
        buf.resize(len);
        return buf;
      }
      buf.resize(len);
    }
    throw Error(SH_ERR_INTERNAL, "state value changed size while reading");
  }
  void statePut(std::string_view key, std::string_view value, int64_t ttl_ms = 0) const {
    sh_status_t st = api_->state_put(ctx_, toStr(key), toBytes(value), ttl_ms);
    if (st != SH_OK) {
      throw Error(st, "state_put failed for key " + std::string(key));
    }
  }

 private:
  using Getter = sh_status_t (*)(sh_host_ctx_t*, sh_str_t, char*, size_t, size_t*);

  std::optional<std::string> get(Getter fn, std::string_view key) const {
    if (fn == nullptr) {
      return std::nullopt;
    }
    std::string buf(256, '\0');
    for (int attempt = 0; attempt < 2; ++attempt) {
      size_t len = 0;
      sh_status_t st = fn(ctx_, toStr(key), buf.data(), buf.size(), &len);
      if (st == SH_ERR_NOT_FOUND) {
        return std::nullopt;
      }
      if (st != SH_OK) {
        throw Error(st, "reading config key " + std::string(key) + " failed");
      }
      if (len <= buf.size()) {
        buf.resize(len);
        return buf;
      }
      buf.resize(len);
    }
    throw Error(SH_ERR_INTERNAL, "config value changed size while reading");
  }

  static std::string asString(std::string_view key, const std::optional<std::string>& json,
                              std::string_view fallback) {
    if (!json || *json == "null") {
      return std::string(fallback);
    }
    auto s = parseJsonString(*json);
    if (!s) {
      configError(std::string(key), "must be a string");
    }
    return *s;
  }
  static int64_t asInt(std::string_view key, const std::optional<std::string>& json, int64_t fallback) {
    if (!json || *json == "null") {
      return fallback;
    }
    int64_t v = 0;
    auto r = std::from_chars(json->data(), json->data() + json->size(), v);
    if (r.ec != std::errc() || r.ptr != json->data() + json->size()) {
      configError(std::string(key), "must be an integer");
    }
    return v;
  }
  static bool asBool(std::string_view key, const std::optional<std::string>& json, bool fallback) {
    if (!json || *json == "null") {
      return fallback;
    }
    if (*json == "true") {
      return true;
    }
    if (*json == "false") {
      return false;
    }
    configError(std::string(key), "must be true or false");
  }

  const sh_host_api_t* api_;
  sh_host_ctx_t* ctx_;
};

/// Where a poll or a push call hands its records.
class Emitter {
 public:
  Emitter(const sh_host_api_t* api, sh_emitter_t* emitter) : api_(api), sink_(emitter) {}

  /// @returns false when the host is full: stop emitting; this record was not taken.
  bool emit(const sh_record_t& record) {
    sh_status_t st = api_->emit(sink_, &record);
    if (st == SH_ERR_BACKPRESSURE) {
      return false;
    }
    if (st != SH_OK) {
      throw Error(st, std::string("emit failed: ") + sh_status_name(st));
    }
    return true;
  }
  bool emit(std::string_view key, std::string_view value, std::string_view offset, int32_t op = SH_OP_NONE,
            int64_t ts_ms = 0, std::span<const sh_header_t> headers = {}) {
    sh_record_t r{};
    r.struct_size = sizeof(sh_record_t);
    r.op = op;
    r.key = toBytes(key);
    r.value = toBytes(value);
    r.offset = toStr(offset);
    r.ts_ms = ts_ms;
    r.headers = headers.empty() ? nullptr : headers.data();
    r.header_count = headers.size();
    return emit(r);
  }
  /// Hands `records` in order, in one host call where the host has emit_batch
  /// (ABI 1.1) and one call per record where it does not.
  /// @returns how many were taken (a prefix); fewer than all: the host is full.
  size_t emitBatch(std::span<const sh_record_t> records) {
    if (records.empty()) {
      return 0;
    }
    if (SH_HAS_FIELD(api_, sh_host_api_t, emit_batch) && api_->emit_batch != nullptr) {
      size_t taken = 0;
      sh_status_t st = api_->emit_batch(sink_, records.data(), records.size(), &taken);
      if (st != SH_OK && st != SH_ERR_BACKPRESSURE) {
        throw Error(st, std::string("emit_batch failed: ") + sh_status_name(st));
      }
      return taken;
    }
    size_t taken = 0;
    while (taken < records.size() && emit(records[taken])) {
      ++taken;
    }
    return taken;
  }
  void checkpoint(std::string_view offset) {
    sh_status_t st = api_->checkpoint(sink_, toStr(offset));
    if (st != SH_OK) {
      throw Error(st, std::string("checkpoint failed: ") + sh_status_name(st));
    }
  }

 private:
  const sh_host_api_t* api_;
  sh_emitter_t* sink_;
};

/// @deprecated 1.0 name of Emitter.
using Sink = Emitter;

/// A read-only view of a push request.
class PushRequest {
 public:
  explicit PushRequest(const sh_push_request_t& r) : r_(r) {}
  std::string_view method() const { return toView(r_.method); }
  std::string_view path() const { return toView(r_.path); }
  std::string_view query() const { return toView(r_.query); }
  std::string_view contentType() const { return toView(r_.content_type); }
  std::string_view body() const { return toView(r_.body); }
  std::string_view remoteAddr() const { return toView(r_.remote_addr); }
  int64_t receivedAtMs() const { return r_.received_at_ms; }
  /// First header of that name (case-insensitive), nullopt when absent.
  std::optional<std::string_view> header(std::string_view name) const {
    if (r_.headers == nullptr || r_.header_count == 0) {
      return std::nullopt;
    }
    const auto* base = reinterpret_cast<const char*>(r_.headers);
    size_t stride = r_.headers[0].struct_size;
    for (size_t i = 0; i < r_.header_count; ++i) {
      const auto* h = reinterpret_cast<const sh_header_t*>(base + i * stride);
      std::string_view n = toView(h->name);
      if (n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
          })) {
        return toView(h->value);
      }
    }
    return std::nullopt;
  }

 private:
  const sh_push_request_t& r_;
};

struct PushResponse {
  int32_t status = 202;
  int32_t retry_after_seconds = 0;
  std::string body;  ///< JSON text
};

/// Lag figures; -1 means unknown.
struct Lag {
  int64_t records = -1;
  int64_t bytes = -1;
  int64_t ms = -1;
};

/// Base class of a source type's instance. The defaults answer SH_ERR_UNSUPPORTED
/// for calls a type does not need, and do nothing where nothing is a valid answer.
class Source {
 public:
  explicit Source(Host host) : host_(host) {}
  virtual ~Source() = default;
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  virtual void start(std::string_view resume_offset) = 0;
  virtual void poll(Sink& /*sink*/, uint32_t /*max_records*/, int32_t /*timeout_ms*/) {
    throw Error(SH_ERR_UNSUPPORTED, "this source type is push-based and cannot be polled");
  }
  virtual void commit(std::string_view /*offset*/) {}
  virtual void pause() { throw Error(SH_ERR_UNSUPPORTED, "this source type cannot pause"); }
  virtual void resume() { throw Error(SH_ERR_UNSUPPORTED, "this source type cannot pause"); }
  virtual void stop() {}
  /// @returns one short sentence per released resource.
  virtual std::vector<std::string> teardown(bool /*force*/) { return {}; }
  virtual Lag lag() { return {}; }
  virtual void wakeup() noexcept {}
  virtual PushResponse handleRequest(const PushRequest& /*request*/, Sink& /*sink*/) {
    throw Error(SH_ERR_UNSUPPORTED, "this source type does not accept pushed requests");
  }
  /// The records of the handleRequest() call that ended with `last_offset`
  /// were not made durable and the sender got an error: release what that
  /// call reserved. Called by 1.1 hosts only. Must not throw.
  virtual void abort(std::string_view /*last_offset*/) noexcept {}

 protected:
  const Host& host() const { return host_; }

 private:
  Host host_;
};

/// A list of types, for a plugin's Sources and Connections.
template <class... T>
struct List {};

namespace detail {

// The host table the entry was given. Plugins are built with hidden visibility
// and loaded RTLD_LOCAL, so each .so has its own copy: per plugin, not per process.
inline const sh_host_api_t*& hostApi() {
  static const sh_host_api_t* api = nullptr;
  return api;
}

template <class F>
sh_status_t guard(char* errbuf, size_t errbuf_size, F&& fn, char* field = nullptr, size_t field_size = 0) noexcept {
  try {
    fn();
    writeBuf(errbuf, errbuf_size, "");
    return SH_OK;
  } catch (const Error& e) {
    writeBuf(errbuf, errbuf_size, e.what());
    writeBuf(field, field_size, e.field());
    return e.code() == SH_OK ? SH_ERR_INTERNAL : e.code();
  } catch (const std::exception& e) {
    writeBuf(errbuf, errbuf_size, std::string("unexpected exception: ") + e.what());
    return SH_ERR_INTERNAL;
  } catch (...) {
    writeBuf(errbuf, errbuf_size, "unexpected exception of unknown type");
    return SH_ERR_INTERNAL;
  }
}

inline Source* self(sh_connector_t* c) { return reinterpret_cast<Source*>(c); }

template <class T>
concept HasValidate = requires(const Host& h) { T::validate(h); };

template <class T>
struct SourceTrampolines {
  static sh_status_t validate(sh_host_ctx_t* ctx, char* field, size_t fs, char* eb, size_t es) noexcept {
    return guard(
        eb, es,
        [&] {
          if constexpr (HasValidate<T>) {
            T::validate(Host(hostApi(), ctx));
          }
        },
        field, fs);
  }
  static sh_status_t create(const sh_create_args_t* args, sh_connector_t** out, char* eb, size_t es) noexcept {
    return guard(eb, es, [&] {
      if (args == nullptr || out == nullptr) {
        throw Error(SH_ERR_INVALID_ARGUMENT, "create needs args and out");
      }
      Source* s = new T(Host(args->host ? args->host : hostApi(), args->ctx), *args);
      *out = reinterpret_cast<sh_connector_t*>(s);
    });
  }
  static sh_status_t start(sh_connector_t* c, sh_str_t off, char* eb, size_t es) noexcept {
    return guard(eb, es, [&] { self(c)->start(toView(off)); });
  }
  static sh_status_t poll(sh_connector_t* c, sh_sink_t* sink, uint32_t max, int32_t timeout_ms, char* eb,
                          size_t es) noexcept {
    return guard(eb, es, [&] {
      Sink s(hostApi(), sink);
      self(c)->poll(s, max, timeout_ms);
    });
  }
  static sh_status_t commit(sh_connector_t* c, sh_str_t off, char* eb, size_t es) noexcept {
    return guard(eb, es, [&] { self(c)->commit(toView(off)); });
  }
  static sh_status_t pause(sh_connector_t* c, char* eb, size_t es) noexcept {
    return guard(eb, es, [&] { self(c)->pause(); });
  }
  static sh_status_t resume(sh_connector_t* c, char* eb, size_t es) noexcept {
    return guard(eb, es, [&] { self(c)->resume(); });
  }
  static sh_status_t stop(sh_connector_t* c, char* eb, size_t es) noexcept {
    return guard(eb, es, [&] { self(c)->stop(); });
  }
  static sh_status_t teardown(sh_connector_t* c, int32_t force, char* report, size_t rs, char* eb,
                              size_t es) noexcept {
    return guard(eb, es, [&] {
      std::string json = "[";
      for (const auto& line : self(c)->teardown(force != 0)) {
        json += (json.size() > 1 ? "," : "") + jsonQuote(line);
      }
      json += "]";
      writeBuf(report, rs, json.size() < rs ? json : std::string("[]"));
    });
  }
  static sh_status_t metrics(sh_connector_t* c, sh_metrics_t* out, char* eb, size_t es) noexcept {
    return guard(eb, es, [&] {
      Lag lag = self(c)->lag();
      if (out == nullptr || out->struct_size < offsetof(sh_metrics_t, lag_ms) + sizeof(int64_t)) {
        throw Error(SH_ERR_INVALID_ARGUMENT, "metrics needs an sh_metrics_t of ABI 1.0 or later");
      }
      out->lag_records = lag.records;
      out->lag_bytes = lag.bytes;
      out->lag_ms = lag.ms;
    });
  }
  static void wakeup(sh_connector_t* c) noexcept {
    try {
      self(c)->wakeup();
    } catch (...) {  // wakeup must not fail
    }
  }
  static void destroy(sh_connector_t* c) noexcept {
    try {
      delete self(c);
    } catch (...) {  // a throwing destructor must not cross the boundary
    }
  }
  static sh_status_t handleRequest(sh_connector_t* c, const sh_push_request_t* req, sh_sink_t* sink,
                                   sh_push_response_t* resp, char* eb, size_t es) noexcept {
    return guard(eb, es, [&] {
      if (req == nullptr || resp == nullptr) {
        throw Error(SH_ERR_INVALID_ARGUMENT, "handle_request needs a request and a response");
      }
      Sink s(hostApi(), sink);
      PushResponse r = self(c)->handleRequest(PushRequest(*req), s);
      resp->http_status = r.status;
      resp->retry_after_seconds = r.retry_after_seconds;
      setResponseBody(*resp, r);
    });
  }
  /// A body is never cut short: over the inline capacity it goes through
  /// response_set_body, and a 1.0 host that lacks it gets a short error instead.
  static void setResponseBody(sh_push_response_t& resp, PushResponse& r) {
    const sh_host_api_t* api = hostApi();
    if (r.body.size() > resp.body_capacity && SH_HAS_FIELD(api, sh_host_api_t, response_set_body) &&
        api->response_set_body != nullptr) {
      sh_status_t st = api->response_set_body(&resp, toStr(r.body));
      if (st != SH_OK) {
        throw Error(st, std::string("response_set_body failed: ") + sh_status_name(st));
      }
      return;
    }
    if (r.body.size() > resp.body_capacity) {
      r.body = R"({"error":{"code":"internal_error","message":"the answer is longer than this host accepts"}})";
      resp.http_status = 500;
    }
    size_t n = std::min(r.body.size(), resp.body_capacity);
    if (n > 0) {
      std::memcpy(resp.body, r.body.data(), n);
    }
    resp.body_len = n;
  }
  static void abort(sh_connector_t* c, sh_str_t last_offset) noexcept { self(c)->abort(toView(last_offset)); }

  static const sh_source_type_t* descriptor() {
    static const std::span<const sh_config_key_t> keys = T::configKeys();
    static const sh_source_type_t type = {
        sizeof(sh_source_type_t), T::kName, T::kDescription, T::kFlags, T::kConnectionType,
        keys.data(), static_cast<uint32_t>(keys.size()), &validate, &create, &start, &poll, &commit, &pause,
        &resume, &stop, &teardown, &metrics, &wakeup, &destroy, &handleRequest, &abort};
    return &type;
  }
};

template <class C>
struct ConnectionTrampolines {
  static sh_status_t test(sh_host_ctx_t* ctx, char* message, size_t ms) noexcept {
    std::string text;
    sh_status_t st = guard(message, ms, [&] { text = C::test(Host(hostApi(), ctx)); });
    if (st == SH_OK) {
      writeBuf(message, ms, text);
    }
    return st;
  }
  static const sh_connection_type_t* descriptor() {
    static const std::span<const sh_config_key_t> keys = C::configKeys();
    static const sh_connection_type_t type = {sizeof(sh_connection_type_t), C::kName, C::kDescription,
                                              keys.data(), static_cast<uint32_t>(keys.size()), &test};
    return &type;
  }
};

template <class L>
struct Descriptors;
template <class... T>
struct Descriptors<List<T...>> {
  static const std::array<const sh_source_type_t*, sizeof...(T)>& sources() {
    static const std::array<const sh_source_type_t*, sizeof...(T)> a = {SourceTrampolines<T>::descriptor()...};
    return a;
  }
  static const std::array<const sh_connection_type_t*, sizeof...(T)>& connections() {
    static const std::array<const sh_connection_type_t*, sizeof...(T)> a = {
        ConnectionTrampolines<T>::descriptor()...};
    return a;
  }
};

template <class P>
concept HasShutdown = requires { P::shutdown(); };

template <class P>
void shutdownTrampoline(void* /*opaque*/) noexcept {
  try {
    P::shutdown();
  } catch (...) {  // nothing may cross the boundary, not even at unload
  }
}

inline std::string abiText(uint32_t v) {
  return std::to_string(SH_ABI_MAJOR_OF(v)) + "." + std::to_string(SH_ABI_MINOR_OF(v));
}

template <class P>
sh_status_t entry(uint32_t host_abi_version, const sh_host_api_t* host, const sh_plugin_t** out, char* eb,
                  size_t es) noexcept {
  return guard(eb, es, [&] {
    // The plugin requires SH_ABI_REQUIRED (SH_ABI_TARGET_MINOR, default 0),
    // not the header it was compiled with: 1.1 calls are checked at run time.
    if (SH_ABI_MAJOR_OF(host_abi_version) != SH_ABI_VERSION_MAJOR ||
        SH_ABI_MINOR_OF(host_abi_version) < SH_ABI_TARGET_MINOR) {
      throw Error(SH_ERR_UNSUPPORTED, "the plugin requires ABI " + abiText(SH_ABI_REQUIRED) +
                                          " and the host provides ABI " + abiText(host_abi_version));
    }
    if (host == nullptr || out == nullptr) {
      throw Error(SH_ERR_INVALID_ARGUMENT, "entry needs a host table and an out pointer");
    }
    hostApi() = host;
    const auto& sources = Descriptors<typename P::Sources>::sources();
    const auto& connections = Descriptors<typename P::Connections>::connections();
    void (*shutdown)(void*) = nullptr;
    if constexpr (HasShutdown<P>) {
      shutdown = &shutdownTrampoline<P>;
    }
    static const sh_plugin_t plugin = {sizeof(sh_plugin_t),
                                       SH_ABI_REQUIRED,
                                       P::kName,
                                       P::kVersion,
                                       P::kDescription,
                                       sources.empty() ? nullptr : sources.data(),
                                       static_cast<uint32_t>(sources.size()),
                                       connections.empty() ? nullptr : connections.data(),
                                       static_cast<uint32_t>(connections.size()),
                                       nullptr,
                                       shutdown};
    *out = &plugin;
  });
}

}  // namespace detail
}  // namespace streamhost::sdk

/// Exports `streamhost_plugin_entry` for the plugin struct `PluginClass`.
#define STREAMHOST_DEFINE_PLUGIN(PluginClass)                                                                \
  extern "C" SH_PLUGIN_EXPORT sh_status_t streamhost_plugin_entry(uint32_t host_abi_version,                 \
                                                                  const sh_host_api_t* host,                 \
                                                                  const sh_plugin_t** out, char* errbuf,     \
                                                                  size_t errbuf_size) {                      \
    return ::streamhost::sdk::detail::entry<PluginClass>(host_abi_version, host, out, errbuf, errbuf_size); \
  }
