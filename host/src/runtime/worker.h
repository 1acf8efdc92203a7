#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/status.h"
#include "journal/journal.h"
#include "metrics/stream_metrics.h"
#include "runtime/stream_callbacks.h"
#include "plugins/connector.h"
#include "plugins/record_batch.h"

namespace streamhost::runtime {

struct WorkerOptions {
  uint32_t max_batch_records = 4096;
  size_t max_batch_bytes = 8 << 20;
  int32_t poll_timeout_ms = 200;
  std::chrono::milliseconds backoff_initial{200};
  std::chrono::milliseconds backoff_max{30000};
  std::chrono::milliseconds lag_interval{1000};
  std::chrono::milliseconds paused_tick{1000};
  /// How long stop(), pause() and resume() wait for the worker before giving up.
  std::chrono::milliseconds command_timeout{30000};
};

using WorkerCallbacks = StreamCallbacks;

/// One running pull stream: a thread that polls the connector and appends each
/// batch to the pipeline journal. While batch N syncs, the thread polls batch
/// N+1; before appending N+1 it waits until N is durable, persists N's offset
/// and commits it to the source. So at most one appended batch is ever
/// uncommitted (a crash repeats at most one batch) and nothing is committed
/// before it is durable. Every connector call happens on this thread; other
/// threads talk to it through commands.
class Worker : public std::enable_shared_from_this<Worker> {
 public:
  Worker(std::string stream_id, plugins::ConnectorPtr connector, journal::JournalSharedPtr journal,
         std::shared_ptr<metrics::StreamMetrics> metrics, WorkerCallbacks callbacks, WorkerOptions options,
         const Clock& clock);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Starts the thread; it starts the connector after `resume_offset` (empty: from the beginning).
  void start(std::optional<std::string> resume_offset, bool paused = false);
  /// Waits until the connector has started (or failed), at most `timeout`; true when running or paused.
  bool waitStarted(std::chrono::milliseconds timeout);
  Status pause(std::chrono::milliseconds timeout);
  Status resume(std::chrono::milliseconds timeout);
  /// Stops reading after the batch in flight is durable and committed, stops
  /// the connector and ends the thread. A worker that does not finish within
  /// `timeout` (a connector call that overruns) is abandoned: the call answers
  /// kTransient at once and the thread, keeping itself alive, ends on its own.
  /// Must be called on a Worker owned by a shared_ptr.
  Status stop(std::chrono::milliseconds timeout);
  /// Whether the thread has ended (tests; an abandoned worker ends later).
  bool finished() const;

  std::optional<std::string> committedOffset() const;
  /// In error after a transient failure and retrying with backoff (not a fatal stop).
  bool retrying() const { return retrying_ && !failed_fatal_; }

 private:
  enum class CommandType { kPause, kResume, kStop };
  struct Command {
    CommandType type;
    std::promise<Status> done;
  };

  void run(std::optional<std::string> offset, bool start_paused);
  /// Handles queued commands; returns true when the thread must end.
  bool handleCommands();
  Status send(CommandType type, std::chrono::milliseconds timeout);
  /// A failure: count it, report it, stop the connector; transient ones are retried after a backoff.
  void fail(const Status& status, metrics::ErrorKind kind);
  /// Sleeps up to `d` unless a command arrives.
  void waitForCommand(std::chrono::milliseconds d);
  bool pollOnce();
  /// The batch appended but not yet committed: its durability outcome is set
  /// by the journal's flusher.
  struct Completion {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Status status;
  };
  struct InFlight {
    std::shared_ptr<Completion> completion;
    std::optional<std::string> offset;
    size_t records = 0;
    size_t bytes = 0;
    int64_t last_ts = 0;
    uint64_t last_seq = 0;  ///< the journal seq of its last record
  };
  /// Waits for the batch in flight, then persists and commits its offset.
  /// False after a failure (already reported through fail()).
  bool settleInFlight();
  /// Persists `offset` (covering journal seq `journal_seq`, 0: no records)
  /// and commits it to the source; false after fail().
  bool commitOffset(const std::string& offset, uint64_t journal_seq);
  void refreshLag();
  void setReady(bool ok);

  const std::string stream_id_;
  plugins::ConnectorPtr connector_;
  journal::JournalSharedPtr journal_;
  std::shared_ptr<metrics::StreamMetrics> metrics_;
  WorkerCallbacks callbacks_;
  WorkerOptions options_;
  const Clock& clock_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Command> commands_;
  std::optional<std::string> committed_;  // guarded by mu_
  std::optional<bool> ready_;              // guarded by mu_: set once the first start finished
  bool finished_ = false;                  // guarded by mu_
  std::shared_ptr<Worker> keep_alive_;     // guarded by mu_: set when abandoned

  // Thread-only state.
  bool started_ = false;
  bool paused_ = false;
  std::atomic<bool> failed_fatal_{false};
  std::atomic<bool> retrying_{false};  // a transient failure is being retried
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point next_lag_{};
  std::optional<InFlight> in_flight_;
  /// Reused for every poll: its buffers stop growing after the first few batches.
  plugins::RecordBatch batch_;
  std::thread thread_;
};

using WorkerPtr = std::unique_ptr<Worker>;

}  // namespace streamhost::runtime
