#include "api/openapi.h"

#include "api/json.h"

namespace streamhost::api {
namespace {

struct Operation {
  const char* method;
  const char* path;
  const char* summary;
  const char* query;  ///< comma-separated query parameter names
  const char* body;   ///< request body fields, comma-separated; empty: none; "*": keys of the source type
  const char* tag;
};

// One line per documented operation. A route served but missing here fails
// the OpenAPI test, so the document cannot fall behind the router.
constexpr Operation kOperations[] = {
    {"GET", "/healthz", "Process is up.", "", "", "operations"},
    {"GET", "/readyz", "Store reachable and plugins loaded.", "", "", "operations"},
    {"GET", "/metrics",
     "Prometheus text: per-stream events, bytes, errors, lag, status; HTTP requests. Needs metrics:read unless "
     "metrics.require_key is false.",
     "", "", "operations"},
    {"GET", "/api/openapi.json", "This document.", "", "", "operations"},
    {"GET", "/api/plugins", "Loaded plugins, their source types, capabilities and config keys.", "", "", "plugins"},
    {"GET", "/api/streams", "List streams, newest first.", "status,source_type,pipeline_id,limit,cursor", "",
     "streams"},
    {"POST", "/api/streams", "Create a stream (status created).", "", "name,sourceType,pipelineId,connectionId,config",
     "streams"},
    {"GET", "/api/streams/summary", "Counts by status and source type, health, throughput, errors, lag.", "", "",
     "streams"},
    {"GET", "/api/streams/{id}", "One stream.", "", "", "streams"},
    {"PATCH", "/api/streams/{id}", "Change name or config of a stream that is not running.", "", "name,config",
     "streams"},
    {"DELETE", "/api/streams/{id}", "Stop, tear down at the source, and delete a stream.", "force", "", "streams"},
    {"POST", "/api/streams/{id}/start", "Start reading, from the committed offset when there is one.", "", "",
     "streams"},
    {"POST", "/api/streams/{id}/stop", "Stop reading after the in-flight batch is durable; commit offsets.", "", "",
     "streams"},
    {"POST", "/api/streams/{id}/pause", "Stop reading but keep the source position and worker.", "", "", "streams"},
    {"POST", "/api/streams/{id}/resume", "Resume a paused stream.", "", "", "streams"},
    {"GET", "/api/streams/{id}/metrics", "Events, bytes, errors, lag and a series over a window.", "window", "",
     "streams"},
    {"GET", "/api/streams/{id}/offsets",
     "The committed position in the source's own terms, and where the source is; 501 when the type has none.", "",
     "", "streams"},
    {"PUT", "/api/streams/{id}/offsets",
     "Set the committed position (typed as GET shows it) of a created, stopped or paused stream.", "", "*",
     "streams"},
    {"DELETE", "/api/streams/{id}/offsets", "Reset to the source's start (a new snapshot, start_from).", "", "",
     "streams"},
    {"GET", "/api/pipelines", "List pipelines.", "limit,cursor", "", "pipelines"},
    {"POST", "/api/pipelines", "Create a pipeline with an optional retention.", "", "name,retention", "pipelines"},
    {"GET", "/api/pipelines/{id}", "One pipeline.", "", "", "pipelines"},
    {"DELETE", "/api/pipelines/{id}", "Delete a pipeline no stream feeds.", "", "", "pipelines"},
    {"GET", "/api/pipelines/{id}/events", "Read records after a sequence number; long-polls with wait_ms.",
     "after,limit,wait_ms", "", "pipelines"},
    {"GET", "/api/connections", "List connections.", "type,limit,cursor", "", "connections"},
    {"POST", "/api/connections", "Create a connection; secrets are write-only.", "", "name,type,config,secrets",
     "connections"},
    {"GET", "/api/connections/{id}", "One connection (secret keys listed, never values).", "", "", "connections"},
    {"PATCH", "/api/connections/{id}", "Change name, config or secrets.", "", "name,config,secrets", "connections"},
    {"DELETE", "/api/connections/{id}", "Delete a connection no stream uses.", "", "", "connections"},
    {"POST", "/api/connections/{id}/test", "Ask the plugin to connect and report.", "", "", "connections"},
    {"POST", "/api/keys", "Create an API key (admin); the key is in this answer only.", "", "name,scopes,expires_at",
     "keys"},
    {"GET", "/api/keys", "List API keys (admin): names, scopes, expiry, last use; never a key.", "", "", "keys"},
    {"GET", "/api/keys/current", "The calling key's own name and scopes (any valid key).", "", "", "keys"},
    {"DELETE", "/api/keys/{id}", "Revoke an API key (admin); refused from the next request on.", "", "", "keys"},
    {"POST", "/ingest/{stream_id}", "Webhook ingest for a running push stream: its own auth, no API key.", "", "",
     "ingest"},
};

std::vector<std::string> split(const char* csv) {
  std::vector<std::string> out;
  std::string cur;
  for (const char* p = csv; *p != '\0'; ++p) {
    if (*p == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += *p;
    }
  }
  if (!cur.empty()) {
    out.push_back(cur);
  }
  return out;
}

JsonObject errorResponses() {
  JsonObject responses = newObject();
  for (const char* code : {"400", "401", "403", "404", "409", "413", "415", "429", "500", "503"}) {
    JsonObject r = newObject();
    r->set("$ref", "#/components/responses/Error");
    responses->set(code, r);
  }
  return responses;
}

JsonObject components() {
  JsonObject errorSchema = newObject();
  errorSchema->set("type", "object");
  JsonObject props = newObject();
  JsonObject err = newObject();
  err->set("type", "object");
  JsonObject errProps = newObject();
  for (const char* f : {"code", "message", "field", "request_id"}) {
    JsonObject s = newObject();
    s->set("type", "string");
    errProps->set(f, s);
  }
  err->set("properties", errProps);
  props->set("error", err);
  errorSchema->set("properties", props);
  JsonObject schemas = newObject();
  schemas->set("Error", errorSchema);

  JsonObject errorResponse = newObject();
  errorResponse->set("description", "Error envelope");
  JsonObject content = newObject();
  JsonObject media = newObject();
  JsonObject schemaRef = newObject();
  schemaRef->set("$ref", "#/components/schemas/Error");
  media->set("schema", schemaRef);
  content->set("application/json", media);
  errorResponse->set("content", content);
  JsonObject responses = newObject();
  responses->set("Error", errorResponse);

  JsonObject bearer = newObject();
  bearer->set("type", "http");
  bearer->set("scheme", "bearer");
  JsonObject apiKey = newObject();
  apiKey->set("type", "apiKey");
  apiKey->set("in", "header");
  apiKey->set("name", "X-Api-Key");
  JsonObject security = newObject();
  security->set("bearer", bearer);
  security->set("apiKey", apiKey);

  JsonObject c = newObject();
  c->set("schemas", schemas);
  c->set("responses", responses);
  c->set("securitySchemes", security);
  return c;
}

JsonObject operationJson(const Operation& op, const Route* route) {
  JsonObject o = newObject();
  o->set("summary", op.summary);
  JsonArray tags = newArray();
  tags->add(op.tag);
  o->set("tags", tags);
  o->set("operationId", std::string(op.method) + " " + op.path);
  JsonArray params = newArray();
  std::string path = op.path;
  for (size_t i = path.find('{'); i != std::string::npos; i = path.find('{', i + 1)) {
    JsonObject p = newObject();
    p->set("name", path.substr(i + 1, path.find('}', i) - i - 1));
    p->set("in", "path");
    p->set("required", true);
    JsonObject s = newObject();
    s->set("type", "string");
    p->set("schema", s);
    params->add(p);
  }
  for (const auto& q : split(op.query)) {
    JsonObject p = newObject();
    p->set("name", q);
    p->set("in", "query");
    p->set("required", false);
    JsonObject s = newObject();
    s->set("type", q == "limit" || q == "after" || q == "wait_ms" ? "integer" : (q == "force" ? "boolean" : "string"));
    p->set("schema", s);
    params->add(p);
  }
  o->set("parameters", params);
  auto fields = split(op.body);
  if (!fields.empty()) {
    JsonObject schema = newObject();
    schema->set("type", "object");
    // "*": an object whose keys the source type defines (a typed offset).
    schema->set("additionalProperties", fields.front() == "*");
    JsonObject props = newObject();
    for (const auto& f : fields) {
      if (f == "*") {
        continue;
      }
      JsonObject s = newObject();
      s->set("type", f == "config" || f == "secrets" || f == "retention" ? "object" : f == "scopes" ? "array" : "string");
      props->set(f, s);
    }
    schema->set("properties", props);
    JsonObject media = newObject();
    media->set("schema", schema);
    JsonObject content = newObject();
    content->set("application/json", media);
    JsonObject body = newObject();
    body->set("required", true);
    body->set("content", content);
    o->set("requestBody", body);
  }
  JsonObject responses = errorResponses();
  JsonObject ok = newObject();
  ok->set("description", "Success: a JSON envelope (data, meta)");
  responses->set(std::string(op.method) == "POST" && std::string(op.path).find("{id}") == std::string::npos &&
                         std::string(op.path) != "/ingest/{stream_id}"
                     ? "201"
                     : "200",
                 ok);
  o->set("responses", responses);
  if (route != nullptr && !route->scope.empty()) {
    JsonArray security = newArray();
    JsonObject b = newObject();
    JsonArray scopes = newArray();
    scopes->add(route->scope);
    b->set("bearer", scopes);
    security->add(b);
    JsonObject k = newObject();
    k->set("apiKey", scopes);
    security->add(k);
    o->set("security", security);
    o->set("x-required-scope", route->scope);
  }
  return o;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> documentedOperations() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& op : kOperations) {
    out.emplace_back(op.method, op.path);
  }
  return out;
}

std::string buildOpenApi(const Router& router, const std::string& version) {
  JsonObject root = newObject();
  root->set("openapi", "3.0.3");
  JsonObject info = newObject();
  info->set("title", "streamhost API");
  info->set("version", version);
  info->set("description",
            "Every /api path is also served under /v1. Errors use the envelope "
            "{\"error\": {\"code\", \"message\", \"field\", \"request_id\"}}.");
  root->set("info", info);
  JsonArray servers = newArray();
  JsonObject s1 = newObject();
  s1->set("url", "/");
  servers->add(s1);
  JsonObject s2 = newObject();
  s2->set("url", "/v1");
  servers->add(s2);
  root->set("servers", servers);
  JsonObject paths = newObject();
  for (const auto& op : kOperations) {
    const Route* route = nullptr;
    for (const auto& r : router.routes()) {
      if (r.method == op.method && r.pattern == op.path) {
        route = &r;
      }
    }
    JsonObject item = paths->has(op.path) ? paths->getObject(op.path) : newObject();
    std::string method = op.method;
    for (auto& c : method) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    item->set(method, operationJson(op, route));
    paths->set(op.path, item);
  }
  root->set("paths", paths);
  root->set("components", components());
  return toJson(root);
}

}  // namespace streamhost::api
