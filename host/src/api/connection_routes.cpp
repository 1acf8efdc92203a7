#include "api/connection_routes.h"

#include <streamhost/plugin_sdk.hpp>

#include <chrono>

#include "api/body_fields.h"
#include "api/json.h"
#include "api/paging.h"
#include "api/query_params.h"
#include "core/stream_service.h"
#include "plugins/config_schema.h"
#include "plugins/instance_context.h"

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

  /// Checks settings and secrets against the connection type's key table.
  Status validate(const std::string& type_name, const std::string& config_json,
                  const std::map<std::string, std::string>& secrets) const {
    const plugins::ConnectionTypeInfo* type = d_.registry->findConnectionType(type_name);
    if (type == nullptr) {
      std::string names;
      for (const auto& n : d_.registry->connectionTypeNames()) {
        names += (names.empty() ? "" : ", ") + n;
      }
      return invalidArgument("unknown connection type '" + type_name + "'; available: " +
                                 (names.empty() ? std::string("(none)") : names),
                             "type");
    }
    std::vector<plugins::ConfigKey> settings;
    std::vector<plugins::ConfigKey> secret_keys;
    for (const auto& k : type->config_keys) {
      (k.secret() ? secret_keys : settings).push_back(k);
    }
    auto ok = plugins::ConfigSchema(settings).validate(config_json);
    if (!ok) {
      return Status(StatusCode::kInvalidArgument, ok.status().message(), "config." + ok.status().field());
    }
    for (const auto& [k, v] : secrets) {
      bool known = false;
      for (const auto& sk : secret_keys) {
        known = known || sk.name == k;
      }
      if (!known) {
        return invalidArgument("unknown secret '" + k + "' for connection type '" + type_name + "'", "secrets." + k);
      }
    }
    for (const auto& sk : secret_keys) {
      if (sk.required() && secrets.count(sk.name) == 0) {
        return invalidArgument("is required", "secrets." + sk.name);
      }
    }
    return Status::ok();
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
    if (Status s = core::StreamService::validateName(**name); !s) {
      return statusResponse(s, req.request_id);
    }
    if (!*type) {
      return statusResponse(invalidArgument("is required", "type"), req.request_id);
    }
    auto secrets = secretsOf(*secrets_json);
    if (!secrets) {
      return statusResponse(secrets.status(), req.request_id);
    }
    store::ConnectionRow row;
    row.config_json = config->value_or("{}");
    if (Status s = validate(**type, row.config_json, *secrets); !s) {
      return statusResponse(s, req.request_id);
    }
    row.id = d_.ids->next("conn_");
    row.name = **name;
    row.type = **type;
    row.secrets = std::move(*secrets);
    row.created_at = row.updated_at = d_.clock->nowMillis();
    if (Status s = d_.store->createConnection(row); !s) {
      if (s.code() == StatusCode::kAlreadyExists) {
        s = Status(StatusCode::kAlreadyExists, "a connection named '" + row.name + "' already exists", "name");
      }
      return statusResponse(s, req.request_id);
    }
    return resourceResponse(201, "connection", row.id, attributes(row));
  }

  ApiResponse patch(ApiRequest& req) const {
    auto row = d_.store->getConnection(req.params["id"]);
    if (!row) {
      return statusResponse(row.status(), req.request_id);
    }
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
    if (*name) {
      if (Status s = core::StreamService::validateName(**name); !s) {
        return statusResponse(s, req.request_id);
      }
      row->name = **name;
    }
    if (*config) {
      row->config_json = **config;
    }
    if (*secrets_json) {
      auto secrets = secretsOf(*secrets_json);
      if (!secrets) {
        return statusResponse(secrets.status(), req.request_id);
      }
      // Secrets given replace those of the same name; the others are kept.
      for (auto& [k, v] : *secrets) {
        row->secrets[k] = v;
      }
    }
    if (Status s = validate(row->type, row->config_json, row->secrets); !s) {
      return statusResponse(s, req.request_id);
    }
    row->updated_at = d_.clock->nowMillis();
    if (Status s = d_.store->updateConnection(*row); !s) {
      return statusResponse(s, req.request_id);
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
    auto rows = d_.store->listConnections(type, *after, *limit + 1);
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
    auto row = d_.store->getConnection(req.params["id"]);
    if (!row) {
      return statusResponse(row.status(), req.request_id);
    }
    const plugins::ConnectionTypeInfo* type = d_.registry->findConnectionType(row->type);
    if (type == nullptr || type->vtable == nullptr || type->vtable->test == nullptr) {
      return statusResponse(Status(StatusCode::kInvalidState,
                                   "no loaded plugin can test connections of type '" + row->type + "'"),
                            req.request_id);
    }
    std::string secrets = "{";
    for (const auto& [k, v] : row->secrets) {
      secrets += (secrets.size() > 1 ? "," : "") + sdk::jsonQuote(k) + ":" + sdk::jsonQuote(v);
    }
    secrets += "}";
    plugins::InstanceOptions opts;
    opts.stream_id = row->id;
    opts.stream_name = row->name;
    opts.plugin_name = type->plugin ? type->plugin->name() : std::string();
    opts.connection_json = "{\"config\":" + row->config_json + ",\"secrets\":" + secrets + "}";
    auto ctx = plugins::InstanceContext::create(std::move(opts));
    if (!ctx) {
      return statusResponse(ctx.status(), req.request_id);
    }
    char message[2048] = {0};
    auto started = std::chrono::steady_clock::now();
    sh_status_t st = type->vtable->test((*ctx)->handle(), message, sizeof message);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    JsonObject a = newObject();
    a->set("ok", st == SH_OK);
    a->set("message", std::string(message));
    a->set("latency_ms", ms);
    return resourceResponse(200, "connection_test", row->id, a);
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
                auto row = deps.store->getConnection(q.params["id"]);
                if (!row) {
                  return statusResponse(row.status(), q.request_id);
                }
                return resourceResponse(200, "connection", row->id, r->attributes(*row));
              }});
  router.add({"PATCH", "/api/connections/{id}", "connections:write", BodyKind::kJson,
              [r](ApiRequest& q) { return r->patch(q); }});
  router.add({"DELETE", "/api/connections/{id}", "connections:write", BodyKind::kNone, [r, deps](ApiRequest& q) {
                auto row = deps.store->getConnection(q.params["id"]);
                if (!row) {
                  return statusResponse(row.status(), q.request_id);
                }
                if (Status s = deps.store->deleteConnection(row->id); !s) {
                  if (s.code() == StatusCode::kConflict) {
                    s = Status(StatusCode::kConflict,
                               "connection " + row->id + " is still used by a stream; delete the stream first");
                  }
                  return statusResponse(s, q.request_id);
                }
                return resourceResponse(200, "connection", row->id, r->attributes(*row));
              }});
  router.add({"POST", "/api/connections/{id}/test", "connections:write", BodyKind::kJson,
              [r](ApiRequest& q) { return r->test(q); }});
}

}  // namespace streamhost::api
