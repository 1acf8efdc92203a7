#include "core/stream_service.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <functional>

#include "core/pipeline_service.h"
#include "plugins/config_schema.h"
#include "plugins/connection_tester.h"

namespace streamhost::core {
namespace {

Poco::Logger& logger() { return Poco::Logger::get("streamhost.core"); }

Status invalidState(const store::StreamRow& row, const std::string& action, const std::string& hint = {}) {
  return Status(StatusCode::kInvalidState,
                "cannot " + action + " stream " + row.id + " while it is " + row.status + (hint.empty() ? "" : "; " + hint));
}

std::string joinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    out += (out.empty() ? "" : ", ") + n;
  }
  return out.empty() ? "(none)" : out;
}

}  // namespace

bool isStreamStatus(const std::string& s) {
  return std::any_of(std::begin(kStreamStatuses), std::end(kStreamStatuses), [&](const char* k) { return s == k; });
}

StreamService::StreamService(store::Store& store, plugins::PluginRegistry& registry, runtime::Runtime& runtime,
                             journal::JournalManager& journals, metrics::MetricsRegistry& metrics, IdGenerator& ids,
                             const Clock& clock, const CursorCodec& cursors)
    : store_(store),
      registry_(registry),
      runtime_(runtime),
      journals_(journals),
      metrics_(metrics),
      ids_(ids),
      clock_(clock),
      cursors_(cursors) {}

std::mutex& StreamService::lockFor(const std::string& id) { return locks_[std::hash<std::string>{}(id) % locks_.size()]; }

Status StreamService::validateName(const std::string& name, const std::string& field) {
  if (name.empty() || name.size() > 128) {
    return invalidArgument("must be 1 to 128 characters long", field);
  }
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) {
      return invalidArgument("may contain only letters, digits, '_', '.' and '-'", field);
    }
  }
  return Status::ok();
}

Result<std::string> StreamService::connectionJson(const std::optional<std::string>& connection_id) {
  if (!connection_id) {
    return std::string();
  }
  auto conn = store_.getConnection(*connection_id);
  if (!conn) {
    return conn.status();
  }
  return plugins::connectionJson(conn->config_json, conn->secrets);
}

Status StreamService::validateConfig(const plugins::SourceTypeInfo& type,
                                     const std::optional<std::string>& connection_id, std::string& config_json) {
  auto conn = connectionJson(connection_id);
  if (!conn) {
    return conn.status();
  }
  auto validated = plugins::Connector::validateConfig(type, config_json, *conn);
  if (!validated) {
    const Status& s = validated.status();
    std::string field = s.field().empty() ? "config" : "config." + s.field();
    return Status(s.code() == StatusCode::kInvalidConfig ? StatusCode::kInvalidArgument : s.code(), s.message(),
                  field);
  }
  config_json = validated->json;
  return Status::ok();
}

Result<store::StreamRow> StreamService::create(const CreateStreamInput& in) {
  if (Status s = validateName(in.name); !s) {
    return s;
  }
  const plugins::SourceTypeInfo* type = registry_.findSourceType(in.source_type);
  if (type == nullptr) {
    return invalidArgument("unknown source type '" + in.source_type +
                               "'; available: " + joinNames(registry_.sourceTypeNames()),
                           "sourceType");
  }
  auto pipeline = store_.getPipeline(in.pipeline_id);
  if (!pipeline) {
    return invalidArgument("pipeline '" + in.pipeline_id + "' does not exist", "pipelineId");
  }
  if (in.connection_id) {
    auto conn = store_.getConnection(*in.connection_id);
    if (!conn) {
      return invalidArgument("connection '" + *in.connection_id + "' does not exist", "connectionId");
    }
    if (type->connection_type.empty()) {
      return invalidArgument("source type '" + type->name + "' takes no connection", "connectionId");
    }
    if (conn->type != type->connection_type) {
      return invalidArgument("source type '" + type->name + "' needs a connection of type '" + type->connection_type +
                                 "', not '" + conn->type + "'",
                             "connectionId");
    }
  } else if (type->needsConnection()) {
    return invalidArgument("source type '" + type->name + "' needs a connection of type '" + type->connection_type +
                               "'",
                           "connectionId");
  }
  std::string config = in.config_json;
  if (Status s = validateConfig(*type, in.connection_id, config); !s) {
    return s;
  }
  store::StreamRow row;
  row.id = ids_.next("str_");
  row.name = in.name;
  row.source_type = in.source_type;
  row.pipeline_id = in.pipeline_id;
  row.connection_id = in.connection_id;
  row.config_json = config;
  row.secret_keys = plugins::ConfigSchema(type->config_keys).secretKeysIn(config);
  row.status = "created";
  row.created_at = row.updated_at = clock_.nowMillis();
  if (Status s = store_.createStream(row); !s) {
    if (s.code() == StatusCode::kAlreadyExists) {
      return Status(StatusCode::kAlreadyExists, "a stream named '" + in.name + "' already exists", "name");
    }
    return s;
  }
  logger().information("stream created id=%s name=%s source_type=%s", row.id, row.name, row.source_type);
  return row;
}

Result<store::StreamRow> StreamService::get(const std::string& id) { return store_.getStream(id); }

Result<StreamPage> StreamService::list(const store::StreamFilter& filter, const std::optional<std::string>& cursor,
                                       int limit) {
  std::string scope = "streams|" + filter.status.value_or("") + "|" + filter.source_type.value_or("") + "|" +
                      filter.pipeline_id.value_or("");
  std::optional<store::PageKey> after;
  if (cursor) {
    auto key = cursors_.decode(*cursor, scope);
    if (!key) {
      return key.status();
    }
    after = *key;
  }
  // One extra row tells whether there is a next page.
  auto rows = store_.listStreams(filter, after, limit + 1);
  if (!rows) {
    return rows.status();
  }
  StreamPage page;
  page.rows = std::move(*rows);
  if (static_cast<int>(page.rows.size()) > limit) {
    page.rows.resize(static_cast<size_t>(limit));
    const auto& last = page.rows.back();
    page.next_cursor = cursors_.encode(store::PageKey{last.created_at, last.id}, scope);
  }
  return page;
}

Result<store::StreamRow> StreamService::patch(const std::string& id, const PatchStreamInput& in) {
  std::lock_guard lock(lockFor(id));
  auto row = store_.getStream(id);
  if (!row) {
    return row.status();
  }
  if (row->status == "running" || row->status == "starting" || row->status == "paused" ||
      (row->status == "error" && runtime_.isRetrying(id))) {
    // A stream in error that is still retrying would keep using its old config.
    return invalidState(*row, "change", "stop it first");
  }
  if (in.name) {
    if (Status s = validateName(*in.name); !s) {
      return s;
    }
    row->name = *in.name;
  }
  if (in.config_json) {
    const plugins::SourceTypeInfo* type = registry_.findSourceType(row->source_type);
    if (type == nullptr) {
      return Status(StatusCode::kInvalidState,
                    "no loaded plugin provides source type '" + row->source_type + "', so its config cannot be checked");
    }
    plugins::ConfigSchema schema(type->config_keys);
    // A config read back from GET carries "***" for its secrets; those (and
    // secrets left out) keep their stored values.
    std::string config = schema.keepStoredSecrets(*in.config_json, row->config_json);
    if (Status s = validateConfig(*type, row->connection_id, config); !s) {
      return s;
    }
    row->config_json = config;
    row->secret_keys = schema.secretKeysIn(config);
  }
  row->updated_at = clock_.nowMillis();
  if (Status s = store_.updateStream(*row); !s) {
    if (s.code() == StatusCode::kAlreadyExists) {
      return Status(StatusCode::kAlreadyExists, "a stream named '" + row->name + "' already exists", "name");
    }
    return s;
  }
  return row;
}

Result<runtime::StreamSpec> StreamService::spec(const store::StreamRow& row) {
  auto conn = connectionJson(row.connection_id);
  if (!conn) {
    return conn.status();
  }
  return runtime::StreamSpec{row, *conn};
}

Status StreamService::setStatus(const std::string& id, const std::string& status,
                                const std::optional<std::string>& error, bool started) {
  int64_t now = clock_.nowMillis();
  return store_.setStreamStatus(id, status, error, started ? std::optional<int64_t>(now) : std::nullopt, now);
}

void StreamService::onWorkerStatus(const std::string& id, const std::string& status,
                                   const std::optional<std::string>& error) {
  Status s = setStatus(id, status, error);
  if (!s && s.code() != StatusCode::kNotFound) {
    logger().error("stream=%s cannot persist status %s: %s", id, status, s.message());
  }
}

void StreamService::resumeFromJournal(store::StreamRow& row, const journal::Journal& journal) {
  // The stored offset is written without a sync; after a power cut it can lag
  // what the journal holds durably. The journal's own records win when newer.
  auto mark = journal.lastDurable(row.id);
  if (!mark || mark->seq <= row.committed_seq) {
    return;
  }
  logger().information("stream=%s resumes after offset=%s of journal seq %Lu (the store had %s at seq %Lu)", row.id,
                       mark->offset, static_cast<Poco::UInt64>(mark->seq), row.committed_offset.value_or("(start)"),
                       static_cast<Poco::UInt64>(row.committed_seq));
  row.committed_offset = mark->offset;
  row.committed_seq = mark->seq;
  if (Status s = store_.setCommittedOffset(row.id, mark->offset, clock_.nowMillis(), mark->seq); !s) {
    logger().warning("stream=%s cannot store the offset recovered from the journal: %s", row.id, s.message());
  }
}

Result<store::StreamRow> StreamService::startLocked(store::StreamRow row, bool paused) {
  auto pipeline = store_.getPipeline(row.pipeline_id);
  if (!pipeline) {
    return Status(StatusCode::kInvalidState, "the stream's pipeline " + row.pipeline_id + " no longer exists");
  }
  auto journal = journals_.open(pipeline->id, static_cast<uint64_t>(pipeline->retention_max_bytes),
                                pipeline->retention_max_age_seconds,
                                static_cast<uint64_t>(PipelineService::maxRecordBytes(*pipeline)));
  if (!journal) {
    return journal.status();
  }
  resumeFromJournal(row, **journal);
  auto sp = spec(row);
  if (!sp) {
    return sp.status();
  }
  if (Status s = setStatus(row.id, paused ? "paused" : "starting", std::nullopt, true); !s) {
    return s;
  }
  Status s = runtime_.start(*sp, kStartWait, paused);
  if (!s) {
    // The connector could not even be made: the stream is in error, and says why.
    setStatus(row.id, "error", s.message());
  }
  return store_.getStream(row.id);
}

Result<store::StreamRow> StreamService::start(const std::string& id) {
  std::lock_guard lock(lockFor(id));
  auto row = store_.getStream(id);
  if (!row) {
    return row.status();
  }
  if (row->status == "starting" || row->status == "running") {
    return row;
  }
  if (row->status == "paused") {
    return invalidState(*row, "start", "use resume");
  }
  // From error: a worker may still be retrying; begin afresh.
  (void)runtime_.stop(id);
  return startLocked(std::move(*row), false);
}

Result<store::StreamRow> StreamService::stop(const std::string& id) {
  std::lock_guard lock(lockFor(id));
  auto row = store_.getStream(id);
  if (!row) {
    return row.status();
  }
  if (row->status == "stopped") {
    return row;
  }
  if (row->status == "created") {
    return invalidState(*row, "stop", "it has never been started");
  }
  if (Status st = runtime_.stop(id); !st) {
    // Abandoned: the runtime has already reported the stream `error`.
    logger().warning("stream stop overran id=%s: %s", id, st.message());
    return store_.getStream(id);
  }
  if (Status s = setStatus(id, "stopped", std::nullopt); !s) {
    return s;
  }
  logger().information("stream stopped id=%s", id);
  return store_.getStream(id);
}

Result<store::StreamRow> StreamService::pause(const std::string& id) {
  std::lock_guard lock(lockFor(id));
  auto row = store_.getStream(id);
  if (!row) {
    return row.status();
  }
  if (row->status == "paused") {
    return row;
  }
  if (row->status != "running") {
    return invalidState(*row, "pause", row->status == "starting" ? "wait until it runs" : "");
  }
  const plugins::SourceTypeInfo* type = registry_.findSourceType(row->source_type);
  if (type != nullptr && !type->supportsPause() && !type->isPush()) {
    return Status(StatusCode::kInvalidState, "source type '" + row->source_type + "' cannot pause; stop it instead");
  }
  if (Status s = runtime_.pause(id); !s) {
    if (s.code() == StatusCode::kUnsupported) {
      return Status(StatusCode::kInvalidState, s.message());
    }
    return s;
  }
  return store_.getStream(id);
}

Result<store::StreamRow> StreamService::resume(const std::string& id) {
  std::lock_guard lock(lockFor(id));
  auto row = store_.getStream(id);
  if (!row) {
    return row.status();
  }
  if (row->status == "running") {
    return row;
  }
  if (row->status != "paused") {
    return invalidState(*row, "resume", row->status == "stopped" || row->status == "created" ? "use start" : "");
  }
  if (!runtime_.isActive(id)) {
    // Paused before a host restart: nothing holds the source, so start afresh.
    auto started = startLocked(std::move(*row), false);
    return started;
  }
  if (Status s = runtime_.resume(id); !s) {
    return s;
  }
  return store_.getStream(id);
}

Result<DeleteResult> StreamService::remove(const std::string& id, bool force) {
  std::lock_guard lock(lockFor(id));
  auto row = store_.getStream(id);
  if (!row) {
    return row.status();
  }
  DeleteResult result;
  if (runtime_.isActive(id)) {
    (void)runtime_.stop(id);  // an abandoned worker is reported; teardown says what it finds
    setStatus(id, "stopped", std::nullopt);
    row = store_.getStream(id);
    if (!row) {
      return row.status();
    }
  }
  auto sp = spec(*row);
  if (sp) {
    auto released = runtime_.teardown(*sp, force);
    if (released) {
      result.released = std::move(*released);
    } else if (!force) {
      const Status& s = released.status();
      return Status(StatusCode::kConflict,
                    "teardown failed: " + s.message() + "; nothing was removed (use force=true to delete anyway)");
    } else {
      result.errors.push_back(released.status().message());
    }
  } else if (!force) {
    return Status(StatusCode::kConflict, "teardown impossible: " + sp.status().message() +
                                             "; nothing was removed (use force=true to delete anyway)");
  } else {
    result.errors.push_back(sp.status().message());
  }
  if (Status s = store_.deleteStream(id); !s) {
    return s;
  }
  metrics_.removeStream(id);
  logger().information("stream deleted id=%s force=%b released=%z", id, force, result.released.size());
  result.row = std::move(*row);
  return result;
}

Result<std::vector<store::StreamRow>> StreamService::all() {
  std::vector<store::StreamRow> out;
  std::optional<store::PageKey> after;
  while (true) {
    auto rows = store_.listStreams({}, after, 500);
    if (!rows) {
      return rows.status();
    }
    for (auto& r : *rows) {
      out.push_back(std::move(r));
    }
    if (rows->size() < 500) {
      return out;
    }
    after = store::PageKey{out.back().created_at, out.back().id};
  }
}

Result<StreamSummary> StreamService::summary() {
  auto rows = all();
  if (!rows) {
    return rows.status();
  }
  StreamSummary s;
  for (const char* st : kStreamStatuses) {
    s.by_status[st] = 0;
  }
  for (const char* h : kHealthLevels) {
    s.by_health[h] = 0;
  }
  int64_t now = clock_.nowMillis();
  int64_t events_1m = 0;
  for (const auto& r : *rows) {
    ++s.total;
    ++s.by_status[r.status];
    ++s.by_source_type[r.source_type];
    std::string level = health(r).level;
    ++s.by_health[level];
    s.degraded = s.degraded || r.status == "error" || level == "critical";
    if (auto m = metrics_.findStream(r.id)) {
      events_1m += m->snapshot(metrics::Window::k1m, now).total.events;
      s.errors_last_hour += m->snapshot(metrics::Window::k1h, now).total.errorTotal();
      if (auto lag = m->lag().seconds) {
        s.max_lag_seconds = std::max(s.max_lag_seconds.value_or(0.0), *lag);
      }
    }
  }
  s.events_per_second = static_cast<double>(events_1m) / 60.0;
  return s;
}

void StreamService::resumeAfterRestart() {
  auto rows = all();
  if (!rows) {
    logger().error("cannot list streams to resume: %s", rows.status().message());
    return;
  }
  for (auto& r : *rows) {
    if (r.status != "running" && r.status != "starting") {
      continue;
    }
    std::lock_guard lock(lockFor(r.id));
    logger().information("resuming stream id=%s from offset=%s", r.id, r.committed_offset.value_or("(start)"));
    auto started = startLocked(r, false);
    if (!started) {
      setStatus(r.id, "error", started.status().message());
    }
  }
}

void StreamService::sealSecretsAtRest() {
  auto rows = all();
  if (!rows) {
    logger().error("cannot list streams to seal their secrets: %s", rows.status().message());
    return;
  }
  for (auto& r : *rows) {
    const plugins::SourceTypeInfo* type = registry_.findSourceType(r.source_type);
    if (type == nullptr) {
      continue;  // which keys are secret is unknown until its plugin loads
    }
    std::vector<std::string> keys = plugins::ConfigSchema(type->config_keys).secretKeysIn(r.config_json);
    std::vector<std::string> sealed = r.secret_keys;
    std::sort(keys.begin(), keys.end());
    std::sort(sealed.begin(), sealed.end());
    if (keys == sealed) {
      continue;
    }
    std::lock_guard lock(lockFor(r.id));
    auto row = store_.getStream(r.id);
    if (!row) {
      continue;
    }
    row->secret_keys = keys;
    if (Status s = store_.updateStream(*row); !s) {
      logger().error("stream=%s cannot seal its config secrets: %s", r.id, s.message());
    } else {
      logger().information("stream=%s config secrets sealed at rest keys=%z", r.id, keys.size());
    }
  }
}

std::vector<std::string> StreamService::retryingStreams() {
  std::vector<std::string> out;
  auto rows = all();
  if (!rows) {
    return out;
  }
  for (const auto& r : *rows) {
    if (r.status == "error" && runtime_.isRetrying(r.id)) {
      out.push_back(r.id);
    }
  }
  return out;
}

void StreamService::keepRetryingAcrossRestart(const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    std::lock_guard lock(lockFor(id));
    auto row = store_.getStream(id);
    if (row && row->status == "error") {
      logger().information("stream id=%s was retrying; it resumes after the restart", id);
      setStatus(id, "starting", row->last_error);
    }
  }
}

std::string StreamService::redactedConfig(const store::StreamRow& row) const {
  const plugins::SourceTypeInfo* type = registry_.findSourceType(row.source_type);
  if (type == nullptr) {
    return "{}";  // which keys are secret is unknown without the plugin
  }
  return plugins::ConfigSchema(type->config_keys).redact(row.config_json);
}

Result<runtime::PushOutcome> StreamService::push(const std::string& id, const plugins::PushRequest& request) {
  return runtime_.push(id, request);
}

void StreamService::countIngest(const std::string& id, runtime::IngestOutcome outcome) {
  runtime_.ingestCounters().add(id, outcome);
  auto m = metrics_.findStream(id);
  if (!m) {
    return;
  }
  int64_t now = clock_.nowMillis();
  m->addRequest(now, outcome);
  if (outcome == runtime::IngestOutcome::kUnauthorized) {
    m->addError(now, metrics::ErrorKind::kUnauthorized);
  } else if (outcome == runtime::IngestOutcome::kRejected) {
    m->addError(now, metrics::ErrorKind::kRejected);
  } else if (outcome == runtime::IngestOutcome::kThrottled) {
    m->addError(now, metrics::ErrorKind::kThrottled);
  }
}

}  // namespace streamhost::core
