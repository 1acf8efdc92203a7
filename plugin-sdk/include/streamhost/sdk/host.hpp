/// @file sdk/host.hpp
/// @brief C++ wrappers over the host's services: config and connection
/// values, logging, metrics, state, and the emitter records go to.
#pragma once

#include <streamhost/plugin_abi.h>

#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <streamhost/sdk/core.hpp>
#include <streamhost/sdk/json.hpp>

namespace streamhost::sdk {

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
  /// Snapshot progress of one table, as the gauges the host shows per table
  /// (snapshot.table.<table>.rows|done|rows_estimate): rows read so far,
  /// whether it is read whole, and the server's estimate when `estimate` >= 0.
  void snapshotTable(std::string_view table, double rows, bool done, double estimate = -1) const {
    const std::string prefix = "snapshot.table." + std::string(table) + ".";
    gauge(prefix + "rows", rows);
    gauge(prefix + "done", done ? 1 : 0);
    if (estimate >= 0) {
      gauge(prefix + "rows_estimate", estimate);
    }
  }
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

/// What sourceHealth() reports (ABI 1.2, see ::sh_source_health_t).
struct SourceHealth {
  int32_t level = SH_HEALTH_OK;           ///< SH_HEALTH_*
  int32_t action = SH_HEALTH_ACTION_NONE;  ///< SH_HEALTH_ACTION_*, read at SH_HEALTH_CRITICAL
  int64_t retained_bytes = -1;
  int64_t budget_bytes = -1;
  std::string reason;       ///< sentences for an operator
  std::string source_json;  ///< a JSON object on where the source is; empty: {}
};

}  // namespace streamhost::sdk
