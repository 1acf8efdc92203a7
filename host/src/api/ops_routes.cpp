#include "api/ops_routes.h"

#include "api/json.h"

namespace streamhost::api {
namespace {

JsonArray configKeysJson(const std::vector<plugins::ConfigKey>& keys) {
  JsonArray arr = newArray();
  for (const auto& k : keys) {
    JsonObject o = newObject();
    o->set("name", k.name);
    o->set("type", plugins::configTypeName(k.type));
    o->set("required", k.required());
    o->set("secret", k.secret());
    if (k.default_json) {
      // Parsed inside an array, so scalar defaults ("1000", "\"earliest\"")
      // come out as the JSON values they are, not as their text.
      auto v = parseJson("[" + *k.default_json + "]");
      Poco::Dynamic::Var value(*k.default_json);
      if (v && v->type() == typeid(Poco::JSON::Array::Ptr)) {
        auto wrapped = v->extract<Poco::JSON::Array::Ptr>();
        if (wrapped->size() == 1) {
          value = wrapped->get(0);
        }
      }
      o->set("default", value);
    } else {
      o->set("default", Poco::Dynamic::Var());
    }
    o->set("help", k.help);
    arr->add(o);
  }
  return arr;
}

JsonObject capabilitiesJson(uint32_t flags) {
  JsonObject o = newObject();
  o->set("needs_connection", (flags & SH_CAP_NEEDS_CONNECTION) != 0);
  o->set("pause", (flags & SH_CAP_PAUSE) != 0);
  o->set("snapshot", (flags & SH_CAP_SNAPSHOT) != 0);
  o->set("push", (flags & SH_CAP_PUSH) != 0);
  o->set("concurrent_push", (flags & SH_CAP_CONCURRENT_PUSH) != 0);
  return o;
}

ApiResponse pluginsResponse(const OpsDeps& deps) {
  JsonArray data = newArray();
  for (const auto& p : deps.registry->plugins()) {
    JsonObject attrs = newObject();
    attrs->set("name", p->name());
    attrs->set("file", p->file());
    attrs->set("version", p->version());
    attrs->set("abi_version", p->abiVersionString());
    attrs->set("description", p->description());
    JsonArray types = newArray();
    for (const auto& t : p->sourceTypes()) {
      JsonObject o = newObject();
      o->set("name", t.name);
      o->set("description", t.description);
      o->set("capabilities", capabilitiesJson(t.flags));
      o->set("connection_type", t.connection_type.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(t.connection_type));
      o->set("config_keys", configKeysJson(t.config_keys));
      types->add(o);
    }
    attrs->set("source_types", types);
    JsonArray conns = newArray();
    for (const auto& c : p->connectionTypes()) {
      JsonObject o = newObject();
      o->set("name", c.name);
      o->set("description", c.description);
      o->set("config_keys", configKeysJson(c.config_keys));
      conns->add(o);
    }
    attrs->set("connection_types", conns);
    data->add(resourceObject("plugin", p->name(), attrs));
  }
  JsonObject root = newObject();
  root->set("data", data);
  JsonObject meta = newObject();
  meta->set("plugin_dir", deps.report ? deps.report->dir : std::string());
  JsonArray refused = newArray();
  if (deps.report != nullptr) {
    for (const auto& e : deps.report->entries) {
      if (!e.loaded) {
        JsonObject r = newObject();
        r->set("file", e.file);
        r->set("reason", e.reason);
        refused->add(r);
      }
    }
  }
  meta->set("refused", refused);
  root->set("meta", meta);
  return jsonResponse(200, root);
}

}  // namespace

std::string sourceTypeJson(const plugins::SourceTypeInfo& type) {
  JsonObject o = newObject();
  o->set("name", type.name);
  o->set("capabilities", capabilitiesJson(type.flags));
  o->set("config_keys", configKeysJson(type.config_keys));
  return toJson(o);
}

void addOpsRoutes(Router& router, OpsDeps deps) {
  router.add({"GET", "/healthz", "", BodyKind::kNone, [](ApiRequest&) {
                JsonObject o = newObject();
                o->set("status", "ok");
                return jsonResponse(200, o);
              }});
  router.add({"GET", "/readyz", "", BodyKind::kNone, [deps](ApiRequest& req) {
                JsonObject checks = newObject();
                Status store = deps.store_ping ? deps.store_ping() : Status::ok();
                checks->set("store", store.isOk() ? std::string("ok") : store.message());
                bool plugins_ok = deps.report == nullptr || (deps.report->error.empty() && deps.report->loadedCount() > 0);
                checks->set("plugins", plugins_ok ? std::string("ok")
                                                  : (deps.report->error.empty() ? std::string("no plugin loaded")
                                                                                : deps.report->error));
                bool ready = store.isOk() && plugins_ok;
                if (!ready) {
                  // The error envelope, with the checks readable beside it.
                  JsonObject err = newObject();
                  err->set("code", "unavailable");
                  err->set("message", "not ready: store " + checks->getValue<std::string>("store") +
                                          "; plugins " + checks->getValue<std::string>("plugins"));
                  err->set("request_id", req.request_id);
                  JsonObject body = newObject();
                  body->set("error", err);
                  body->set("status", "not_ready");
                  body->set("checks", checks);
                  return jsonResponse(503, body);
                }
                JsonObject o = newObject();
                o->set("status", "ready");
                o->set("checks", checks);
                return jsonResponse(200, o);
              }});
  router.add({"GET", "/metrics", deps.metrics_require_key ? "metrics:read" : "", BodyKind::kNone, [deps](ApiRequest& req) {
                if (deps.metrics_enabled && !deps.metrics_enabled()) {
                  return errorResponse(404, "not_found",
                                       "metrics are turned off in the configuration (metrics.enabled: false)", "",
                                       req.request_id);
                }
                ApiResponse r;
                r.content_type = "text/plain; version=0.0.4";
                r.body = deps.prometheus_text ? deps.prometheus_text() : std::string();
                return r;
              }});
  router.add({"GET", "/api/plugins", "streams:read", BodyKind::kNone,
              [deps](ApiRequest&) { return pluginsResponse(deps); }});
  router.add({"GET", "/api/openapi.json", "", BodyKind::kNone, [deps](ApiRequest&) {
                ApiResponse r;
                r.body = deps.openapi_json ? deps.openapi_json() : std::string("{}");
                return r;
              }});
}

}  // namespace streamhost::api
