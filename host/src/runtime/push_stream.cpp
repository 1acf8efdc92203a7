#include "runtime/push_stream.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <future>

#include "common/json_writer.h"
#include "plugins/record_batch.h"

namespace streamhost::runtime {
namespace {

Poco::Logger& logger() { return Poco::Logger::get("streamhost.runtime"); }

}  // namespace

PushOptions PushOptions::fromConfig(const std::string& config_json) {
  PushOptions o;
  try {
    auto obj = Poco::JSON::Parser().parse(config_json).extract<Poco::JSON::Object::Ptr>();
    if (obj->has("backpressure")) {
      o.queue = obj->getValue<std::string>("backpressure") == "queue";
    }
    if (obj->has("max_wait_ms")) {
      o.max_wait = std::chrono::milliseconds(obj->getValue<int64_t>("max_wait_ms"));
    }
    if (obj->has("max_in_flight")) {
      o.max_in_flight = std::max<int64_t>(1, obj->getValue<int64_t>("max_in_flight"));
    }
  } catch (const Poco::Exception& e) {
    logger().warning("push options unreadable, defaults apply: %s", e.displayText());
  }
  return o;
}

PushStream::PushStream(std::string stream_id, plugins::ConnectorPtr connector, journal::JournalSharedPtr journal,
                       std::shared_ptr<metrics::StreamMetrics> metrics, StreamCallbacks callbacks, PushOptions options,
                       const Clock& clock)
    : stream_id_(std::move(stream_id)),
      connector_(std::move(connector)),
      journal_(std::move(journal)),
      metrics_(std::move(metrics)),
      callbacks_(std::move(callbacks)),
      options_(options),
      clock_(clock),
      concurrent_((connector_->type().flags & SH_CAP_CONCURRENT_PUSH) != 0) {}

Status PushStream::start(const std::optional<std::string>& resume_offset, bool paused) {
  std::lock_guard call(call_mu_);
  Status s = connector_->start(resume_offset.value_or(""));
  if (!s) {
    metrics_->addError(clock_.nowMillis(), metrics::ErrorKind::kSource);
    if (callbacks_.on_status) {
      callbacks_.on_status("error", s.message());
    }
    return s;
  }
  {
    std::lock_guard lock(mu_);
    started_ = true;
    paused_ = paused;
    committed_ = resume_offset;
  }
  if (callbacks_.on_status) {
    callbacks_.on_status(paused ? "paused" : "running", std::nullopt);
  }
  return Status::ok();
}

Status PushStream::pause() {
  std::lock_guard lock(mu_);
  paused_ = true;
  return Status::ok();
}

Status PushStream::resume() {
  std::lock_guard lock(mu_);
  paused_ = false;
  return Status::ok();
}

std::optional<std::string> PushStream::stop(std::chrono::milliseconds timeout) {
  bool was_started = false;
  {
    std::unique_lock lock(mu_);
    stopping_ = true;
    cv_.notify_all();
    if (!cv_.wait_for(lock, timeout, [&] { return in_flight_ == 0; })) {
      logger().warning("stream=%s stop: %Ld requests still in flight", stream_id_, in_flight_);
    }
    was_started = started_;
    started_ = false;
  }
  if (was_started) {
    std::lock_guard call(call_mu_);
    if (Status s = connector_->stop(); !s) {
      logger().warning("stream=%s connector stop failed: %s", stream_id_, s.message());
    }
  }
  return committedOffset();
}

std::optional<std::string> PushStream::committedOffset() const {
  std::lock_guard lock(mu_);
  return committed_;
}

bool PushStream::paused() const {
  std::lock_guard lock(mu_);
  return paused_;
}

Status PushStream::admit() {
  std::unique_lock lock(mu_);
  auto refused = [&]() -> std::optional<Status> {
    if (stopping_ || !started_) {
      return Status(StatusCode::kInvalidState, "the stream is stopping");
    }
    if (paused_) {
      return Status(StatusCode::kInvalidState, "the stream is paused");
    }
    return std::nullopt;
  };
  if (auto r = refused()) {
    return *r;
  }
  if (in_flight_ >= options_.max_in_flight) {
    if (!options_.queue || options_.max_wait.count() <= 0) {
      return Status(StatusCode::kBackpressure, "the stream's queue is full");
    }
    bool room = cv_.wait_for(lock, options_.max_wait,
                             [&] { return in_flight_ < options_.max_in_flight || stopping_ || paused_; });
    if (auto r = refused()) {
      return *r;
    }
    if (!room || in_flight_ >= options_.max_in_flight) {
      return Status(StatusCode::kBackpressure, "the stream's queue stayed full for " +
                                                   std::to_string(options_.max_wait.count()) + " ms");
    }
  }
  ++in_flight_;
  return Status::ok();
}

void PushStream::release() {
  std::lock_guard lock(mu_);
  --in_flight_;
  cv_.notify_all();
}

Result<PushOutcome> PushStream::push(const plugins::PushRequest& request) {
  if (Status s = admit(); !s) {
    return s;
  }
  auto result = pushAdmitted(request);
  release();
  return result;
}

void PushStream::abortCall(const std::optional<std::string>& last_offset) {
  if (!last_offset) {
    return;
  }
  std::unique_lock call(call_mu_, std::defer_lock);
  if (!concurrent_) {
    call.lock();
  }
  connector_->abortPush(*last_offset);
}

void PushStream::reportJournalFailure(const Status& why) {
  // The journal takes nothing until it is reopened: the stream is in error,
  // and says why, while senders keep getting 503 and retry.
  if (callbacks_.on_status) {
    callbacks_.on_status("error", "journal append failed: " + why.message());
  }
}

Result<PushOutcome> PushStream::pushAdmitted(const plugins::PushRequest& request) {
  plugins::RecordBatch batch(options_.max_batch_records, options_.max_batch_bytes);
  std::unique_lock call(call_mu_, std::defer_lock);
  if (!concurrent_) {
    call.lock();
  }
  auto answer = connector_->handleRequest(request, batch);
  if (!answer) {
    metrics_->addError(clock_.nowMillis(), metrics::ErrorKind::kSource);
    return answer.status();
  }
  PushOutcome out{answer->http_status, answer->retry_after_seconds, std::move(answer->body), 0};
  bool success = out.http_status >= 200 && out.http_status < 300;
  if (!success || batch.empty()) {
    return out;  // a refused request's records are discarded
  }
  size_t bytes = batch.bytes();
  std::optional<std::string> last_offset = batch.lastOffset();
  const size_t record_count = batch.size();
  journal::SeqRange range;
  std::future<Status> durable;
  if (record_count > 0) {
    // Shared so the promise outlives set_value() even if this thread returns first.
    auto done = std::make_shared<std::promise<Status>>();
    durable = done->get_future();
    auto appended = journal_->appendBlock(stream_id_, batch.block(), [done](const Status& s, journal::SeqRange) {
      done->set_value(s);
    });
    if (!appended) {
      metrics_->addError(clock_.nowMillis(), metrics::ErrorKind::kJournal);
      if (last_offset) {
        connector_->abortPush(*last_offset);  // `call` is still held where calls are serialised
      }
      if (appended.status().code() == StatusCode::kInvalidArgument) {
        // Too large to store: the sender's request, not the disk, is at fault.
        return PushOutcome{413, 0, "{\"error\":{\"code\":\"payload_too_large\",\"message\":" +
                                       jsonQuoted(appended.status().message()) + ",\"reason\":\"record_too_large\"}}",
                           0};
      }
      if (appended.status().code() == StatusCode::kFatal) {
        reportJournalFailure(appended.status());
      }
      return Status(StatusCode::kTransient, "journal append failed: " + appended.status().message());
    }
    range = *appended;
  }
  if (call.owns_lock()) {
    call.unlock();
  }
  if (durable.valid()) {
    if (Status s = durable.get(); !s) {
      metrics_->addError(clock_.nowMillis(), metrics::ErrorKind::kJournal);
      abortCall(last_offset);
      if (s.code() == StatusCode::kFatal) {
        reportJournalFailure(s);
      }
      return Status(StatusCode::kTransient, "journal sync failed: " + s.message());
    }
  }
  if (last_offset) {
    persistDurable(range.last, *last_offset);
  }
  int64_t now = clock_.nowMillis();
  if (record_count > 0) {
    metrics_->addEvents(now, static_cast<int64_t>(record_count), static_cast<int64_t>(bytes), now);
  }
  out.records = record_count;
  return out;
}

void PushStream::persistDurable(uint64_t seq, const std::string& offset) {
  // Durable callbacks run in journal order, so once `seq` is durable every
  // earlier range is too. The plugin hears commit(offset) only in journal
  // order and only once the offset is persisted. While one request persists,
  // others leave their offset here and answer at once; it persists the newest
  // before it returns. The stored offset is a lower bound, so it may lag a
  // request's answer by one store write.
  {
    std::lock_guard lock(commit_mu_);
    if (seq > pending_seq_) {
      pending_seq_ = seq;
      pending_offset_ = offset;
    }
    if (persisting_) {
      return;
    }
    persisting_ = true;
  }
  while (true) {
    uint64_t target = 0;
    std::string target_offset;
    {
      std::lock_guard lock(commit_mu_);
      if (pending_seq_ <= committed_seq_) {
        persisting_ = false;
        return;
      }
      target = pending_seq_;
      target_offset = pending_offset_;
    }
    if (Status s = callbacks_.on_durable(target_offset, target); !s) {
      // The records are durable; only the resume position lags. The next request retries.
      logger().warning("stream=%s persisting offset failed: %s", stream_id_, s.message());
      metrics_->addError(clock_.nowMillis(), metrics::ErrorKind::kJournal);
      std::lock_guard lock(commit_mu_);
      persisting_ = false;
      return;
    }
    {
      std::lock_guard state(mu_);
      committed_ = target_offset;
    }
    {
      std::lock_guard commit_call(call_mu_);
      if (Status c = connector_->commit(target_offset); !c) {
        logger().warning("stream=%s commit failed: %s", stream_id_, c.message());
        metrics_->addError(clock_.nowMillis(), metrics::ErrorKind::kCommit);
      }
    }
    std::lock_guard lock(commit_mu_);
    committed_seq_ = target;
  }
}

}  // namespace streamhost::runtime
