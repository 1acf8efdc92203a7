#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "plugins/config_schema.h"
#include "plugins/instance_context.h"
#include "plugins/loaded_plugin.h"
#include "plugins/plugin_types.h"
#include "plugins/record_batch.h"

namespace streamhost::plugins {

/// Lag figures of an instance; -1 means the source cannot tell.
struct Lag {
  int64_t records = -1;
  int64_t bytes = -1;
  int64_t ms = -1;
};

/// An HTTP request for a push source, as the ingest route hands it over.
struct PushRequest {
  std::string method;
  std::string path;
  std::string query;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_addr;
  int64_t received_at_ms = 0;
};

/// What a source keeps for a stream (ABI 1.2 source_health).
struct SourceHealth {
  int32_t level = SH_HEALTH_OK;
  int32_t action = SH_HEALTH_ACTION_NONE;
  int64_t retained_bytes = -1;
  int64_t budget_bytes = -1;
  std::string reason;
  std::string source_json = "{}";  ///< a JSON object the plugin wrote
};

/// A push source's answer.
struct PushResult {
  int32_t http_status = 0;
  int32_t retry_after_seconds = 0;
  std::string body;
};

class Connector;
using ConnectorPtr = std::unique_ptr<Connector>;

/// One plugin instance: the `sh_connector_t*`, its type's vtable, its
/// InstanceContext and a reference that keeps the plugin loaded. Calls follow
/// the ABI's threading rule (one thread at a time, except wakeup()). Every
/// plugin status becomes a Status (Status::fromAbi) with the plugin's message.
class Connector {
 public:
  /// Makes the instance (the plugin must not touch the source yet).
  /// `options.plugin_name` is filled in from the type.
  static Result<ConnectorPtr> create(const SourceTypeInfo& type, InstanceOptions options);

  /// Full config check for a stream: the key table first, then the plugin's
  /// own validate() with a temporary context. Errors carry the bare key as field.
  /// @returns the config with defaults (and its redacted form).
  static Result<ValidatedConfig> validateConfig(const SourceTypeInfo& type, const std::string& config_json,
                                                const std::string& connection_json = {});

  ~Connector();
  Connector(const Connector&) = delete;
  Connector& operator=(const Connector&) = delete;

  Status start(std::string_view resume_offset);
  /// Appends at most `max_records` records to `batch`, waiting up to `timeout_ms`.
  Status poll(RecordBatch& batch, uint32_t max_records, int32_t timeout_ms);
  Status commit(std::string_view offset);
  Status pause();
  Status resume();
  Status stop();
  /// @returns one sentence per released resource.
  Result<std::vector<std::string>> teardown(bool force);
  Result<Lag> metrics();
  /// Interrupts a blocked poll(); any thread.
  void wakeup();
  /// Push types: turns one request into records in `batch` and an answer.
  Result<PushResult> handleRequest(const PushRequest& request, RecordBatch& batch);
  /// Push types: the call whose last offset is `last_offset` was not made
  /// durable; the plugin releases what it reserved (ABI 1.1; a no-op before).
  void abortPush(const std::string& last_offset);

  /// Typed offsets (ABI 1.2). A type without them answers kNotImplemented.
  Result<std::string> offsetToJson(std::string_view offset);
  /// Errors carry the plugin's field path (e.g. "lsn").
  Result<std::string> offsetFromJson(std::string_view json);
  /// @returns one sentence per released resource.
  Result<std::vector<std::string>> offsetReset();
  Result<SourceHealth> sourceHealth(std::string_view committed_offset);
  bool hasSourceHealth() const { return type_.vtable->source_health != nullptr; }

  const SourceTypeInfo& type() const { return type_; }
  InstanceContext& context() { return *ctx_; }

 private:
  Connector(SourceTypeInfo type, InstanceContextPtr ctx) : type_(std::move(type)), ctx_(std::move(ctx)) {}
  Status unsupported(const char* call) const;

  // type_ holds the plugin reference, so it is destroyed after the instance.
  SourceTypeInfo type_;
  InstanceContextPtr ctx_;
  sh_connector_t* instance_ = nullptr;
};

}  // namespace streamhost::plugins
