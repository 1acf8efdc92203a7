#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "journal/journal.h"
#include "metrics/stream_metrics.h"
#include "plugins/connector.h"
#include "runtime/stream_callbacks.h"

namespace streamhost::runtime {

/// How a push stream bounds the requests it holds; read from the stream's
/// config keys `backpressure`, `max_wait_ms` and `max_in_flight` when present.
struct PushOptions {
  bool queue = false;  ///< full: wait up to max_wait (queue) or refuse at once (reject)
  std::chrono::milliseconds max_wait{1000};
  int64_t max_in_flight = 64;
  size_t max_batch_records = 1 << 20;
  size_t max_batch_bytes = 256u << 20;

  /// Reads the keys above from a stream's config JSON; others keep their defaults.
  static PushOptions fromConfig(const std::string& config_json);
};

/// A push source's answer once the host has done its part.
struct PushOutcome {
  int32_t http_status = 0;
  int32_t retry_after_seconds = 0;
  std::string body;
  size_t records = 0;  ///< records made durable by this request
};

/// One running push stream: it turns requests into records through the
/// connector, appends them to the pipeline journal and answers 2xx only once
/// they are durable and their offset is persisted and committed.
///
/// Connector calls are serialized unless the type has SH_CAP_CONCURRENT_PUSH;
/// the journal append happens inside that section, so journal order is
/// offset order, while the wait for durability happens outside it, so
/// concurrent requests share one group commit.
class PushStream {
 public:
  PushStream(std::string stream_id, plugins::ConnectorPtr connector, journal::JournalSharedPtr journal,
             std::shared_ptr<metrics::StreamMetrics> metrics, StreamCallbacks callbacks, PushOptions options,
             const Clock& clock);
  PushStream(const PushStream&) = delete;
  PushStream& operator=(const PushStream&) = delete;

  /// Starts the connector after `resume_offset` and reports running, paused or error.
  Status start(const std::optional<std::string>& resume_offset, bool paused);
  /// Paused streams answer kInvalidState (503); requests in flight finish.
  Status pause();
  Status resume();
  /// Refuses new requests, waits up to `timeout` for those in flight, stops
  /// the connector. Returns the last committed offset.
  std::optional<std::string> stop(std::chrono::milliseconds timeout);

  /// Handles one request. Errors: kInvalidState (paused or stopping),
  /// kBackpressure (queue full), kTransient (journal), others from the plugin.
  Result<PushOutcome> push(const plugins::PushRequest& request);

  std::optional<std::string> committedOffset() const;
  bool paused() const;

 private:
  /// Waits for room; kBackpressure or kInvalidState when there is none.
  Status admit();
  void release();
  Result<PushOutcome> pushAdmitted(const plugins::PushRequest& request);
  /// Tells the plugin a call's records were not made durable (takes call_mu_ when calls are serialised).
  void abortCall(const std::optional<std::string>& last_offset);
  /// Reports the stream in error after its journal failed for good.
  void reportJournalFailure(const Status& why);

  const std::string stream_id_;
  plugins::ConnectorPtr connector_;
  journal::JournalSharedPtr journal_;
  std::shared_ptr<metrics::StreamMetrics> metrics_;
  StreamCallbacks callbacks_;
  const PushOptions options_;
  const Clock& clock_;
  const bool concurrent_;

  std::mutex call_mu_;    // one connector call at a time
  /// Persists the newest durable offset and commits it to the plugin, for
  /// this request and any that became durable meanwhile (one store write
  /// serves many concurrent requests).
  void persistDurable(uint64_t seq, const std::string& offset);

  std::mutex commit_mu_;  // persisted offsets only move forward
  uint64_t committed_seq_ = 0;  // guarded by commit_mu_
  uint64_t pending_seq_ = 0;    // guarded by commit_mu_: newest durable, not yet persisted
  std::string pending_offset_;  // guarded by commit_mu_
  bool persisting_ = false;     // guarded by commit_mu_: a request is persisting for all

  mutable std::mutex mu_;
  std::condition_variable cv_;
  int64_t in_flight_ = 0;                 // guarded by mu_
  bool paused_ = false;                   // guarded by mu_
  bool stopping_ = false;                 // guarded by mu_
  bool started_ = false;                  // guarded by mu_
  std::optional<std::string> committed_;  // guarded by mu_
};

}  // namespace streamhost::runtime
