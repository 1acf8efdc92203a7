#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth.h"
#include "webhook_config.h"

namespace streamhost::plugins::webhook {

/// Durable key/value state with expiry (the host's state_get/state_put).
class StateStore {
 public:
  virtual ~StateStore() = default;
  virtual std::optional<std::string> get(const std::string& key) = 0;
  virtual void put(const std::string& key, const std::string& value, int64_t ttl_ms) = 0;
};

/// What the handler needs of one request.
struct IncomingRequest {
  std::string_view content_type;
  std::string_view body;
  HeaderLookup header;
  int64_t received_at_ms = 0;
};

/// One record to emit.
struct OutRecord {
  std::string key;  ///< the event id, or empty
  std::string value;
  std::string offset;
  int64_t ts_ms = 0;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// The answer to a request.
struct Answer {
  int status = 202;
  int retry_after_seconds = 0;
  std::string body;
};

/// The webhook logic of one stream, apart from the ABI: authenticate, split
/// the body, drop repeated event ids, give each record a monotonic offset.
///
/// Event ids become durable only in commit(): an id is "pending" from its
/// request until the host reports that request's records durable, so a
/// request the host refuses after the plugin answered 2xx (a full queue, a
/// journal error) leaves no id behind. A repeat of a pending id is answered
/// 409 with Retry-After, never 200, because its first copy may still fail.
///
/// Offsets are "<13-digit received ms>-<10-digit counter>": they sort as text
/// in arrival order and continue after the resume offset.
/// @remark Not thread-safe; the host calls an instance from one thread at a time.
class IngestHandler {
 public:
  IngestHandler(WebhookConfig config, StateStore& state);

  /// Continues the offsets after `resume_offset` (empty or malformed: from zero).
  void start(std::string_view resume_offset);
  /// Handles one request; on 202 `out` holds the records to emit.
  Answer handle(const IncomingRequest& request, int64_t now_ms, std::vector<OutRecord>& out);
  /// The request whose last record has `offset` is durable: its ids become permanent.
  void commit(std::string_view offset, int64_t now_ms);
  /// The host did not take the request ending at `offset`: forget its ids.
  void abort(std::string_view offset);

  size_t pendingCount() const { return pending_.size(); }

 private:
  struct Pending {
    std::vector<std::string> ids;
    int64_t created_ms = 0;
  };

  std::string nextOffset(int64_t received_ms);
  void dropStale(int64_t now_ms);

  WebhookConfig config_;
  StateStore& state_;
  int64_t last_ms_ = 0;
  uint64_t counter_ = 0;
  std::map<std::string, Pending> pending_;         // by the request's last offset
  std::map<std::string, std::string> pending_ids_;  // id -> its request's last offset
};

/// A JSON error body {"error":{"code","message"}}.
std::string errorBody(std::string_view code, std::string_view message, std::string_view reason = {});

}  // namespace streamhost::plugins::webhook
