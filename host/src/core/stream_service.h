#pragma once

#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/ids.h"
#include "common/status.h"
#include "core/cursor.h"
#include "journal/journal_manager.h"
#include "metrics/metrics_registry.h"
#include "plugins/plugin_registry.h"
#include "runtime/runtime.h"
#include "store/store.h"

namespace streamhost::core {

inline constexpr const char* kStreamStatuses[] = {"created", "starting", "running", "paused", "stopped", "error"};
bool isStreamStatus(const std::string& s);

struct CreateStreamInput {
  std::string name;
  std::string source_type;
  std::string pipeline_id;
  std::optional<std::string> connection_id;
  std::string config_json = "{}";
};

struct PatchStreamInput {
  std::optional<std::string> name;
  std::optional<std::string> config_json;
};

struct StreamPage {
  std::vector<store::StreamRow> rows;
  std::optional<std::string> next_cursor;
};

struct DeleteResult {
  store::StreamRow row;
  std::vector<std::string> released;  ///< what the plugin released
  std::vector<std::string> errors;    ///< teardown errors ignored because of force
};

/// A stream's position in its source's own terms (GET/PUT/DELETE .../offsets).
struct OffsetsView {
  store::StreamRow row;
  std::string position_json = "null";     ///< the committed token as the plugin types it
  std::optional<std::string> source_json;  ///< where the source is (its end, the slot), when it can tell
  std::optional<std::string> source_error; ///< why the source could not be asked
  std::optional<std::string> previous_json;  ///< PUT/DELETE: the position before
  std::vector<std::string> released;         ///< DELETE: what the source released
};

inline constexpr const char* kHealthLevels[] = {"ok", "warning", "critical"};

/// What the last source-health check found for a stream, plus the host's view.
struct StreamHealth {
  std::string level = "ok";  ///< ok | warning | critical
  std::vector<std::string> reasons;
  int64_t retained_bytes = -1;  ///< what the source keeps for the stream; -1 unknown
  int64_t budget_bytes = -1;
  std::optional<int64_t> checked_at;
  std::optional<int64_t> position_age_ms;  ///< since the committed position last moved
  std::string position_age;                ///< the same as a sentence
};

struct StreamSummary {
  int64_t total = 0;
  std::map<std::string, int64_t> by_status;  ///< all six statuses
  std::map<std::string, int64_t> by_health;  ///< ok, warning, critical
  std::map<std::string, int64_t> by_source_type;
  bool degraded = false;
  double events_per_second = 0;
  int64_t errors_last_hour = 0;
  std::optional<double> max_lag_seconds;
};

/// Streams: validation, the lifecycle state machine, and the link between the
/// store (what is persisted) and the runtime (what runs). Every state change
/// is persisted before it is returned.
class StreamService {
 public:
  StreamService(store::Store& store, plugins::PluginRegistry& registry, runtime::Runtime& runtime,
                journal::JournalManager& journals, metrics::MetricsRegistry& metrics, IdGenerator& ids,
                const Clock& clock, const CursorCodec& cursors);

  Result<store::StreamRow> create(const CreateStreamInput& input);
  Result<store::StreamRow> get(const std::string& id);
  Result<StreamPage> list(const store::StreamFilter& filter, const std::optional<std::string>& cursor, int limit);
  Result<store::StreamRow> patch(const std::string& id, const PatchStreamInput& input);
  Result<DeleteResult> remove(const std::string& id, bool force);

  Result<store::StreamRow> start(const std::string& id);
  Result<store::StreamRow> stop(const std::string& id);
  Result<store::StreamRow> pause(const std::string& id);
  Result<store::StreamRow> resume(const std::string& id);

  Result<StreamSummary> summary();

  /// The committed position, typed by the plugin, and where the source is.
  Result<OffsetsView> offsets(const std::string& id);
  /// Sets the committed position (created, stopped or paused streams only);
  /// `actor` (the API key's name) goes into the log with both positions.
  Result<OffsetsView> setOffsets(const std::string& id, const std::string& typed_json, const std::string& actor);
  /// Resets to the source's start (a new snapshot, start_from).
  Result<OffsetsView> resetOffsets(const std::string& id, const std::string& actor);

  /// One round of source-health checks: every stream whose type reports it
  /// and that may hold a position at its source (anything but created), run
  /// on an instance that is never started. Applies the plugin's action when
  /// a budget is exceeded.
  void checkSourceHealth();
  /// The stream's health: the last check's findings, its status, its position's age.
  StreamHealth health(const store::StreamRow& row) const;

  /// Hands one ingest request to the stream's push source (see Runtime::push).
  Result<runtime::PushOutcome> push(const std::string& id, const plugins::PushRequest& request);
  /// Counts what became of an ingest request: per stream in /metrics, and in
  /// the stream's windows (requests, and errors of the matching kind).
  void countIngest(const std::string& id, runtime::IngestOutcome outcome);
  /// After a host restart: streams that were running (or starting) start again
  /// from their committed offset; paused ones stay paused.
  void resumeAfterRestart();
  /// Seals the secret config keys of streams stored before they were sealed
  /// (or whose plugin flagged a key secret since); run at start-up, after the
  /// plugins have loaded and before streams resume.
  void sealSecretsAtRest();
  /// Streams in error whose worker is still retrying a transient fault.
  std::vector<std::string> retryingStreams();
  /// At shutdown, once the workers are gone: marks those streams starting, so
  /// the next start resumes them instead of leaving them in error.
  void keepRetryingAcrossRestart(const std::vector<std::string>& ids);
  /// Persists a worker's report.
  void onWorkerStatus(const std::string& id, const std::string& status, const std::optional<std::string>& error);
  /// Config with secret values replaced, for responses.
  std::string redactedConfig(const store::StreamRow& row) const;
  /// All streams, for /metrics labels and the summary.
  Result<std::vector<store::StreamRow>> all();

  static Status validateName(const std::string& name, const std::string& field = "name");

 private:
  std::mutex& lockFor(const std::string& id);
  Status validateConfig(const plugins::SourceTypeInfo& type, const std::optional<std::string>& connection_id,
                        std::string& config_json);
  Result<std::string> connectionJson(const std::optional<std::string>& connection_id);
  Result<runtime::StreamSpec> spec(const store::StreamRow& row);
  Result<store::StreamRow> startLocked(store::StreamRow row, bool paused);
  /// Moves `row`'s committed offset up to the journal's newest durable record of the stream.
  void resumeFromJournal(store::StreamRow& row, const journal::Journal& journal);
  Status setStatus(const std::string& id, const std::string& status, const std::optional<std::string>& error,
                   bool started = false);
  /// The pipeline seq of the stream's newest durable record (0: none).
  Result<uint64_t> journalSeq(const store::StreamRow& row);
  Status checkOffsetsState(const store::StreamRow& row, const std::string& action);
  /// Paused with a live worker: stop it, so a later resume starts from the stored offset.
  Status releasePausedWorker(const store::StreamRow& row);
  void checkOne(const store::StreamRow& row, const plugins::SourceTypeInfo& type);
  void applyHealthAction(const store::StreamRow& row, const plugins::SourceHealth& h);

  store::Store& store_;
  plugins::PluginRegistry& registry_;
  runtime::Runtime& runtime_;
  journal::JournalManager& journals_;
  metrics::MetricsRegistry& metrics_;
  IdGenerator& ids_;
  const Clock& clock_;
  const CursorCodec& cursors_;
  std::array<std::mutex, 64> locks_;
  mutable std::mutex health_mu_;
  std::map<std::string, StreamHealth> health_;  ///< by stream id, from the last check
};

/// "3 hours 12 minutes", "45 seconds": a duration in its two largest units.
std::string describeDuration(int64_t ms);

/// Wait for a source to start before answering a start request.
inline constexpr std::chrono::milliseconds kStartWait{2000};

}  // namespace streamhost::core
