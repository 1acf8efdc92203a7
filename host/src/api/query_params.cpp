#include "api/query_params.h"

#include <charconv>

namespace streamhost::api {

Status checkKnownParams(const ApiRequest& req, std::initializer_list<const char*> known) {
  for (const auto& [k, v] : req.query) {
    bool ok = false;
    for (const char* n : known) {
      ok = ok || k == n;
    }
    if (!ok) {
      return invalidArgument("unknown query parameter '" + k + "'", k);
    }
  }
  return Status::ok();
}

Result<std::optional<int64_t>> intParam(const ApiRequest& req, const std::string& name, int64_t min, int64_t max) {
  auto v = req.queryParam(name);
  if (!v) {
    return std::optional<int64_t>();
  }
  int64_t n = 0;
  auto r = std::from_chars(v->data(), v->data() + v->size(), n);
  if (v->empty() || r.ec != std::errc() || r.ptr != v->data() + v->size() || n < min || n > max) {
    return invalidArgument("must be an integer from " + std::to_string(min) + " to " + std::to_string(max) + ", got '" +
                               *v + "'",
                           name);
  }
  return std::optional<int64_t>(n);
}

Result<int> pageLimit(const ApiRequest& req, int default_limit, int max_limit) {
  auto v = intParam(req, "limit", 1, max_limit);
  if (!v) {
    return v.status();
  }
  return static_cast<int>(v->value_or(default_limit));
}

Result<bool> boolParam(const ApiRequest& req, const std::string& name, bool fallback) {
  auto v = req.queryParam(name);
  if (!v) {
    return fallback;
  }
  if (*v == "true" || *v == "1") {
    return true;
  }
  if (*v == "false" || *v == "0") {
    return false;
  }
  return invalidArgument("must be true or false, got '" + *v + "'", name);
}

}  // namespace streamhost::api
