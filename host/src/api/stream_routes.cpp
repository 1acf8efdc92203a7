#include "api/stream_routes.h"

#include <cmath>
#include <map>

#include "api/body_fields.h"
#include "api/json.h"
#include "common/json_syntax.h"
#include "common/json_writer.h"
#include "api/query_params.h"
#include "metrics/stream_metrics.h"

namespace streamhost::api {
namespace {

/// Push (ingest) requests by outcome plus their total; zeros for pull streams.
JsonObject requestsJson(const metrics::Bucket& b) {
  JsonObject o = newObject();
  int64_t total = 0;
  for (size_t k = 0; k < metrics::kRequestOutcomes; ++k) {
    o->set(metrics::requestOutcomeName(static_cast<metrics::RequestOutcome>(k)), b.requests[k]);
    total += b.requests[k];
  }
  o->set("total", total);
  return o;
}

/// The snapshot block of a stream's metrics; null when its connector reports none.
Poco::Dynamic::Var snapshotJson(const std::map<std::string, double>& gauges) {
  const std::vector<metrics::TableProgress> tables = metrics::snapshotProgress(gauges);
  if (tables.empty()) {
    return Poco::Dynamic::Var();
  }
  JsonArray list = newArray();
  for (const auto& t : tables) {
    JsonObject o = newObject();
    o->set("table", t.table);
    o->set("rows_done", t.rows_done);
    o->set("rows_total", t.rows_total ? Poco::Dynamic::Var(*t.rows_total) : Poco::Dynamic::Var());
    o->set("done", t.done);
    list->add(o);
  }
  JsonObject out = newObject();
  out->set("tables", list);
  return out;
}

Poco::Dynamic::Var optString(const std::optional<std::string>& s) {
  return s ? Poco::Dynamic::Var(*s) : Poco::Dynamic::Var();
}

Poco::Dynamic::Var optTime(const std::optional<int64_t>& t) {
  return t ? Poco::Dynamic::Var(formatTime(*t)) : Poco::Dynamic::Var();
}

void writeOptString(JsonWriter& w, const std::optional<std::string>& s) {
  if (s) {
    w.string(*s);
  } else {
    w.null();
  }
}

/// A plugin's JSON goes out verbatim when it is well-formed, else as null.
void writePluginJson(JsonWriter& w, const std::optional<std::string>& json) {
  if (json && !checkJsonSyntax(*json) && isPortableJsonValue(*json)) {
    w.raw(*json);
  } else {
    w.null();
  }
}

void writeOptTime(JsonWriter& w, const std::optional<int64_t>& t) {
  if (t) {
    w.string(formatTime(*t));
  } else {
    w.null();
  }
}

std::string baseUrl(const ApiRequest& req) {
  std::string host = req.header("Host").value_or("127.0.0.1");
  return "http://" + host;
}

class StreamRoutes {
 public:
  explicit StreamRoutes(StreamRouteDeps deps) : deps_(std::move(deps)) {}

  // The stored config is validated JSON and redaction keeps it so; it goes
  // out verbatim unless it is something Poco would have rewritten.
  void writeConfig(JsonWriter& w, const store::StreamRow& row) const {
    std::string config = deps_.service->redactedConfig(row);
    w.key("config");
    if (!checkJsonSyntax(config) && isPortableJsonContainer(config)) {
      w.raw(config);
      return;
    }
    auto parsed = parseJson(config);
    w.raw(parsed ? toJson(*parsed) : std::string("{}"));
  }

  void writeAttributes(JsonWriter& w, const store::StreamRow& row, const ApiRequest& req) const {
    w.beginObject();
    w.key("name").string(row.name);
    w.key("source_type").string(row.source_type);
    w.key("pipeline_id").string(row.pipeline_id);
    writeOptString(w.key("connection_id"), row.connection_id);
    w.key("status").string(row.status);
    writeConfig(w, row);
    writeOptString(w.key("last_error"), row.last_error);
    writeOptString(w.key("committed_offset"), row.committed_offset);
    writeOptTime(w.key("offset_changed_at"), row.offset_changed_at);
    writeHealth(w, row);
    const plugins::SourceTypeInfo* type = deps_.registry->findSourceType(row.source_type);
    if (type != nullptr && type->isPush()) {
      w.key("ingest_url").string(baseUrl(req) + "/ingest/" + row.id);
    }
    w.key("created_at").string(formatTime(row.created_at));
    w.key("updated_at").string(formatTime(row.updated_at));
    writeOptString(w.key("started_at"), row.started_at ? std::optional(formatTime(*row.started_at)) : std::nullopt);
    w.endObject();
  }

  void writeHealth(JsonWriter& w, const store::StreamRow& row) const {
    core::StreamHealth h = deps_.service->health(row);
    w.key("health").string(h.level);
    w.key("health_reasons").beginArray();
    for (const auto& r : h.reasons) {
      w.string(r);
    }
    w.endArray();
    w.key("source_retained_bytes");
    h.retained_bytes >= 0 ? w.number(h.retained_bytes) : w.null();
    w.key("source_budget_bytes");
    h.budget_bytes >= 0 ? w.number(h.budget_bytes) : w.null();
    writeOptTime(w.key("health_checked_at"), h.checked_at);
    w.key("position_age_seconds");
    h.position_age_ms ? w.number(*h.position_age_ms / 1000) : w.null();
    w.key("position_age").string(h.position_age);
  }

  ApiResponse offsetsResponse(const Result<core::OffsetsView>& v, const ApiRequest& req, bool with_meta) const {
    if (!v) {
      return statusResponse(v.status(), req.request_id);
    }
    JsonWriter w;
    w.beginObject().key("data").beginObject();
    w.key("id").string(v->row.id);
    w.key("type").string("stream_offsets");
    w.key("attributes").beginObject();
    w.key("source_type").string(v->row.source_type);
    w.key("status").string(v->row.status);
    w.key("position");
    writePluginJson(w, v->position_json);
    writeOptString(w.key("committed_offset"), v->row.committed_offset);
    w.key("source");
    writePluginJson(w, v->source_json);
    writeOptString(w.key("source_error"), v->source_error);
    writeOptTime(w.key("offset_changed_at"), v->row.offset_changed_at);
    w.endObject().endObject();
    if (with_meta) {
      w.key("meta").beginObject().key("previous");
      writePluginJson(w, v->previous_json);
      w.key("released").beginArray();
      for (const auto& r : v->released) {
        w.string(r);
      }
      w.endArray().endObject();
    }
    w.endObject();
    ApiResponse r;
    r.status = 200;
    r.body = w.take();
    return r;
  }

  ApiResponse getOffsets(ApiRequest& req) const {
    if (!req.query.empty()) {
      return statusResponse(invalidArgument("takes no query parameters", req.query.front().first), req.request_id);
    }
    return offsetsResponse(deps_.service->offsets(req.params["id"]), req, false);
  }

  static std::string actor(const ApiRequest& req) { return req.principal ? req.principal->name : "(none)"; }

  ApiResponse putOffsets(ApiRequest& req) const {
    if (!req.query.empty()) {
      return statusResponse(invalidArgument("takes no query parameters", req.query.front().first), req.request_id);
    }
    if (req.body.empty()) {
      return statusResponse(invalidArgument("is required: the position in the form GET .../offsets shows", "body"),
                            req.request_id);
    }
    auto body = parseJsonObject(req.body);
    if (!body) {
      return statusResponse(body.status(), req.request_id);
    }
    return offsetsResponse(deps_.service->setOffsets(req.params["id"], req.body, actor(req)), req, true);
  }

  ApiResponse deleteOffsets(ApiRequest& req) const {
    if (!req.query.empty()) {
      return statusResponse(invalidArgument("takes no query parameters", req.query.front().first), req.request_id);
    }
    return offsetsResponse(deps_.service->resetOffsets(req.params["id"], actor(req)), req, true);
  }

  void writeResource(JsonWriter& w, const store::StreamRow& row, const ApiRequest& req) const {
    w.beginObject();
    w.key("id").string(row.id);
    w.key("type").string("stream");
    w.key("attributes");
    writeAttributes(w, row, req);
    w.endObject();
  }

  /// {"data": stream} plus "meta" when given.
  ApiResponse streamResponse(int http, const store::StreamRow& row, const ApiRequest& req,
                             const JsonObject& meta = nullptr) const {
    JsonWriter w;
    w.beginObject().key("data");
    writeResource(w, row, req);
    if (meta) {
      w.key("meta").raw(toJson(meta));
    }
    w.endObject();
    ApiResponse r;
    r.status = http;
    r.body = w.take();
    return r;
  }

  ApiResponse one(int http, const Result<store::StreamRow>& row, const ApiRequest& req) const {
    if (!row) {
      return statusResponse(row.status(), req.request_id);
    }
    return streamResponse(http, *row, req);
  }

  ApiResponse list(ApiRequest& req) const {
    if (Status s = checkKnownParams(req, {"status", "source_type", "pipeline_id", "limit", "cursor"}); !s) {
      return statusResponse(s, req.request_id);
    }
    auto limit = pageLimit(req);
    if (!limit) {
      return statusResponse(limit.status(), req.request_id);
    }
    store::StreamFilter filter;
    filter.status = req.queryParam("status");
    filter.source_type = req.queryParam("source_type");
    filter.pipeline_id = req.queryParam("pipeline_id");
    if (filter.status && !core::isStreamStatus(*filter.status)) {
      return statusResponse(invalidArgument("unknown status '" + *filter.status +
                                                "'; one of created, starting, running, paused, stopped, error",
                                            "status"),
                            req.request_id);
    }
    auto page = deps_.service->list(filter, req.queryParam("cursor"), *limit);
    if (!page) {
      return statusResponse(page.status(), req.request_id);
    }
    JsonWriter w;
    w.reserve(128 + page->rows.size() * 512);
    w.beginObject().key("data").beginArray();
    for (const auto& row : page->rows) {
      writeResource(w, row, req);
    }
    w.endArray().key("meta").beginObject().key("page").beginObject();
    w.key("limit").number(static_cast<int64_t>(*limit));
    writeOptString(w.key("cursor"), page->next_cursor);
    w.endObject().endObject().endObject();
    ApiResponse r;
    r.status = 200;
    r.body = w.take();
    return r;
  }

  ApiResponse create(ApiRequest& req) const {
    auto body = parseJsonObject(req.body);
    if (!body) {
      return statusResponse(body.status(), req.request_id);
    }
    BodyFields f(*body);
    auto name = f.takeString("name");
    auto type = f.takeString("sourceType", "source_type");
    auto pipeline = f.takeString("pipelineId", "pipeline_id");
    auto connection = f.takeString("connectionId", "connection_id");
    auto config = f.takeObjectJson("config");
    for (const Status* s : {&name.status(), &type.status(), &pipeline.status(), &connection.status(), &config.status()}) {
      if (!s->isOk()) {
        return statusResponse(*s, req.request_id);
      }
    }
    if (Status s = f.finish(); !s) {
      return statusResponse(s, req.request_id);
    }
    if (!*name) {
      return statusResponse(invalidArgument("is required", "name"), req.request_id);
    }
    if (!*type) {
      return statusResponse(invalidArgument("is required; available: " + joinTypes(), "sourceType"), req.request_id);
    }
    if (!*pipeline) {
      return statusResponse(invalidArgument("is required", "pipelineId"), req.request_id);
    }
    core::CreateStreamInput in;
    in.name = **name;
    in.source_type = **type;
    in.pipeline_id = **pipeline;
    in.connection_id = *connection;
    in.config_json = config->value_or("{}");
    return one(201, deps_.service->create(in), req);
  }

  std::string joinTypes() const {
    std::string out;
    for (const auto& n : deps_.registry->sourceTypeNames()) {
      out += (out.empty() ? "" : ", ") + n;
    }
    return out.empty() ? "(none)" : out;
  }

  ApiResponse patch(ApiRequest& req) const {
    auto body = parseJsonObject(req.body);
    if (!body) {
      return statusResponse(body.status(), req.request_id);
    }
    BodyFields f(*body);
    auto name = f.takeString("name");
    auto config = f.takeObjectJson("config");
    for (const Status* s : {&name.status(), &config.status()}) {
      if (!s->isOk()) {
        return statusResponse(*s, req.request_id);
      }
    }
    if (Status s = f.finish(); !s) {
      return statusResponse(s, req.request_id);
    }
    core::PatchStreamInput in;
    in.name = *name;
    in.config_json = *config;
    return one(200, deps_.service->patch(req.params["id"], in), req);
  }

  ApiResponse remove(ApiRequest& req) const {
    if (Status s = checkKnownParams(req, {"force"}); !s) {
      return statusResponse(s, req.request_id);
    }
    auto force = boolParam(req, "force", false);
    if (!force) {
      return statusResponse(force.status(), req.request_id);
    }
    auto result = deps_.service->remove(req.params["id"], *force);
    if (!result) {
      return statusResponse(result.status(), req.request_id);
    }
    JsonObject teardown = newObject();
    JsonArray released = newArray();
    for (const auto& r : result->released) {
      released->add(r);
    }
    JsonArray errors = newArray();
    for (const auto& e : result->errors) {
      errors->add(e);
    }
    teardown->set("released", released);
    teardown->set("errors", errors);
    teardown->set("forced", *force);
    JsonObject meta = newObject();
    meta->set("teardown", teardown);
    return streamResponse(200, result->row, req, meta);
  }

  ApiResponse metricsOf(ApiRequest& req) const {
    if (Status s = checkKnownParams(req, {"window"}); !s) {
      return statusResponse(s, req.request_id);
    }
    std::string wtext = req.queryParam("window").value_or("5m");
    auto window = metrics::parseWindow(wtext);
    if (!window) {
      return statusResponse(invalidArgument("must be one of 1m, 5m, 1h, 24h; got '" + wtext + "'", "window"),
                            req.request_id);
    }
    auto row = deps_.service->get(req.params["id"]);
    if (!row) {
      return statusResponse(row.status(), req.request_id);
    }
    auto m = deps_.metrics->stream(row->id);
    int64_t now = deps_.clock->nowMillis();
    metrics::WindowSnapshot snap = m->snapshot(*window, now);
    double secs = static_cast<double>(metrics::windowSeconds(*window));
    JsonObject a = newObject();
    a->set("window", wtext);
    a->set("events", snap.total.events);
    a->set("bytes", snap.total.bytes);
    a->set("events_per_second", static_cast<double>(snap.total.events) / secs);
    a->set("bytes_per_second", static_cast<double>(snap.total.bytes) / secs);
    JsonObject errors = newObject();
    errors->set("total", snap.total.errorTotal());
    JsonObject by_kind = newObject();
    for (size_t k = 0; k < metrics::kErrorKinds; ++k) {
      by_kind->set(metrics::errorKindName(static_cast<metrics::ErrorKind>(k)), snap.total.errors[k]);
    }
    errors->set("by_kind", by_kind);
    a->set("errors", errors);
    a->set("requests", requestsJson(snap.total));
    metrics::Lag lag = m->lag();
    JsonObject lagj = newObject();
    lagj->set("records", lag.records ? Poco::Dynamic::Var(*lag.records) : Poco::Dynamic::Var());
    lagj->set("bytes", lag.bytes ? Poco::Dynamic::Var(*lag.bytes) : Poco::Dynamic::Var());
    lagj->set("seconds", lag.seconds ? Poco::Dynamic::Var(*lag.seconds) : Poco::Dynamic::Var());
    a->set("consumer_lag", lagj);
    a->set("committed_offset", optString(row->committed_offset));
    a->set("last_event_at", optTime(m->lastEventAt()));
    JsonArray series = newArray();
    for (const auto& b : snap.series) {
      JsonObject p = newObject();
      p->set("t", formatTime(b.start_ms));
      p->set("events", b.events);
      p->set("bytes", b.bytes);
      p->set("errors", b.errorTotal());
      p->set("requests", requestsJson(b));
      series->add(p);
    }
    a->set("series", series);
    const std::map<std::string, double> gauges = m->gauges();
    JsonObject g = newObject();
    for (const auto& [name, value] : gauges) {
      g->set(name, std::isfinite(value) ? Poco::Dynamic::Var(value) : Poco::Dynamic::Var());  // JSON has no NaN
    }
    a->set("gauges", g);
    a->set("snapshot", snapshotJson(gauges));
    return resourceResponse(200, "stream_metrics", row->id, a);
  }

  ApiResponse summary(ApiRequest& req) const {
    if (!req.query.empty()) {
      return statusResponse(invalidArgument("takes no query parameters", req.query.front().first), req.request_id);
    }
    auto s = deps_.service->summary();
    if (!s) {
      return statusResponse(s.status(), req.request_id);
    }
    JsonObject a = newObject();
    a->set("total", s->total);
    JsonObject by_status = newObject();
    for (const char* st : core::kStreamStatuses) {
      by_status->set(st, s->by_status[st]);
    }
    a->set("by_status", by_status);
    JsonObject by_health = newObject();
    for (const char* h : core::kHealthLevels) {
      by_health->set(h, s->by_health[h]);
    }
    a->set("by_health", by_health);
    JsonObject by_type = newObject();
    for (const auto& [t, n] : s->by_source_type) {
      by_type->set(t, n);
    }
    a->set("by_source_type", by_type);
    a->set("health", s->degraded ? "degraded" : "healthy");
    a->set("events_per_second", s->events_per_second);
    a->set("errors_last_hour", s->errors_last_hour);
    a->set("max_lag_seconds", s->max_lag_seconds ? Poco::Dynamic::Var(*s->max_lag_seconds) : Poco::Dynamic::Var());
    return resourceResponse(200, "stream_summary", "summary", a);
  }

 private:
  StreamRouteDeps deps_;
};

}  // namespace

void addStreamRoutes(Router& router, StreamRouteDeps deps) {
  auto r = std::make_shared<StreamRoutes>(std::move(deps));
  auto lifecycle = [r](Result<store::StreamRow> (core::StreamService::*fn)(const std::string&), StreamRouteDeps d) {
    return [r, fn, d](ApiRequest& req) { return r->one(200, (d.service->*fn)(req.params["id"]), req); };
  };
  router.add({"GET", "/api/streams", "streams:read", BodyKind::kNone, [r](ApiRequest& q) { return r->list(q); }});
  router.add({"POST", "/api/streams", "streams:write", BodyKind::kJson, [r](ApiRequest& q) { return r->create(q); }});
  router.add({"GET", "/api/streams/summary", "streams:read", BodyKind::kNone,
              [r](ApiRequest& q) { return r->summary(q); }});
  router.add({"GET", "/api/streams/{id}", "streams:read", BodyKind::kNone, [r, deps](ApiRequest& q) {
                return r->one(200, deps.service->get(q.params["id"]), q);
              }});
  router.add({"PATCH", "/api/streams/{id}", "streams:write", BodyKind::kJson,
              [r](ApiRequest& q) { return r->patch(q); }});
  router.add({"DELETE", "/api/streams/{id}", "streams:write", BodyKind::kNone,
              [r](ApiRequest& q) { return r->remove(q); }});
  router.add({"POST", "/api/streams/{id}/start", "streams:write", BodyKind::kJson,
              lifecycle(&core::StreamService::start, deps)});
  router.add({"POST", "/api/streams/{id}/stop", "streams:write", BodyKind::kJson,
              lifecycle(&core::StreamService::stop, deps)});
  router.add({"POST", "/api/streams/{id}/pause", "streams:write", BodyKind::kJson,
              lifecycle(&core::StreamService::pause, deps)});
  router.add({"POST", "/api/streams/{id}/resume", "streams:write", BodyKind::kJson,
              lifecycle(&core::StreamService::resume, deps)});
  router.add({"GET", "/api/streams/{id}/metrics", "streams:read", BodyKind::kNone,
              [r](ApiRequest& q) { return r->metricsOf(q); }});
  router.add({"GET", "/api/streams/{id}/offsets", "streams:read", BodyKind::kNone,
              [r](ApiRequest& q) { return r->getOffsets(q); }});
  router.add({"PUT", "/api/streams/{id}/offsets", "streams:write", BodyKind::kJson,
              [r](ApiRequest& q) { return r->putOffsets(q); }});
  router.add({"DELETE", "/api/streams/{id}/offsets", "streams:write", BodyKind::kNone,
              [r](ApiRequest& q) { return r->deleteOffsets(q); }});
}

}  // namespace streamhost::api
