#include "webhook_config.h"

#include <charconv>

#include "json.h"

namespace streamhost::plugins::webhook {
namespace {

std::optional<int64_t> intOf(const std::optional<std::string>& raw, int64_t fallback) {
  if (!raw || *raw == "null") {
    return fallback;
  }
  int64_t v = 0;
  auto r = std::from_chars(raw->data(), raw->data() + raw->size(), v);
  if (r.ec != std::errc() || r.ptr != raw->data() + raw->size()) {
    return std::nullopt;
  }
  return v;
}

}  // namespace

std::optional<WebhookConfig> parseWebhookConfig(const RawConfig& raw, ConfigProblem& problem) {
  auto fail = [&](std::string field, std::string message) -> std::optional<WebhookConfig> {
    problem = {std::move(field), std::move(message)};
    return std::nullopt;
  };
  WebhookConfig c;
  if (!raw.auth || *raw.auth == "null") {
    return fail("auth", "is required: choose a scheme (scheme none must be chosen explicitly)");
  }
  auto auth = parseJson(*raw.auth);
  if (!auth) {
    return fail("auth", "must be a JSON object");
  }
  std::string field;
  std::string message;
  auto parsed = parseAuthConfig(*auth, field, message);
  if (!parsed) {
    return fail(field.empty() ? "auth" : "auth." + field, message);
  }
  c.auth = std::move(*parsed);

  if (raw.event_id && *raw.event_id != "null") {
    auto v = parseJson(*raw.event_id);
    if (!v || !v->isString()) {
      return fail("event_id", "must be a JSON pointer string such as /id");
    }
    if (!v->text.empty() && !isValidPointer(v->text)) {
      return fail("event_id", "must be a JSON pointer such as /id");
    }
    c.event_id = v->text;
  }
  auto ttl = intOf(raw.dedup_ttl_seconds, c.dedup_ttl_seconds);
  if (!ttl || *ttl <= 0) {
    return fail("dedup_ttl_seconds", "must be a positive integer");
  }
  c.dedup_ttl_seconds = *ttl;
  auto max_body = intOf(raw.max_body_bytes, c.max_body_bytes);
  if (!max_body || *max_body <= 0) {
    return fail("max_body_bytes", "must be a positive integer");
  }
  c.max_body_bytes = *max_body;
  if (raw.headers && *raw.headers != "null") {
    auto v = parseJson(*raw.headers);
    if (!v || !v->isArray()) {
      return fail("headers", "must be an array of header names");
    }
    for (const auto& h : v->items) {
      if (!h.isString() || h.text.empty()) {
        return fail("headers", "must hold non-empty header names");
      }
      c.keep_headers.push_back(h.text);
    }
  }
  if (raw.backpressure && *raw.backpressure != "null" && *raw.backpressure != "\"reject\"" &&
      *raw.backpressure != "\"queue\"") {
    return fail("backpressure", "must be reject or queue");
  }
  auto max_records = intOf(raw.max_records_per_request, c.max_records_per_request);
  if (!max_records || *max_records < 1 || *max_records > 1000000) {
    return fail("max_records_per_request", "must be between 1 and 1000000");
  }
  c.max_records_per_request = *max_records;
  auto wait = intOf(raw.max_wait_ms, 0);
  if (!wait || *wait < 0 || *wait > 60000) {
    return fail("max_wait_ms", "must be between 0 and 60000");
  }
  auto in_flight = intOf(raw.max_in_flight, 1);
  if (!in_flight || *in_flight < 1 || *in_flight > 100000) {
    return fail("max_in_flight", "must be between 1 and 100000");
  }
  return c;
}

}  // namespace streamhost::plugins::webhook
