// The API's request-target parsing, route matching, query parameters and page
// cursors on arbitrary requests. The input is "METHOD\nTARGET\nSCOPE": the
// target is parsed as the server does, matched against the daemon's route
// patterns, and its query read by the same helpers the handlers use.
//
// Properties: nothing throws or crashes; a bad parameter is an invalid-argument
// error naming its field; a match binds every {param} to one non-empty path
// segment; a cursor decodes back to what was encoded, and only for its scope.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/paging.h"
#include "api/query_params.h"
#include "api/request_target.h"
#include "api/router.h"
#include "core/cursor.h"

using namespace streamhost;
using namespace streamhost::api;

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "property failed: %s\n", what);
    std::abort();
  }
}

/// The daemon's route table (host/src/api/*_routes.cpp), handlers left out.
Router makeRouter() {
  static const char* kRoutes[][2] = {
      {"GET", "/api/connections"},          {"POST", "/api/connections"},
      {"GET", "/api/connections/{id}"},     {"PATCH", "/api/connections/{id}"},
      {"DELETE", "/api/connections/{id}"},  {"POST", "/api/connections/{id}/test"},
      {"POST", "/api/keys"},                {"GET", "/api/keys"},
      {"GET", "/api/keys/current"},         {"DELETE", "/api/keys/{id}"},
      {"GET", "/healthz"},                  {"GET", "/readyz"},
      {"GET", "/metrics"},                  {"GET", "/api/plugins"},
      {"GET", "/api/openapi.json"},         {"GET", "/api/pipelines"},
      {"POST", "/api/pipelines"},           {"GET", "/api/pipelines/{id}"},
      {"DELETE", "/api/pipelines/{id}"},    {"GET", "/api/pipelines/{id}/events"},
      {"POST", "/ingest/{stream_id}"},      {"GET", "/api/streams"},
      {"POST", "/api/streams"},             {"GET", "/api/streams/summary"},
      {"GET", "/api/streams/{id}"},         {"PATCH", "/api/streams/{id}"},
      {"DELETE", "/api/streams/{id}"},      {"POST", "/api/streams/{id}/start"},
      {"POST", "/api/streams/{id}/stop"},   {"POST", "/api/streams/{id}/pause"},
      {"POST", "/api/streams/{id}/resume"}, {"GET", "/api/streams/{id}/metrics"},
  };
  Router router;
  for (const auto& [method, pattern] : kRoutes) {
    router.add({method, pattern, "", BodyKind::kNone, [](ApiRequest&) { return ApiResponse{}; }});
  }
  return router;
}

void checkParamError(const Status& s, const char* field) {
  check(s.isOk() || (s.code() == StatusCode::kInvalidArgument && s.field() == field),
        "a bad query parameter is an invalid-argument error naming it");
}

void checkMatch(const RouteMatch& m, const std::string& path) {
  if (m.route == nullptr) {
    return;
  }
  check(m.allowed_methods.empty(), "a match lists no other methods");
  for (const auto& [name, value] : m.params) {
    check(!value.empty() && value.find('/') == std::string::npos, "a path parameter is one non-empty segment");
    check(path.find(value) != std::string::npos, "a path parameter comes from the path");
    check(m.route->pattern.find("{" + name + "}") != std::string::npos, "a path parameter is named in the pattern");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Router router = makeRouter();
  static const core::CursorCodec codec(std::string(32, 'k'));
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl1 = in.find('\n');
  size_t nl2 = nl1 == std::string_view::npos ? std::string_view::npos : in.find('\n', nl1 + 1);
  ApiRequest req;
  req.method = std::string(in.substr(0, nl1));
  std::string target(nl1 == std::string_view::npos ? std::string_view() : in.substr(nl1 + 1, nl2 - nl1 - 1));
  std::string scope(nl2 == std::string_view::npos ? std::string_view() : in.substr(nl2 + 1));

  Status parsed = parseRequestTarget(target, req);
  if (!parsed) {
    check(parsed.code() == StatusCode::kInvalidArgument, "a malformed target is an invalid argument");
    return 0;
  }
  checkMatch(router.match(req.method, req.path), req.path);
  checkMatch(router.match("HEAD", req.path), req.path);

  (void)checkKnownParams(req, {"limit", "cursor", "after", "wait_ms", "force"});
  checkParamError(pageLimit(req).status(), "limit");
  checkParamError(pageLimit(req, 100, 10000).status(), "limit");
  checkParamError(intParam(req, "after", 0, INT64_MAX).status(), "after");
  checkParamError(intParam(req, "wait_ms", 0, 30000).status(), "wait_ms");
  checkParamError(boolParam(req, "force", false).status(), "force");
  (void)req.header(req.method);

  auto after = cursorParam(req, codec, scope);
  checkParamError(after.status(), "cursor");
  if (after.isOk() && after->has_value()) {
    check(!cursorParam(req, codec, scope + "x").isOk(), "a cursor is refused by another listing");
  }
  // Any position (ids are short) survives the round trip, and only under its own scope.
  store::PageKey key{static_cast<int64_t>(size) - 1000, req.path.substr(0, 64)};
  if (auto v = intParam(req, "after", INT64_MIN, INT64_MAX); v.isOk() && v->has_value()) {
    key.created_at = **v;
  }
  std::string cursor = codec.encode(key, scope);
  auto back = codec.decode(cursor, scope);
  check(back.isOk() && back->created_at == key.created_at && back->id == key.id, "a cursor decodes to what it encodes");
  check(!codec.decode(cursor, scope + "/").isOk(), "a cursor is bound to its scope");
  return 0;
}
