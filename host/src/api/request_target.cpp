#include "api/request_target.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include "api/router.h"

namespace streamhost::api {

Status parseRequestTarget(const std::string& target, ApiRequest& req) {
  try {
    Poco::URI uri(target);
    req.path = Router::stripVersionPrefix(uri.getPath());
    req.raw_query = uri.getRawQuery();
    req.query.clear();
    for (auto& kv : uri.getQueryParameters()) {
      req.query.emplace_back(std::move(kv));
    }
    return Status::ok();
  } catch (const Poco::SyntaxException& e) {
    return invalidArgument("malformed request URI: " + e.message());
  }
}

}  // namespace streamhost::api
