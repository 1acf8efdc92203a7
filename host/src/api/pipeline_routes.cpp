#include "api/pipeline_routes.h"

#include "api/body_fields.h"
#include "api/json.h"
#include "api/paging.h"
#include "common/json_syntax.h"
#include "common/json_writer.h"
#include "api/query_params.h"
#include "common/crypto.h"

namespace streamhost::api {
namespace {

constexpr int64_t kMaxWaitMs = 30000;

class PipelineRoutes {
 public:
  explicit PipelineRoutes(PipelineRouteDeps deps) : d_(deps) {}

  JsonObject attributes(const store::PipelineRow& row) const {
    JsonObject a = newObject();
    a->set("name", row.name);
    JsonObject retention = newObject();
    retention->set("max_bytes", row.retention_max_bytes > 0 ? Poco::Dynamic::Var(row.retention_max_bytes)
                                                            : Poco::Dynamic::Var());
    retention->set("max_age_seconds", row.retention_max_age_seconds > 0
                                          ? Poco::Dynamic::Var(row.retention_max_age_seconds)
                                          : Poco::Dynamic::Var());
    a->set("retention", retention);
    JsonObject config = newObject();
    config->set("max_record_bytes", core::PipelineService::maxRecordBytes(row));
    a->set("config", config);
    if (auto pos = d_.pipelines->position(row.id)) {
      a->set("head_seq", pos->head_seq);
      a->set("oldest_seq", pos->oldest_seq);
    }
    core::PipelineHealth health = d_.pipelines->health(row.id);
    a->set("state", health.failed ? "failed" : "ok");
    a->set("error", health.failed ? Poco::Dynamic::Var(health.error) : Poco::Dynamic::Var());
    a->set("created_at", formatTime(row.created_at));
    a->set("updated_at", formatTime(row.updated_at));
    return a;
  }

  ApiResponse create(ApiRequest& req) const {
    auto body = parseJsonObject(req.body);
    if (!body) {
      return statusResponse(body.status(), req.request_id);
    }
    BodyFields f(*body);
    auto name = f.takeString("name");
    auto retention = f.take("retention");
    auto config = f.take("config");
    for (const Status* s : {&name.status(), &retention.status(), &config.status()}) {
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
    core::CreatePipelineInput input;
    input.name = **name;
    if (*retention && !(*retention)->isEmpty()) {
      if ((*retention)->type() != typeid(Poco::JSON::Object::Ptr)) {
        return statusResponse(invalidArgument("must be an object", "retention"), req.request_id);
      }
      BodyFields r((*retention)->extract<Poco::JSON::Object::Ptr>());
      auto max_bytes = r.takeInt("maxBytes", "max_bytes");
      auto max_age = r.takeInt("maxAgeSeconds", "max_age_seconds");
      for (const Status* s : {&max_bytes.status(), &max_age.status()}) {
        if (!s->isOk()) {
          return statusResponse(Status(s->code(), s->message(), "retention." + s->field()), req.request_id);
        }
      }
      if (Status s = r.finish(); !s) {
        return statusResponse(Status(s.code(), s.message(), "retention." + s.field()), req.request_id);
      }
      input.retention_max_bytes = max_bytes->value_or(0);
      input.retention_max_age_seconds = max_age->value_or(0);
    }
    if (*config && !(*config)->isEmpty()) {
      if ((*config)->type() != typeid(Poco::JSON::Object::Ptr)) {
        return statusResponse(invalidArgument("must be an object", "config"), req.request_id);
      }
      BodyFields c((*config)->extract<Poco::JSON::Object::Ptr>());
      auto max_record = c.takeInt("maxRecordBytes", "max_record_bytes");
      if (!max_record.status().isOk()) {
        const Status& st = max_record.status();
        return statusResponse(Status(st.code(), st.message(), "config." + st.field()), req.request_id);
      }
      if (Status st = c.finish(); !st) {
        return statusResponse(Status(st.code(), st.message(), "config." + st.field()), req.request_id);
      }
      if (*max_record && **max_record <= 0) {
        return statusResponse(invalidArgument("must be positive", "config.max_record_bytes"), req.request_id);
      }
      input.max_record_bytes = max_record->value_or(0);
    }
    auto row = d_.pipelines->create(input);
    if (!row) {
      return statusResponse(row.status(), req.request_id);
    }
    return resourceResponse(201, "pipeline", row->id, attributes(*row));
  }

  ApiResponse list(ApiRequest& req) const {
    if (Status s = checkKnownParams(req, {"limit", "cursor"}); !s) {
      return statusResponse(s, req.request_id);
    }
    auto limit = pageLimit(req);
    if (!limit) {
      return statusResponse(limit.status(), req.request_id);
    }
    auto after = cursorParam(req, *d_.cursors, "pipelines");
    if (!after) {
      return statusResponse(after.status(), req.request_id);
    }
    auto rows = d_.pipelines->list(*after, *limit + 1);
    if (!rows) {
      return statusResponse(rows.status(), req.request_id);
    }
    Poco::Dynamic::Var cursor = trimPage(*rows, *limit, *d_.cursors, "pipelines");
    JsonArray data = newArray();
    for (const auto& r : *rows) {
      data->add(resourceObject("pipeline", r.id, attributes(r)));
    }
    return collectionResponse(data, *limit, cursor);
  }

  ApiResponse get(ApiRequest& req) const {
    auto row = d_.pipelines->get(req.params["id"]);
    if (!row) {
      return statusResponse(row.status(), req.request_id);
    }
    return resourceResponse(200, "pipeline", row->id, attributes(*row));
  }

  ApiResponse remove(ApiRequest& req) const {
    auto row = d_.pipelines->remove(req.params["id"]);
    if (!row) {
      return statusResponse(row.status(), req.request_id);
    }
    return resourceResponse(200, "pipeline", row->id, attributes(*row));
  }

  static void stringOrNull(JsonWriter& w, const std::string& s) {
    if (s.empty()) {
      w.null();
    } else {
      w.string(s);
    }
  }

  // Headers go out once per name, at its first place with its last value,
  // as a JSON object keeps them.
  static void writeHeaders(JsonWriter& w, const std::vector<std::pair<std::string, std::string>>& headers) {
    w.beginObject();
    for (size_t i = 0; i < headers.size(); ++i) {
      const std::string& name = headers[i].first;
      bool seen = false;
      for (size_t k = 0; k < i && !seen; ++k) {
        seen = headers[k].first == name;
      }
      if (seen) {
        continue;
      }
      const std::string* value = &headers[i].second;
      for (size_t k = i + 1; k < headers.size(); ++k) {
        if (headers[k].first == name) {
          value = &headers[k].second;
        }
      }
      w.key(name).string(*value);
    }
    w.endObject();
  }

  static void writeEntry(JsonWriter& w, const journal::JournalEntry& e) {
    const Record& r = e.record;
    w.beginObject();
    w.key("seq").number(e.seq);
    w.key("stream_id").string(e.stream_id);
    stringOrNull(w.key("offset"), r.offset);
    stringOrNull(w.key("op"), r.op == 0 ? std::string() : std::string(1, static_cast<char>(r.op)));
    stringOrNull(w.key("key"), r.key);
    // A JSON value goes out verbatim; an empty one (a tombstone) as null.
    if (r.value.empty()) {
      w.key("value").null();
    } else if (!checkJsonSyntax(r.value) && isPortableJsonValue(r.value)) {
      w.key("value").raw(r.value);
    } else {
      w.key("value").string(crypto::base64Encode(r.value));
      w.key("value_encoding").string("base64");
    }
    w.key("headers");
    writeHeaders(w, r.headers);
    w.key("ts").string(formatTime(r.ts_ms > 0 ? r.ts_ms : e.appended_at_ms));
    w.endObject();
  }

  ApiResponse events(ApiRequest& req) const {
    if (Status s = checkKnownParams(req, {"after", "limit", "wait_ms"}); !s) {
      return statusResponse(s, req.request_id);
    }
    auto after = intParam(req, "after", 0, INT64_MAX);
    auto limit = pageLimit(req, 100, 10000);
    auto wait = intParam(req, "wait_ms", 0, kMaxWaitMs);
    for (const Status* s : {&after.status(), &limit.status(), &wait.status()}) {
      if (!s->isOk()) {
        return statusResponse(*s, req.request_id);
      }
    }
    auto row = d_.pipelines->get(req.params["id"]);
    if (!row) {
      return statusResponse(row.status(), req.request_id);
    }
    auto j = d_.pipelines->journalOf(*row);
    if (!j) {
      return statusResponse(j.status(), req.request_id);
    }
    uint64_t from = static_cast<uint64_t>(after->value_or(0));
    if (wait->value_or(0) > 0 && (*j)->headSeq() <= from) {
      (*j)->waitForData(from, std::chrono::milliseconds(**wait));
    }
    auto result = (*j)->read(from, static_cast<size_t>(*limit), 8u << 20);
    if (!result) {
      if (result.status().code() == StatusCode::kGone) {
        // The contract's 410 carries oldest_seq so a reader can skip ahead.
        JsonObject err = newObject();
        err->set("code", "gone");
        err->set("message", result.status().message());
        err->set("field", "after");
        err->set("request_id", req.request_id);
        err->set("oldest_seq", (*j)->oldestSeq());
        JsonObject root = newObject();
        root->set("error", err);
        return jsonResponse(410, root);
      }
      return statusResponse(result.status(), req.request_id);
    }
    JsonWriter w;
    w.reserve(256 + result->entries.size() * 256);
    w.beginObject().key("data").beginArray();
    uint64_t next = from;
    for (const auto& e : result->entries) {
      writeEntry(w, e);
      next = e.seq;
    }
    w.endArray().key("meta").beginObject();
    w.key("next_after").number(next);
    w.key("head_seq").number(result->head_seq);
    w.key("oldest_seq").number(result->oldest_seq);
    w.endObject().endObject();
    ApiResponse resp;
    resp.status = 200;
    resp.body = w.take();
    return resp;
  }

 private:
  PipelineRouteDeps d_;
};

}  // namespace

void addPipelineRoutes(Router& router, PipelineRouteDeps deps) {
  auto r = std::make_shared<PipelineRoutes>(deps);
  router.add({"GET", "/api/pipelines", "pipelines:read", BodyKind::kNone, [r](ApiRequest& q) { return r->list(q); }});
  router.add({"POST", "/api/pipelines", "pipelines:write", BodyKind::kJson,
              [r](ApiRequest& q) { return r->create(q); }});
  router.add({"GET", "/api/pipelines/{id}", "pipelines:read", BodyKind::kNone,
              [r](ApiRequest& q) { return r->get(q); }});
  router.add({"DELETE", "/api/pipelines/{id}", "pipelines:write", BodyKind::kNone,
              [r](ApiRequest& q) { return r->remove(q); }});
  router.add({"GET", "/api/pipelines/{id}/events", "pipelines:read", BodyKind::kNone,
              [r](ApiRequest& q) { return r->events(q); }});
}

}  // namespace streamhost::api
