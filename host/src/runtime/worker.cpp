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
      clock_(clock) {}

Worker::~Worker() { stop(std::chrono::seconds(30)); }

void Worker::start(std::optional<std::string> resume_offset, bool paused) {
  {
    std::lock_guard lock(mu_);
    committed_ = resume_offset;
  }
  thread_ = std::thread([this, resume_offset, paused] { run(resume_offset, paused); });
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

std::optional<std::string> Worker::stop(std::chrono::milliseconds timeout) {
  if (thread_.joinable()) {
    Status s = send(CommandType::kStop, timeout);
    if (!s) {
      logger().warning("stream=%s stop: %s; waiting for the worker", stream_id_, s.message());
    }
    thread_.join();
  }
  return committedOffset();
}

plugins::ConnectorPtr Worker::releaseConnector() {
  if (thread_.joinable()) {
    return nullptr;
  }
  return std::move(connector_);
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
          s = connector_->pause();
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

bool Worker::pollOnce() {
  plugins::RecordBatch batch(options_.max_batch_records, options_.max_batch_bytes);
  Status s = connector_->poll(batch, options_.max_batch_records, options_.poll_timeout_ms);
  if (!s) {
    fail(s, metrics::ErrorKind::kSource);
    return false;
  }
  if (batch.empty()) {
    return true;
  }
  size_t bytes = batch.bytes();
  // takeRecords() empties the batch, offset included.
  std::optional<std::string> last_offset = batch.lastOffset();
  std::vector<Record> records = batch.takeRecords();
  int64_t last_ts = records.empty() ? 0 : records.back().ts_ms;
  uint64_t last_seq = 0;
  if (!records.empty()) {
    auto r = journal_->appendDurable(stream_id_, records);
    if (!r) {
      // Not durable: the source is not told, and restarts from the committed offset.
      // A record the journal refuses would be refused again on every retry, and
      // a journal whose sync failed takes nothing until it is reopened.
      const StatusCode rc = r.status().code();
      StatusCode code =
          rc == StatusCode::kInvalidArgument || rc == StatusCode::kFatal ? StatusCode::kFatal : StatusCode::kTransient;
      fail(Status(code, "journal append failed: " + r.status().message()), metrics::ErrorKind::kJournal);
      return false;
    }
    last_seq = r->last;
  }
  if (const auto& offset = last_offset) {
    if (Status ps = callbacks_.on_durable(*offset, last_seq); !ps) {
      fail(Status(StatusCode::kTransient, "persisting the offset failed: " + ps.message()),
           metrics::ErrorKind::kJournal);
      return false;
    }
    {
      std::lock_guard lock(mu_);
      committed_ = *offset;
    }
    if (Status cs = connector_->commit(*offset); !cs) {
      fail(cs, metrics::ErrorKind::kCommit);
      return false;
    }
  }
  int64_t now = clock_.nowMillis();
  metrics_->addEvents(now, static_cast<int64_t>(records.size()), static_cast<int64_t>(bytes),
                      last_ts > 0 ? last_ts : now);
  return true;
}

void Worker::refreshLag() {
  auto now = clock_.steadyNow();
  if (now < next_lag_) {
    return;
  }
  next_lag_ = now + options_.lag_interval;
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
