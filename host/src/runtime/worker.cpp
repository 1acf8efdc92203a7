#include "runtime/worker.h"

#include <Poco/Logger.h>

#include <algorithm>

#include "plugins/record_batch.h"

namespace streamhost::runtime {
namespace {

Poco::Logger& logger() { return Poco::Logger::get("streamhost.runtime"); }

}  // namespace

Worker::Worker(std::string stream_id, plugins::ConnectorPtr connector, journal::JournalSharedPtr journal,
               std::shared_ptr<metrics::StreamMetrics> metrics, WorkerCallbacks callbacks, WorkerOptions options,
               const Clock& clock)
    : stream_id_(std::move(stream_id)),
      connector_(std::move(connector)),
      journal_(std::move(journal)),
      metrics_(std::move(metrics)),
      callbacks_(std::move(callbacks)),
      options_(options),
      clock_(clock),
      batch_(options.max_batch_records, options.max_batch_bytes) {}

Worker::~Worker() {
  // An abandoned worker is destroyed by its own thread, which is detached.
  if (thread_.joinable()) {
    (void)stop(options_.command_timeout);
    if (thread_.joinable()) {
      thread_.detach();
    }
  }
}

void Worker::start(std::optional<std::string> resume_offset, bool paused) {
  {
    std::lock_guard lock(mu_);
    committed_ = resume_offset;
  }
  thread_ = std::thread([this, resume_offset, paused] {
    run(resume_offset, paused);
    std::shared_ptr<Worker> self;
    {
      std::lock_guard lock(mu_);
      finished_ = true;
      self = std::move(keep_alive_);
      cv_.notify_all();
    }
    // `self` may be the last reference: nothing touches `this` after it goes.
  });
}

bool Worker::waitStarted(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return ready_.has_value(); });
  return ready_.value_or(false);
}

void Worker::setReady(bool ok) {
  std::lock_guard lock(mu_);
  if (!ready_) {
    ready_ = ok;
    cv_.notify_all();
  }
}

Status Worker::send(CommandType type, std::chrono::milliseconds timeout) {
  std::future<Status> done;
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) {
      return Status(StatusCode::kInvalidState, "the stream's worker is not running");
    }
    commands_.push_back(Command{type, {}});
    done = commands_.back().done.get_future();
    cv_.notify_all();
  }
  connector_->wakeup();
  if (done.wait_for(timeout) != std::future_status::ready) {
    return Status(StatusCode::kTransient, "the stream's worker did not answer within " +
                                              std::to_string(timeout.count()) + " ms");
  }
  return done.get();
}

Status Worker::pause(std::chrono::milliseconds timeout) { return send(CommandType::kPause, timeout); }
Status Worker::resume(std::chrono::milliseconds timeout) { return send(CommandType::kResume, timeout); }

Status Worker::stop(std::chrono::milliseconds timeout) {
  if (!thread_.joinable()) {
    return Status::ok();
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Status s = send(CommandType::kStop, timeout);
  std::unique_lock lock(mu_);
  cv_.wait_until(lock, deadline, [&] { return finished_; });
  if (finished_) {
    lock.unlock();
    thread_.join();
    return s.code() == StatusCode::kInvalidState ? Status::ok() : s;
  }
  // A connector call overran: leave the thread to end on its own, holding
  // this worker (and through it the connector and its plugin) alive.
  keep_alive_ = shared_from_this();
  thread_.detach();
  std::string msg = "the connector did not stop within " + std::to_string(timeout.count()) +
                    " ms; its worker was abandoned and the source may still be held until it returns";
  logger().error("stream=%s %s", stream_id_, msg);
  return Status(StatusCode::kTransient, msg);
}

bool Worker::finished() const {
  std::lock_guard lock(mu_);
  return finished_;
}

std::optional<std::string> Worker::committedOffset() const {
  std::lock_guard lock(mu_);
  return committed_;
}

bool Worker::handleCommands() {
  while (true) {
    Command cmd;
    {
      std::lock_guard lock(mu_);
      if (commands_.empty()) {
        return false;
      }
      cmd = std::move(commands_.front());
      commands_.pop_front();
    }
    switch (cmd.type) {
      case CommandType::kStop: {
        // The batch in flight is committed before the source stops.
        if (started_) {
          (void)settleInFlight();  // a failure stops the connector itself
        }
        Status s = started_ ? connector_->stop() : Status::ok();
        if (!s) {
          logger().warning("stream=%s connector stop failed: %s", stream_id_, s.message());
        }
        started_ = false;
        cmd.done.set_value(Status::ok());
        // Anyone else waiting is told the worker is gone.
        std::lock_guard lock(mu_);
        for (auto& c : commands_) {
          c.done.set_value(Status(StatusCode::kInvalidState, "the stream stopped"));
        }
        commands_.clear();
        return true;
      }
      case CommandType::kPause: {
        Status s = Status::ok();
        if (started_ && !paused_) {
          s = settleInFlight() ? connector_->pause()
                               : Status(StatusCode::kTransient, "the batch in flight could not be made durable");
        }
        if (s) {
          paused_ = true;
          callbacks_.on_status("paused", std::nullopt);
        }
        cmd.done.set_value(s);
        break;
      }
      case CommandType::kResume: {
        Status s = Status::ok();
        if (started_ && paused_) {
          s = connector_->resume();
        }
        if (s) {
          paused_ = false;
          if (started_) {
            callbacks_.on_status("running", std::nullopt);
          }
        }
        cmd.done.set_value(s);
        break;
      }
    }
  }
}

void Worker::waitForCommand(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [&] { return !commands_.empty(); });
}

void Worker::fail(const Status& status, metrics::ErrorKind kind) {
  in_flight_.reset();
  metrics_->addError(clock_.nowMillis(), kind);
  if (started_) {
    Status s = connector_->stop();
    if (!s) {
      logger().warning("stream=%s connector stop after failure: %s", stream_id_, s.message());
    }
    started_ = false;
  }
  if (status.retriable()) {
    backoff_ = backoff_.count() == 0 ? options_.backoff_initial : std::min(backoff_ * 2, options_.backoff_max);
    std::string msg = status.message() + " (retrying in " + std::to_string(backoff_.count()) + " ms)";
    logger().warning("stream=%s transient failure: %s", stream_id_, msg);
    retrying_ = true;
    callbacks_.on_status("error", msg);
  } else {
    logger().error("stream=%s failed: %s", stream_id_, status.toString());
    failed_fatal_ = true;
    callbacks_.on_status("error", status.message());
  }
  setReady(false);
}

bool Worker::commitOffset(const std::string& offset, uint64_t journal_seq) {
  if (Status ps = callbacks_.on_durable(offset, journal_seq); !ps) {
    fail(Status(StatusCode::kTransient, "persisting the offset failed: " + ps.message()), metrics::ErrorKind::kJournal);
    return false;
  }
  {
    std::lock_guard lock(mu_);
    committed_ = offset;
  }
  if (Status cs = connector_->commit(offset); !cs) {
    fail(cs, metrics::ErrorKind::kCommit);
    return false;
  }
  return true;
}

bool Worker::settleInFlight() {
  if (!in_flight_) {
    return true;
  }
  InFlight batch = std::move(*in_flight_);
  in_flight_.reset();
  Status durable;
  {
    std::unique_lock lock(batch.completion->mu);
    if (!batch.completion->done) {
      // Nothing else to do until it is durable: the group-commit delay would only add to the wait.
      lock.unlock();
      journal_->requestSync();
      lock.lock();
    }
    batch.completion->cv.wait(lock, [&] { return batch.completion->done; });
    durable = batch.completion->status;
  }
  if (!durable) {
    // Not durable: the source is not told, and restarts from the committed offset.
    // A journal whose sync failed takes nothing until it is reopened.
    StatusCode code = durable.code() == StatusCode::kFatal ? StatusCode::kFatal : StatusCode::kTransient;
    fail(Status(code, "journal append failed: " + durable.message()), metrics::ErrorKind::kJournal);
    return false;
  }
  if (batch.offset && !commitOffset(*batch.offset, batch.last_seq)) {
    return false;
  }
  int64_t now = clock_.nowMillis();
  metrics_->addEvents(now, static_cast<int64_t>(batch.records), static_cast<int64_t>(batch.bytes),
                      batch.last_ts > 0 ? batch.last_ts : now);
  return true;
}

bool Worker::pollOnce() {
  // Polls while the batch in flight syncs. The batch in flight was copied
  // into the journal when it was appended, so its buffer can be refilled.
  plugins::RecordBatch& batch = batch_;
  batch.clear();
  Status s = connector_->poll(batch, options_.max_batch_records, options_.poll_timeout_ms);
  if (!s) {
    // What is in flight may still become durable; its offset is then not
    // committed and the batch is read again: at most one batch repeats.
    in_flight_.reset();
    fail(s, metrics::ErrorKind::kSource);
    return false;
  }
  if (!settleInFlight()) {
    return false;
  }
  if (batch.empty()) {
    return true;
  }
  InFlight next;
  next.bytes = batch.bytes();
  next.offset = batch.lastOffset();
  next.records = batch.size();
  next.last_ts = batch.block().lastTs();
  if (batch.size() == 0) {
    // Only the position moved (nothing to write): commit it now, in order.
    return !next.offset || commitOffset(*next.offset, 0);
  }
  next.completion = std::make_shared<Completion>();
  auto r = journal_->appendBlock(stream_id_, batch.block(),
                            [c = next.completion](const Status& status, journal::SeqRange /*range*/) {
                              std::lock_guard lock(c->mu);
                              c->done = true;
                              c->status = status;
                              c->cv.notify_all();
                            });
  if (!r) {
    // A record the journal refuses would be refused again on every retry, and
    // a journal whose sync failed takes nothing until it is reopened.
    const StatusCode rc = r.status().code();
    StatusCode code =
        rc == StatusCode::kInvalidArgument || rc == StatusCode::kFatal ? StatusCode::kFatal : StatusCode::kTransient;
    fail(Status(code, "journal append failed: " + r.status().message()), metrics::ErrorKind::kJournal);
    return false;
  }
  next.last_seq = r->last;
  in_flight_ = std::move(next);
  return true;
}

void Worker::refreshLag() {
  auto now = clock_.steadyNow();
  if (now < next_lag_) {
    return;
  }
  next_lag_ = now + options_.lag_interval;
  metrics_->setGauges(connector_->context().gauges());
  auto lag = connector_->metrics();
  if (!lag) {
    return;
  }
  metrics::Lag l;
  if (lag->records >= 0) {
    l.records = lag->records;
  }
  if (lag->bytes >= 0) {
    l.bytes = lag->bytes;
  }
  if (lag->ms >= 0) {
    l.seconds = static_cast<double>(lag->ms) / 1000.0;
  }
  metrics_->setLag(l);
}

void Worker::run(std::optional<std::string> offset, bool start_paused) {
  paused_ = start_paused;
  while (true) {
    if (handleCommands()) {
      return;
    }
    if (failed_fatal_) {
      waitForCommand(options_.paused_tick);
      continue;
    }
    if (!started_) {
      if (backoff_.count() > 0) {
        waitForCommand(backoff_);
        if (handleCommands()) {
          return;
        }
      }
      Status s = connector_->start(committedOffset().value_or(offset.value_or("")));
      if (!s) {
        fail(s, metrics::ErrorKind::kSource);
        continue;
      }
      started_ = true;
      retrying_ = false;
      if (paused_) {
        Status ps = connector_->pause();
        if (!ps) {
          logger().warning("stream=%s pause after start failed: %s", stream_id_, ps.message());
        }
      }
      callbacks_.on_status(paused_ ? "paused" : "running", std::nullopt);
      setReady(true);
    }
    if (paused_) {
      // Lets the source answer keepalives; it emits nothing with max_records 0.
      plugins::RecordBatch idle(0, 0);
      Status s = connector_->poll(idle, 0, 0);
      if (!s) {
        fail(s, metrics::ErrorKind::kSource);
        continue;
      }
      refreshLag();  // lag keeps growing while paused
      waitForCommand(options_.paused_tick);
      continue;
    }
    if (pollOnce()) {
      backoff_ = std::chrono::milliseconds(0);
    }
    refreshLag();
  }
}

}  // namespace streamhost::runtime
