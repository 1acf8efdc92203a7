#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "runtime/ingest_counters.h"
#include "runtime/push_stream.h"
#include "runtime/store_plugin_state.h"
#include "journal/journal_manager.h"
#include "metrics/metrics_registry.h"
#include "plugins/connector.h"
#include "plugins/plugin_registry.h"
#include "runtime/worker.h"
#include "store/store.h"

namespace streamhost::runtime {

/// What the runtime needs to run one stream.
struct StreamSpec {
  store::StreamRow row;
  std::string connection_json;  ///< {"config":{...},"secrets":{...}} or empty
};

/// Called with every status a worker reports, before anything else sees it.
using StatusListener =
    std::function<void(const std::string& stream_id, const std::string& status, const std::optional<std::string>& error)>;

/// Owns the workers of running streams (one per stream).
class Runtime {
 public:
  Runtime(plugins::PluginRegistry& registry, journal::JournalManager& journals, store::Store& store,
          metrics::MetricsRegistry& metrics, const Clock& clock, StatusListener listener, WorkerOptions options = {});
  ~Runtime();

  /// Creates the connector and a worker that starts it after the committed
  /// offset. Waits up to `wait` for the source to start; the stream reports
  /// its own status either way. A push type (SH_CAP_PUSH) gets no thread: its
  /// connector is started here and requests arrive through push().
  Status start(const StreamSpec& spec, std::chrono::milliseconds wait, bool paused = false);
  Status pause(const std::string& stream_id);
  Status resume(const std::string& stream_id);
  /// Stops the worker (no-op when none) within WorkerOptions::command_timeout.
  /// A worker that overruns is abandoned: its stream is reported `error` and
  /// the answer is that error; other streams are not held up.
  Status stop(const std::string& stream_id);
  bool isActive(const std::string& stream_id) const;
  /// Whether the stream's worker is retrying a transient failure (its status is error).
  bool isRetrying(const std::string& stream_id) const;
  /// Releases what the stream holds at the source; the stream must be stopped.
  Result<std::vector<std::string>> teardown(const StreamSpec& spec, bool force);
  /// An instance of the stream's type that is never started, for calls that
  /// ask the source about the stream (typed offsets, source health) whether
  /// or not a worker runs it.
  Result<plugins::ConnectorPtr> idleConnector(const StreamSpec& spec) const { return makeConnector(spec); }
  void stopAll();

  /// Hands one ingest request to a running push stream. Errors: kNotFound
  /// (no push stream runs under that id), kInvalidState (paused or stopping),
  /// kBackpressure (its queue is full), kTransient (journal), plugin errors.
  Result<runtime::PushOutcome> push(const std::string& stream_id, const plugins::PushRequest& request);
  runtime::IngestCounters& ingestCounters() { return ingest_counters_; }


 private:
  Result<plugins::ConnectorPtr> makeConnector(const StreamSpec& spec) const;
  Status startPush(const StreamSpec& spec, plugins::ConnectorPtr connector, journal::JournalSharedPtr journal,
                   bool paused);
  std::shared_ptr<runtime::PushStream> findPush(const std::string& stream_id) const;
  /// The one path by which workers and push streams report status and offsets.
  StreamCallbacks callbacksFor(const std::string& id) const;

  plugins::PluginRegistry& registry_;
  journal::JournalManager& journals_;
  store::Store& store_;
  mutable StorePluginState plugin_state_{store_};
  metrics::MetricsRegistry& metrics_;
  const Clock& clock_;
  StatusListener listener_;
  WorkerOptions options_;

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Worker>> workers_;
  std::map<std::string, std::shared_ptr<runtime::PushStream>> push_streams_;
  runtime::IngestCounters ingest_counters_;
};

}  // namespace streamhost::runtime
