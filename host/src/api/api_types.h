#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace streamhost::api {

/// The route scope that any valid key satisfies.
inline constexpr const char* kAnyValidKey = "*";

/// Who made a request, once authenticated.
struct Principal {
  std::string key_id;  ///< stable id for rate limiting and logs (never the key itself)
  std::string name;
  std::vector<std::string> scopes;

  /// `admin` implies every scope; kAnyValidKey is held by every key.
  bool hasScope(const std::string& scope) const;
};

/// A request as handlers see it: Poco stays in the server adapter.
struct ApiRequest {
  std::string method;
  std::string path;  ///< without the /v1 prefix
  std::string raw_query;
  std::vector<std::pair<std::string, std::string>> query;  ///< decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;
  std::map<std::string, std::string> params;  ///< path parameters, e.g. {"id": "str_..."}
  std::string body;
  std::string content_type;
  std::string request_id;
  std::string remote_addr;
  std::optional<Principal> principal;

  /// First header of that name, case-insensitive.
  std::optional<std::string> header(const std::string& name) const;
  /// First query value of that name.
  std::optional<std::string> queryParam(const std::string& name) const;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using Handler = std::function<ApiResponse(ApiRequest&)>;

/// What a route needs before its handler runs.
enum class BodyKind {
  kNone,  ///< no body expected (a body is ignored)
  kJson,  ///< application/json body (may be empty when the handler allows)
  kRaw,   ///< any content type, bounded by the ingest limit (webhooks)
};

struct Route {
  std::string method;
  std::string pattern;  ///< "/api/streams/{id}/start"
  std::string scope;    ///< required scope; empty: no API key needed
  BodyKind body = BodyKind::kNone;
  Handler handler;
  std::string name;  ///< metrics label; defaults to the pattern
};

}  // namespace streamhost::api
