// ABI glue of the webhook plugin: config keys, the sdk::Source subclass and
// the export macro. The logic lives in ingest_handler.h.
#include <streamhost/plugin_sdk.hpp>

#include <array>

#include "ingest_handler.h"
#include "webhook_config.h"

namespace streamhost::plugins::webhook {
namespace {

constexpr std::array<sh_config_key_t, 9> kConfigKeys = {
    sdk::configKey("auth", SH_CFG_OBJECT, nullptr, SH_CFG_REQUIRED | SH_CFG_SECRET,
                   "How senders prove themselves: {scheme: github|stripe|standard|slack|hmac|bearer|none, ...}."),
    sdk::configKey("event_id", SH_CFG_STRING, "\"\"", 0,
                   "JSON pointer to each record's event id for deduplication; empty: none."),
    sdk::configKey("dedup_ttl_seconds", SH_CFG_INT, "86400", 0, "How long an event id is remembered."),
    sdk::configKey("max_body_bytes", SH_CFG_INT, "1048576", 0, "Larger bodies are answered 413."),
    sdk::configKey("headers", SH_CFG_ARRAY, "[]", 0, "Request headers kept as record headers."),
    sdk::configKey("backpressure", SH_CFG_STRING, "\"reject\"", 0,
                   "When the stream's queue is full: reject (429 at once) or queue (wait up to max_wait_ms)."),
    sdk::configKey("max_wait_ms", SH_CFG_INT, "1000", 0, "How long a queued request may wait for room."),
    sdk::configKey("max_in_flight", SH_CFG_INT, "64", 0, "Requests the stream holds at once (its queue)."),
    sdk::configKey("max_records_per_request", SH_CFG_INT, "10000", 0,
                   "A body with more records is answered 413, checked while it is parsed."),
};

WebhookConfig readConfig(const sdk::Host& host) {
  RawConfig raw;
  raw.auth = host.configJson("auth");
  raw.event_id = host.configJson("event_id");
  raw.dedup_ttl_seconds = host.configJson("dedup_ttl_seconds");
  raw.max_body_bytes = host.configJson("max_body_bytes");
  raw.headers = host.configJson("headers");
  raw.backpressure = host.configJson("backpressure");
  raw.max_wait_ms = host.configJson("max_wait_ms");
  raw.max_in_flight = host.configJson("max_in_flight");
  raw.max_records_per_request = host.configJson("max_records_per_request");
  ConfigProblem problem;
  auto config = parseWebhookConfig(raw, problem);
  if (!config) {
    sdk::configError(problem.field, problem.message);
  }
  return std::move(*config);
}

class HostState : public StateStore {
 public:
  explicit HostState(const sdk::Host& host) : host_(host) {}
  std::optional<std::string> get(const std::string& key) override { return host_.stateGet(key); }
  void put(const std::string& key, const std::string& value, int64_t ttl_ms) override {
    host_.statePut(key, value, ttl_ms);
  }

 private:
  const sdk::Host& host_;
};

class WebhookSource : public sdk::Source {
 public:
  static constexpr const char* kName = "webhook";
  static constexpr const char* kDescription =
      "Receives signed HTTP webhooks at the stream's ingest_url and stores each event once.";
  static constexpr uint32_t kFlags = SH_CAP_PUSH;
  static constexpr const char* kConnectionType = nullptr;

  static std::span<const sh_config_key_t> configKeys() { return kConfigKeys; }
  static void validate(const sdk::Host& host) { readConfig(host); }

  WebhookSource(sdk::Host host, const sh_create_args_t& /*args*/)
      : sdk::Source(host), state_(this->host()), handler_(readConfig(host), state_) {}

  void start(std::string_view resume_offset) override { handler_.start(resume_offset); }

  void commit(std::string_view offset) override { handler_.commit(offset, host().nowMs()); }

  // The host could not store the request (and answered 503): forget its ids
  // now, so the sender's retry is stored instead of answered 409 for minutes.
  void abort(std::string_view last_offset) noexcept override {
    try {
      handler_.abort(last_offset);
    } catch (...) {  // the ids then expire with the pending limit
    }
  }

  sdk::PushResponse handleRequest(const sdk::PushRequest& request, sdk::Sink& sink) override {
    IncomingRequest in;
    in.content_type = request.contentType();
    in.body = request.body();
    in.header = [&request](std::string_view name) { return request.header(name); };
    in.received_at_ms = request.receivedAtMs();
    std::vector<OutRecord> records;
    Answer answer = handler_.handle(in, host().nowMs(), records);
    for (const auto& r : records) {
      std::vector<sh_header_t> headers;
      headers.reserve(r.headers.size());
      for (const auto& [k, v] : r.headers) {
        headers.push_back(sh_header_t{sizeof(sh_header_t), sdk::toStr(k), sdk::toBytes(v)});
      }
      if (!sink.emit(r.key, r.value, r.offset, SH_OP_NONE, r.ts_ms, headers)) {
        handler_.abort(records.back().offset);
        return {413, 0, errorBody("payload_too_large", "the request holds more records than the stream takes at once")};
      }
    }
    return {answer.status, answer.retry_after_seconds, std::move(answer.body)};
  }

 private:
  HostState state_;
  IngestHandler handler_;
};

struct WebhookPlugin {
  static constexpr const char* kName = "webhook";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "Webhook ingest: a push source behind POST /ingest/{stream_id}.";
  using Sources = sdk::List<WebhookSource>;
  using Connections = sdk::List<>;
};

}  // namespace
}  // namespace streamhost::plugins::webhook

STREAMHOST_DEFINE_PLUGIN(streamhost::plugins::webhook::WebhookPlugin)
