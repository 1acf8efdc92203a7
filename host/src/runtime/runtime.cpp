#include "runtime/runtime.h"

#include <Poco/Logger.h>

namespace streamhost::runtime {

Runtime::Runtime(plugins::PluginRegistry& registry, journal::JournalManager& journals, store::Store& store,
                 metrics::MetricsRegistry& metrics, const Clock& clock, StatusListener listener,
                 WorkerOptions options)
    : registry_(registry),
      journals_(journals),
      store_(store),
      metrics_(metrics),
      clock_(clock),
      listener_(std::move(listener)),
      options_(options) {}

Runtime::~Runtime() { stopAll(); }

Result<plugins::ConnectorPtr> Runtime::makeConnector(const StreamSpec& spec) const {
  const plugins::SourceTypeInfo* type = registry_.findSourceType(spec.row.source_type);
  if (type == nullptr) {
    return Status(StatusCode::kFatal, "no loaded plugin provides source type '" + spec.row.source_type + "'");
  }
  plugins::InstanceOptions opts;
  opts.stream_id = spec.row.id;
  opts.stream_name = spec.row.name;
  opts.config_json = spec.row.config_json;
  opts.connection_json = spec.connection_json;
  opts.state = &plugin_state_;
  const Clock* clock = &clock_;
  opts.clock = [clock] { return clock->nowMillis(); };
  return plugins::Connector::create(*type, std::move(opts));
}

Status Runtime::start(const StreamSpec& spec, std::chrono::milliseconds wait, bool paused) {
  const std::string& id = spec.row.id;
  {
    std::lock_guard lock(mu_);
    if (workers_.count(id) != 0 || push_streams_.count(id) != 0) {
      return Status::ok();
    }
  }
  auto journal = journals_.find(spec.row.pipeline_id);
  if (!journal) {
    return Status(StatusCode::kFatal, "the journal of pipeline " + spec.row.pipeline_id + " is not open");
  }
  auto connector = makeConnector(spec);
  if (!connector) {
    return connector.status();
  }
  if ((*connector)->type().isPush()) {
    return startPush(spec, std::move(*connector), std::move(journal), paused);
  }
  auto worker = std::make_shared<Worker>(id, std::move(*connector), std::move(journal), metrics_.stream(id),
                                         callbacksFor(id), options_, clock_);
  {
    std::lock_guard lock(mu_);
    if (!workers_.emplace(id, worker).second) {
      return Status::ok();
    }
  }
  worker->start(spec.row.committed_offset, paused);
  worker->waitStarted(wait);
  return Status::ok();
}

StreamCallbacks Runtime::callbacksFor(const std::string& id) const {
  StreamCallbacks callbacks;
  StatusListener listener = listener_;
  callbacks.on_status = [listener, id](const std::string& status, const std::optional<std::string>& error) {
    listener(id, status, error);
  };
  store::Store* store = &store_;
  const Clock* clock = &clock_;
  callbacks.on_durable = [store, clock, id](const std::string& offset, uint64_t journal_seq) {
    return store->setCommittedOffset(id, offset, clock->nowMillis(), journal_seq);
  };
  return callbacks;
}

Status Runtime::startPush(const StreamSpec& spec, plugins::ConnectorPtr connector, journal::JournalSharedPtr journal,
                          bool paused) {
  const std::string& id = spec.row.id;
  auto stream = std::make_shared<runtime::PushStream>(id, std::move(connector), std::move(journal), metrics_.stream(id),
                                                      callbacksFor(id),
                                                      runtime::PushOptions::fromConfig(spec.row.config_json), clock_);
  {
    std::lock_guard lock(mu_);
    if (!push_streams_.emplace(id, stream).second) {
      return Status::ok();
    }
  }
  if (Status s = stream->start(spec.row.committed_offset, paused); !s) {
    std::lock_guard lock(mu_);
    push_streams_.erase(id);  // it reported its error itself, like a worker
  }
  return Status::ok();
}

std::shared_ptr<runtime::PushStream> Runtime::findPush(const std::string& stream_id) const {
  std::lock_guard lock(mu_);
  auto it = push_streams_.find(stream_id);
  return it == push_streams_.end() ? nullptr : it->second;
}

Result<runtime::PushOutcome> Runtime::push(const std::string& stream_id, const plugins::PushRequest& request) {
  auto stream = findPush(stream_id);
  if (!stream) {
    return Status(StatusCode::kNotFound, "no push stream runs under id " + stream_id);
  }
  return stream->push(request);
}

Status Runtime::pause(const std::string& stream_id) {
  if (auto p = findPush(stream_id)) {
    Status s = p->pause();
    if (s) {
      listener_(stream_id, "paused", std::nullopt);
    }
    return s;
  }
  std::shared_ptr<Worker> w;
  {
    std::lock_guard lock(mu_);
    auto it = workers_.find(stream_id);
    if (it == workers_.end()) {
      return Status(StatusCode::kInvalidState, "the stream has no running worker");
    }
    w = it->second;
  }
  return w->pause(options_.command_timeout);
}

Status Runtime::resume(const std::string& stream_id) {
  if (auto p = findPush(stream_id)) {
    Status s = p->resume();
    if (s) {
      listener_(stream_id, "running", std::nullopt);
    }
    return s;
  }
  std::shared_ptr<Worker> w;
  {
    std::lock_guard lock(mu_);
    auto it = workers_.find(stream_id);
    if (it == workers_.end()) {
      return Status(StatusCode::kInvalidState, "the stream has no running worker");
    }
    w = it->second;
  }
  return w->resume(options_.command_timeout);
}

Status Runtime::stop(const std::string& stream_id) {
  std::shared_ptr<runtime::PushStream> push;
  {
    std::lock_guard lock(mu_);
    if (auto p = push_streams_.find(stream_id); p != push_streams_.end()) {
      push = p->second;
      push_streams_.erase(p);
    }
  }
  if (push) {
    push->stop(options_.command_timeout);
    return Status::ok();
  }
  std::shared_ptr<Worker> w;
  {
    std::lock_guard lock(mu_);
    auto it = workers_.find(stream_id);
    if (it == workers_.end()) {
      return Status::ok();
    }
    w = it->second;
    workers_.erase(it);
  }
  Status s = w->stop(options_.command_timeout);
  if (!s) {
    listener_(stream_id, "error", s.message());
  }
  return s;
}

bool Runtime::isActive(const std::string& stream_id) const {
  std::lock_guard lock(mu_);
  return workers_.count(stream_id) != 0 || push_streams_.count(stream_id) != 0;
}

bool Runtime::isRetrying(const std::string& stream_id) const {
  std::lock_guard lock(mu_);
  auto it = workers_.find(stream_id);
  return it != workers_.end() && it->second->retrying();
}

Result<std::vector<std::string>> Runtime::teardown(const StreamSpec& spec, bool force) {
  auto connector = makeConnector(spec);
  if (!connector) {
    return connector.status();
  }
  return (*connector)->teardown(force);
}

void Runtime::stopAll() {
  std::map<std::string, std::shared_ptr<Worker>> workers;
  std::map<std::string, std::shared_ptr<runtime::PushStream>> pushes;
  {
    std::lock_guard lock(mu_);
    workers.swap(workers_);
    pushes.swap(push_streams_);
  }
  for (auto& [id, p] : pushes) {
    p->stop(options_.command_timeout);
  }
  for (auto& [id, w] : workers) {
    // An abandoned worker keeps its stored status, so a restart resumes it.
    (void)w->stop(options_.command_timeout);
  }
}

}  // namespace streamhost::runtime
