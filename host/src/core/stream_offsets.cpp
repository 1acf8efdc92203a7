// StreamService: typed offsets (GET/PUT/DELETE .../offsets) and the periodic
// source-health check with its lag-budget actions.
#include <Poco/Logger.h>

#include <algorithm>
#include <set>

#include "core/pipeline_service.h"
#include "core/stream_service.h"

namespace streamhost::core {
namespace {

Poco::Logger& logger() { return Poco::Logger::get("streamhost.core"); }

const char* levelName(int32_t level) {
  switch (level) {
    case SH_HEALTH_WARNING: return "warning";
    case SH_HEALTH_CRITICAL: return "critical";
    default: return "ok";
  }
}

std::string plural(int64_t n, const char* unit) {
  return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
}

}  // namespace

/// "3 hours 12 minutes", "45 seconds": the two largest units.
std::string describeDuration(int64_t ms) {
  int64_t s = std::max<int64_t>(ms, 0) / 1000;
  const int64_t d = s / 86400, h = (s / 3600) % 24, m = (s / 60) % 60, sec = s % 60;
  if (d > 0) {
    return plural(d, "day") + (h > 0 ? " " + plural(h, "hour") : "");
  }
  if (h > 0) {
    return plural(h, "hour") + (m > 0 ? " " + plural(m, "minute") : "");
  }
  if (m > 0) {
    return plural(m, "minute") + (sec > 0 ? " " + plural(sec, "second") : "");
  }
  return plural(sec, "second");
}

Result<uint64_t> StreamService::journalSeq(const store::StreamRow& row) {
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
  auto mark = (*journal)->lastDurable(row.id);
  return mark ? std::max(mark->seq, row.committed_seq) : row.committed_seq;
}

Status StreamService::checkOffsetsState(const store::StreamRow& row, const std::string& action) {
  if (row.status == "created" || row.status == "stopped" || row.status == "paused") {
    return Status::ok();
  }
  return Status(StatusCode::kInvalidState, "cannot " + action + " of stream " + row.id + " while it is " + row.status +
                                               "; only while created, stopped or paused (stop it first)");
}

Status StreamService::releasePausedWorker(const store::StreamRow& row) {
  if (row.status != "paused" || !runtime_.isActive(row.id)) {
    return Status::ok();
  }
  // The worker keeps its position in memory; without it, resume starts afresh
  // from the stored offset (as after a host restart).
  if (Status s = runtime_.stop(row.id); !s) {
    return s;
  }
  return setStatus(row.id, "paused", std::nullopt);
}

Result<OffsetsView> StreamService::offsets(const std::string& id) {
  auto row = store_.getStream(id);
  if (!row) {
    return row.status();
  }
  auto sp = spec(*row);
  if (!sp) {
    return sp.status();
  }
  auto connector = runtime_.idleConnector(*sp);
  if (!connector) {
    return connector.status();
  }
  auto typed = (*connector)->offsetToJson(row->committed_offset.value_or(""));
  if (!typed) {
    return typed.status();
  }
  OffsetsView v;
  v.row = std::move(*row);
  v.position_json = *typed;
  if ((*connector)->hasSourceHealth()) {
    auto h = (*connector)->sourceHealth(v.row.committed_offset.value_or(""));
    if (h) {
      v.source_json = h->source_json;
    } else if (h.status().code() != StatusCode::kNotImplemented) {
      v.source_error = h.status().message();
    }
  }
  return v;
}

Result<OffsetsView> StreamService::setOffsets(const std::string& id, const std::string& typed_json,
                                              const std::string& actor) {
  std::lock_guard lock(lockFor(id));
  auto row = store_.getStream(id);
  if (!row) {
    return row.status();
  }
  if (Status s = checkOffsetsState(*row, "set the offsets"); !s) {
    return s;
  }
  auto sp = spec(*row);
  if (!sp) {
    return sp.status();
  }
  auto connector = runtime_.idleConnector(*sp);
  if (!connector) {
    return connector.status();
  }
  auto before = (*connector)->offsetToJson(row->committed_offset.value_or(""));
  if (!before) {
    return before.status();
  }
  if (Status s = releasePausedWorker(*row); !s) {
    return s;
  }
  auto token = (*connector)->offsetFromJson(typed_json);
  if (!token) {
    const Status& s = token.status();
    if (s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kInvalidConfig) {
      return Status(StatusCode::kInvalidArgument, s.message(), s.field().empty() ? "body" : s.field());
    }
    return s;
  }
  auto seq = journalSeq(*row);
  if (!seq) {
    return seq.status();
  }
  if (Status s = store_.setOffsetByOperator(id, *token, *seq, clock_.nowMillis()); !s) {
    return s;
  }
  auto after = (*connector)->offsetToJson(*token);
  logger().information("stream offset set id=%s key=%s old=%s new=%s", id, actor, *before,
                       after ? *after : std::string("(unreadable)"));
  connector->reset();
  auto v = offsets(id);
  if (v) {
    v->previous_json = *before;
  }
  return v;
}

Result<OffsetsView> StreamService::resetOffsets(const std::string& id, const std::string& actor) {
  std::lock_guard lock(lockFor(id));
  auto row = store_.getStream(id);
  if (!row) {
    return row.status();
  }
  if (Status s = checkOffsetsState(*row, "reset the offsets"); !s) {
    return s;
  }
  auto sp = spec(*row);
  if (!sp) {
    return sp.status();
  }
  auto connector = runtime_.idleConnector(*sp);
  if (!connector) {
    return connector.status();
  }
  auto before = (*connector)->offsetToJson(row->committed_offset.value_or(""));
  if (!before) {
    return before.status();
  }
  if (Status s = releasePausedWorker(*row); !s) {
    return s;
  }
  auto released = (*connector)->offsetReset();
  if (!released) {
    return released.status();
  }
  auto seq = journalSeq(*row);
  if (!seq) {
    return seq.status();
  }
  if (Status s = store_.setOffsetByOperator(id, std::nullopt, *seq, clock_.nowMillis()); !s) {
    return s;
  }
  logger().information("stream offset reset id=%s key=%s old=%s new=(start) released=%z", id, actor, *before,
                       released->size());
  connector->reset();
  {
    std::lock_guard hl(health_mu_);
    health_.erase(id);
  }
  auto v = offsets(id);
  if (v) {
    v->previous_json = *before;
    v->released = std::move(*released);
  }
  return v;
}

void StreamService::checkSourceHealth() {
  auto rows = all();
  if (!rows) {
    logger().warning("source health: cannot list streams: %s", rows.status().message());
    return;
  }
  std::set<std::string> seen;
  for (const auto& r : *rows) {
    seen.insert(r.id);
    const plugins::SourceTypeInfo* type = registry_.findSourceType(r.source_type);
    if (type == nullptr || type->vtable->source_health == nullptr || r.status == "created") {
      continue;
    }
    checkOne(r, *type);
  }
  std::lock_guard hl(health_mu_);
  for (auto it = health_.begin(); it != health_.end();) {
    it = seen.count(it->first) != 0 ? std::next(it) : health_.erase(it);
  }
}

void StreamService::checkOne(const store::StreamRow& row, const plugins::SourceTypeInfo& /*type*/) {
  auto sp = spec(row);
  if (!sp) {
    return;
  }
  auto connector = runtime_.idleConnector(*sp);
  if (!connector) {
    return;
  }
  auto h = (*connector)->sourceHealth(row.committed_offset.value_or(""));
  connector->reset();
  if (!h && h.status().code() == StatusCode::kNotImplemented) {
    return;  // an SDK source that does not report health
  }
  StreamHealth entry;
  entry.checked_at = clock_.nowMillis();
  if (!h) {
    // The source could not be asked (it is down, say): that alone is a warning.
    entry.level = "warning";
    entry.reasons.push_back("the source could not be checked: " + h.status().message());
  } else {
    entry.level = levelName(h->level);
    entry.retained_bytes = h->retained_bytes;
    entry.budget_bytes = h->budget_bytes;
    if (!h->reason.empty()) {
      entry.reasons.push_back(h->reason);
    }
  }
  {
    std::lock_guard hl(health_mu_);
    health_[row.id] = entry;
  }
  if (h && h->level == SH_HEALTH_CRITICAL) {
    applyHealthAction(row, *h);
  }
}

void StreamService::applyHealthAction(const store::StreamRow& row, const plugins::SourceHealth& h) {
  const std::string& id = row.id;
  switch (h.action) {
    case SH_HEALTH_ACTION_ERROR: {
      std::lock_guard lock(lockFor(id));
      auto cur = store_.getStream(id);
      if (!cur || (cur->status == "error" && cur->last_error == h.reason)) {
        return;
      }
      if (runtime_.isActive(id)) {
        (void)runtime_.stop(id);
      }
      setStatus(id, "error", h.reason);
      logger().warning("stream=%s lag budget exceeded; the stream is in error: %s", id, h.reason);
      return;
    }
    case SH_HEALTH_ACTION_RESUME: {
      if (row.status == "paused") {
        logger().warning("stream=%s lag budget exceeded; resuming it: %s", id, h.reason);
        (void)resume(id);
      } else if (row.status == "stopped" || row.status == "error") {
        logger().warning("stream=%s lag budget exceeded; starting it: %s", id, h.reason);
        (void)start(id);
      }
      return;
    }
    case SH_HEALTH_ACTION_RELEASE: {
      std::lock_guard lock(lockFor(id));
      if (runtime_.isActive(id)) {
        (void)runtime_.stop(id);
      }
      auto sp = spec(row);
      if (!sp) {
        return;
      }
      auto connector = runtime_.idleConnector(*sp);
      if (!connector) {
        return;
      }
      auto released = (*connector)->offsetReset();
      if (!released) {
        logger().error("stream=%s lag budget exceeded and the source position could not be released: %s", id,
                       released.status().message());
        setStatus(id, "error", h.reason + " Releasing the source position failed: " + released.status().message());
        return;
      }
      auto seq = journalSeq(row);
      (void)store_.setOffsetByOperator(id, std::nullopt, seq ? *seq : row.committed_seq, clock_.nowMillis());
      std::string note = h.reason;
      for (const auto& r : *released) {
        note += " " + r;
      }
      note += " The next start takes a new snapshot.";
      setStatus(id, "stopped", note);
      logger().warning("stream=%s lag budget exceeded; source position released: %s", id, note);
      std::lock_guard hl(health_mu_);
      health_.erase(id);
      return;
    }
    default: return;
  }
}

StreamHealth StreamService::health(const store::StreamRow& row) const {
  StreamHealth h;
  {
    std::lock_guard hl(health_mu_);
    if (auto it = health_.find(row.id); it != health_.end()) {
      h = it->second;
    }
  }
  if (row.status == "error") {
    h.level = "critical";
    h.reasons.insert(h.reasons.begin(), "the stream is in error" + (row.last_error ? ": " + *row.last_error : ""));
    // The source's sentence and the error are often the same one.
    if (h.reasons.size() == 2 && row.last_error && *row.last_error == h.reasons[1]) {
      h.reasons.pop_back();
    }
  }
  if (row.committed_offset && row.committed_at) {
    h.position_age_ms = std::max<int64_t>(clock_.nowMillis() - *row.committed_at, 0);
    h.position_age = "the committed position last moved " + describeDuration(*h.position_age_ms) + " ago";
  } else {
    h.position_age = "nothing has been committed yet";
  }
  return h;
}

}  // namespace streamhost::core
