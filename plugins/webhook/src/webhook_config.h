#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth.h"

namespace streamhost::plugins::webhook {

/// A stream's webhook settings (the host itself reads backpressure, max_wait_ms and max_in_flight).
struct WebhookConfig {
  AuthConfig auth;
  std::string event_id;  ///< JSON pointer; empty: no id from the body
  int64_t dedup_ttl_seconds = 86400;
  int64_t max_body_bytes = 1 << 20;
  std::vector<std::string> keep_headers;  ///< request headers copied onto each record
  int64_t max_records_per_request = 10000;
};

/// The raw JSON texts of the config keys, as the host hands them over (absent: nullopt).
struct RawConfig {
  std::optional<std::string> auth;
  std::optional<std::string> event_id;
  std::optional<std::string> dedup_ttl_seconds;
  std::optional<std::string> max_body_bytes;
  std::optional<std::string> headers;
  std::optional<std::string> backpressure;
  std::optional<std::string> max_wait_ms;
  std::optional<std::string> max_in_flight;
  std::optional<std::string> max_records_per_request;
};

/// A config problem: the key path (e.g. "auth.secrets") and a sentence.
struct ConfigProblem {
  std::string field;
  std::string message;
};

/// Checks and reads the config; nullopt with `problem` set when it is refused.
std::optional<WebhookConfig> parseWebhookConfig(const RawConfig& raw, ConfigProblem& problem);

}  // namespace streamhost::plugins::webhook
