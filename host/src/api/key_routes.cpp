#include "api/key_routes.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>

#include "api/body_fields.h"
#include "api/json.h"

namespace streamhost::api {
namespace {

/// RFC 3339 text to Unix ms; nullopt when it is not one.
std::optional<int64_t> parseTime(const std::string& text) {
  Poco::DateTime dt;
  int tzd = 0;
  for (const std::string& fmt : {Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, Poco::DateTimeFormat::ISO8601_FORMAT}) {
    if (Poco::DateTimeParser::tryParse(fmt, text, dt, tzd)) {
      return dt.timestamp().epochMicroseconds() / 1000 - int64_t{tzd} * 1000;
    }
  }
  return std::nullopt;
}

Poco::Dynamic::Var timeOrNull(const std::optional<int64_t>& ms) {
  return ms ? Poco::Dynamic::Var(formatTime(*ms)) : Poco::Dynamic::Var();
}

JsonObject attributes(const store::ApiKeyRow& row) {
  JsonObject a = newObject();
  a->set("name", row.name);
  JsonArray scopes = newArray();
  for (const auto& s : row.scopes) {
    scopes->add(s);
  }
  a->set("scopes", scopes);
  a->set("created_at", formatTime(row.created_at));
  a->set("expires_at", timeOrNull(row.expires_at));
  a->set("last_used_at", timeOrNull(row.last_used_at));
  return a;
}

class KeyRoutes {
 public:
  explicit KeyRoutes(KeyRouteDeps deps) : d_(deps) {}

  ApiResponse create(ApiRequest& req) const {
    auto body = parseJsonObject(req.body);
    if (!body) {
      return statusResponse(body.status(), req.request_id);
    }
    BodyFields f(*body);
    auto name = f.takeString("name");
    auto scopes = f.take("scopes");
    auto expires = f.takeString("expiresAt", "expires_at");
    for (const Status* s : {&name.status(), &scopes.status(), &expires.status()}) {
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
    core::CreateApiKeyInput input;
    input.name = **name;
    if (!*scopes || (*scopes)->type() != typeid(Poco::JSON::Array::Ptr)) {
      return statusResponse(invalidArgument("must be an array of scope names", "scopes"), req.request_id);
    }
    for (const auto& v : *(*scopes)->extract<Poco::JSON::Array::Ptr>()) {
      if (!v.isString()) {
        return statusResponse(invalidArgument("must be an array of scope names", "scopes"), req.request_id);
      }
      input.scopes.push_back(v.extract<std::string>());
    }
    if (*expires) {
      input.expires_at = parseTime(**expires);
      if (!input.expires_at) {
        return statusResponse(invalidArgument("must be an RFC 3339 time such as 2030-01-31T12:00:00Z", "expires_at"),
                              req.request_id);
      }
    }
    auto made = d_.keys->create(input);
    if (!made) {
      return statusResponse(made.status(), req.request_id);
    }
    JsonObject a = attributes(made->row);
    a->set("key", made->key);
    JsonObject meta = newObject();
    meta->set("note", "the key is shown only now; only its SHA-256 is stored");
    return resourceResponse(201, "api_key", made->row.id, a, meta);
  }

  ApiResponse list(ApiRequest& req) const {
    auto rows = d_.keys->list();
    if (!rows) {
      return statusResponse(rows.status(), req.request_id);
    }
    JsonArray data = newArray();
    for (const auto& r : *rows) {
      data->add(resourceObject("api_key", r.id, attributes(r)));
    }
    JsonObject body = newObject();
    body->set("data", data);
    return jsonResponse(200, body);
  }

  ApiResponse revoke(ApiRequest& req) const {
    auto row = d_.keys->revoke(req.params["id"]);
    if (!row) {
      return statusResponse(row.status(), req.request_id);
    }
    if (d_.authenticator != nullptr) {
      d_.authenticator->invalidate(row->id);
    }
    return resourceResponse(200, "api_key", row->id, attributes(*row));
  }

  static ApiResponse current(ApiRequest& req) {
    const Principal& who = *req.principal;
    JsonObject a = newObject();
    a->set("name", who.name);
    JsonArray scopes = newArray();
    for (const auto& s : who.scopes) {
      scopes->add(s);
    }
    a->set("scopes", scopes);
    // Keys from the config file are not in the store and cannot be revoked here.
    a->set("source", who.key_id.rfind("cfg:", 0) == 0 ? "config" : "store");
    return resourceResponse(200, "api_key", who.key_id, a);
  }

 private:
  KeyRouteDeps d_;
};

}  // namespace

void addKeyRoutes(Router& router, KeyRouteDeps deps) {
  auto r = std::make_shared<KeyRoutes>(deps);
  router.add({"POST", "/api/keys", "admin", BodyKind::kJson, [r](ApiRequest& q) { return r->create(q); }});
  router.add({"GET", "/api/keys", "admin", BodyKind::kNone, [r](ApiRequest& q) { return r->list(q); }});
  router.add({"GET", "/api/keys/current", kAnyValidKey, BodyKind::kNone,
              [](ApiRequest& q) { return KeyRoutes::current(q); }});
  router.add({"DELETE", "/api/keys/{id}", "admin", BodyKind::kNone, [r](ApiRequest& q) { return r->revoke(q); }});
}

}  // namespace streamhost::api
