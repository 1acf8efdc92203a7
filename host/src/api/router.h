#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/api_types.h"

namespace streamhost::api {

/// Result of matching a method and path against the route table.
struct RouteMatch {
  const Route* route = nullptr;            ///< null: no route for this method
  std::map<std::string, std::string> params;
  std::vector<std::string> allowed_methods;  ///< non-empty when the path exists under other methods (405)
};

/// One ordered route table; patterns use `{name}` for one path segment and
/// may end in `{*name}` for the rest of the path (any number of segments).
/// Literal segments win over parameters (`/api/streams/summary` before
/// `/api/streams/{id}`) whatever the order they were added in.
class Router {
 public:
  void add(Route route);
  RouteMatch match(const std::string& method, const std::string& path) const;
  const std::vector<Route>& routes() const { return routes_; }

  /// "/v1/api/x" -> "/api/x"; "/v1/ingest/x" -> "/ingest/x"; anything else unchanged.
  static std::string stripVersionPrefix(const std::string& path);

 private:
  static bool matchPattern(const std::string& pattern, const std::string& path, std::map<std::string, std::string>& params,
                           int& literal_segments);
  std::vector<Route> routes_;
};

}  // namespace streamhost::api
