/// @file sdk/source.hpp
/// @brief The Source base class, the ABI trampolines that wrap every callback
/// so no exception crosses the C boundary, and STREAMHOST_DEFINE_PLUGIN.
#pragma once

#include <streamhost/plugin_abi.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <streamhost/sdk/core.hpp>
#include <streamhost/sdk/host.hpp>
#include <streamhost/sdk/json.hpp>

namespace streamhost::sdk {

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

  /// @name Typed offsets and source health (ABI 1.2; called by 1.2 hosts only)
  /// Each may run on an instance that was never started; the defaults answer
  /// SH_ERR_UNSUPPORTED, which the host shows as 501.
  /// @{
  /// The typed JSON of a token this type wrote; "null" for an empty token.
  virtual std::string offsetToJson(std::string_view /*offset*/) {
    throw Error(SH_ERR_UNSUPPORTED, "this source type has no typed offsets.");
  }
  /// Checks `json` (the form offsetToJson writes) against the source and
  /// returns the token start() resumes after. Throw Error(SH_ERR_INVALID_ARGUMENT,
  /// why, "the.field") for a position the source cannot honour.
  virtual std::string offsetFromJson(std::string_view /*json*/) {
    throw Error(SH_ERR_UNSUPPORTED, "this source type has no typed offsets.");
  }
  /// Releases the position held at the source, so the next start from an
  /// empty token begins at the source's start. @returns one sentence per thing released.
  virtual std::vector<std::string> offsetReset() {
    throw Error(SH_ERR_UNSUPPORTED, "this source type cannot reset its offset.");
  }
  /// What the source keeps for this stream, given its committed token.
  virtual SourceHealth sourceHealth(std::string_view /*committed_offset*/) {
    throw Error(SH_ERR_UNSUPPORTED, "this source type does not report source health.");
  }
  /// @}

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

  static void writeOut(const std::string& text, char* out, size_t cap, size_t* out_len) {
    if (out_len != nullptr) {
      *out_len = text.size();
    }
    if (out != nullptr && text.size() <= cap && !text.empty()) {
      std::memcpy(out, text.data(), text.size());
    }
  }
  static sh_status_t offsetToJson(sh_connector_t* c, sh_str_t off, char* out, size_t cap, size_t* out_len,
                                  char* eb, size_t es) noexcept {
    return guard(eb, es, [&] { writeOut(self(c)->offsetToJson(toView(off)), out, cap, out_len); });
  }
  static sh_status_t offsetFromJson(sh_connector_t* c, sh_str_t json, char* out, size_t cap, size_t* out_len,
                                    char* field, size_t fs, char* eb, size_t es) noexcept {
    return guard(
        eb, es, [&] { writeOut(self(c)->offsetFromJson(toView(json)), out, cap, out_len); }, field, fs);
  }
  static sh_status_t offsetReset(sh_connector_t* c, char* report, size_t rs, char* eb, size_t es) noexcept {
    return guard(eb, es, [&] {
      std::string json = "[";
      for (const auto& line : self(c)->offsetReset()) {
        json += (json.size() > 1 ? "," : "") + jsonQuote(line);
      }
      json += "]";
      writeBuf(report, rs, json.size() < rs ? json : std::string("[]"));
    });
  }
  static sh_status_t sourceHealth(sh_connector_t* c, sh_str_t off, sh_source_health_t* out, char* eb,
                                  size_t es) noexcept {
    return guard(eb, es, [&] {
      if (!SH_HAS_FIELD(out, sh_source_health_t, source_len)) {
        throw Error(SH_ERR_INVALID_ARGUMENT, "source_health needs an sh_source_health_t of ABI 1.2 or later");
      }
      SourceHealth h = self(c)->sourceHealth(toView(off));
      out->level = h.level;
      out->action = h.action;
      out->retained_bytes = h.retained_bytes;
      out->budget_bytes = h.budget_bytes;
      writeBuf(out->reason, out->reason_size, h.reason);
      writeOut(h.source_json.empty() ? std::string("{}") : h.source_json, out->source_json, out->source_cap,
               &out->source_len);
    });
  }

  static const sh_source_type_t* descriptor() {
    static const std::span<const sh_config_key_t> keys = T::configKeys();
    static const sh_source_type_t type = {
        sizeof(sh_source_type_t), T::kName, T::kDescription, T::kFlags, T::kConnectionType,
        keys.data(), static_cast<uint32_t>(keys.size()), &validate, &create, &start, &poll, &commit, &pause,
        &resume, &stop, &teardown, &metrics, &wakeup, &destroy, &handleRequest, &abort, &offsetToJson,
        &offsetFromJson, &offsetReset, &sourceHealth};
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
