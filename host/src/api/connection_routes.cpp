#include "api/connection_routes.h"

#include "api/body_fields.h"
#include "api/json.h"
#include "api/paging.h"
#include "api/query_params.h"

namespace streamhost::api {
namespace {

class ConnectionRoutes {
 public:
  explicit ConnectionRoutes(ConnectionRouteDeps deps) : d_(deps) {}

  JsonObject attributes(const store::ConnectionRow& row) const {
    JsonObject a = newObject();
    a->set("name", row.name);
    a->set("type", row.type);
    auto config = parseJson(row.config_json);
    a->set("config", config ? *config : Poco::Dynamic::Var(newObject()));
    JsonArray keys = newArray();
    for (const auto& [k, v] : row.secrets) {
      keys->add(k);
    }
    a->set("secret_keys", keys);
    a->set("created_at", formatTime(row.created_at));
    a->set("updated_at", formatTime(row.updated_at));
    return a;
  }

  static Result<std::map<std::string, std::string>> secretsOf(const std::optional<std::string>& json) {
    std::map<std::string, std::string> out;
    if (!json) {
      return out;
    }
    auto obj = parseJsonObject(*json);
    if (!obj) {
      return obj.status();
    }
    std::vector<std::string> names;
    (*obj)->getNames(names);
    for (const auto& n : names) {
      Poco::Dynamic::Var v = (*obj)->get(n);
      if (!v.isString()) {
        return invalidArgument("must be a string", "secrets." + n);
      }
      out[n] = v.extract<std::string>();
    }
    return out;
  }

  ApiResponse create(ApiRequest& req) const {
    auto body = parseJsonObject(req.body);
    if (!body) {
      return statusResponse(body.status(), req.request_id);
    }
    BodyFields f(*body);
    auto name = f.takeString("name");
    auto type = f.takeString("type");
    auto config = f.takeObjectJson("config");
    auto secrets_json = f.takeObjectJson("secrets");
    for (const Status* s : {&name.status(), &type.status(), &config.status(), &secrets_json.status()}) {
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
      return statusResponse(invalidArgument("is required", "type"), req.request_id);
    }
    auto secrets = secretsOf(*secrets_json);
    if (!secrets) {
      return statusResponse(secrets.status(), req.request_id);
    }
    core::CreateConnectionInput input{**name, **type, config->value_or("{}"), std::move(*secrets)};
    auto row = d_.connections->create(input);
    if (!row) {
      return statusResponse(row.status(), req.request_id);
    }
    return resourceResponse(201, "connection", row->id, attributes(*row));
  }

  ApiResponse patch(ApiRequest& req) const {
    auto body = parseJsonObject(req.body);
    if (!body) {
      return statusResponse(body.status(), req.request_id);
    }
    BodyFields f(*body);
    auto name = f.takeString("name");
    auto config = f.takeObjectJson("config");
    auto secrets_json = f.takeObjectJson("secrets");
    for (const Status* s : {&name.status(), &config.status(), &secrets_json.status()}) {
      if (!s->isOk()) {
        return statusResponse(*s, req.request_id);
      }
    }
    if (Status s = f.finish(); !s) {
      return statusResponse(s, req.request_id);
    }
    core::PatchConnectionInput input;
    input.name = *name;
    input.config_json = *config;
    if (*secrets_json) {
      auto secrets = secretsOf(*secrets_json);
      if (!secrets) {
        return statusResponse(secrets.status(), req.request_id);
      }
      input.secrets = std::move(*secrets);
    }
    auto row = d_.connections->patch(req.params["id"], input);
    if (!row) {
      return statusResponse(row.status(), req.request_id);
    }
    return resourceResponse(200, "connection", row->id, attributes(*row));
  }

  ApiResponse list(ApiRequest& req) const {
    if (Status s = checkKnownParams(req, {"type", "limit", "cursor"}); !s) {
      return statusResponse(s, req.request_id);
    }
    auto limit = pageLimit(req);
    if (!limit) {
      return statusResponse(limit.status(), req.request_id);
    }
    auto type = req.queryParam("type");
    std::string scope = "connections|" + type.value_or("");
    auto after = cursorParam(req, *d_.cursors, scope);
    if (!after) {
      return statusResponse(after.status(), req.request_id);
    }
    auto rows = d_.connections->list(type, *after, *limit + 1);
    if (!rows) {
      return statusResponse(rows.status(), req.request_id);
    }
    Poco::Dynamic::Var cursor = trimPage(*rows, *limit, *d_.cursors, scope);
    JsonArray data = newArray();
    for (const auto& r : *rows) {
      data->add(resourceObject("connection", r.id, attributes(r)));
    }
    return collectionResponse(data, *limit, cursor);
  }

  ApiResponse test(ApiRequest& req) const {
    auto result = d_.connections->test(req.params["id"]);
    if (!result) {
      return statusResponse(result.status(), req.request_id);
    }
    JsonObject a = newObject();
    a->set("ok", result->ok);
    a->set("message", result->message);
    a->set("latency_ms", result->latency_ms);
    return resourceResponse(200, "connection_test", req.params["id"], a);
  }

 private:
  ConnectionRouteDeps d_;
};

}  // namespace

void addConnectionRoutes(Router& router, ConnectionRouteDeps deps) {
  auto r = std::make_shared<ConnectionRoutes>(deps);
  router.add({"GET", "/api/connections", "connections:read", BodyKind::kNone,
              [r](ApiRequest& q) { return r->list(q); }});
  router.add({"POST", "/api/connections", "connections:write", BodyKind::kJson,
              [r](ApiRequest& q) { return r->create(q); }});
  router.add({"GET", "/api/connections/{id}", "connections:read", BodyKind::kNone, [r, deps](ApiRequest& q) {
                auto row = deps.connections->get(q.params["id"]);
                if (!row) {
                  return statusResponse(row.status(), q.request_id);
                }
                return resourceResponse(200, "connection", row->id, r->attributes(*row));
              }});
  router.add({"PATCH", "/api/connections/{id}", "connections:write", BodyKind::kJson,
              [r](ApiRequest& q) { return r->patch(q); }});
  router.add({"DELETE", "/api/connections/{id}", "connections:write", BodyKind::kNone, [r, deps](ApiRequest& q) {
                auto row = deps.connections->remove(q.params["id"]);
                if (!row) {
                  return statusResponse(row.status(), q.request_id);
                }
                return resourceResponse(200, "connection", row->id, r->attributes(*row));
              }});
  router.add({"POST", "/api/connections/{id}/test", "connections:write", BodyKind::kJson,
              [r](ApiRequest& q) { return r->test(q); }});
}

}  // namespace streamhost::api
