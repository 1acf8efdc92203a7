#include "api/router.h"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace streamhost::api {
namespace {

// Empty segments count, so "/api/streams//start" never matches "{id}".
std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> parts;
  if (!path.empty() && path.front() == '/') {
    path.remove_prefix(1);
  }
  size_t i = 0;
  while (true) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) {
      parts.push_back(path.substr(i));
      return parts;
    }
    parts.push_back(path.substr(i, j - i));
    i = j + 1;
  }
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

bool Principal::hasScope(const std::string& scope) const {
  if (scope == kAnyValidKey) {
    return true;
  }
  return std::any_of(scopes.begin(), scopes.end(), [&](const std::string& s) { return s == "admin" || s == scope; });
}

std::optional<std::string> ApiRequest::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) {
      return v;
    }
  }
  return std::nullopt;
}

std::optional<std::string> ApiRequest::queryParam(const std::string& name) const {
  for (const auto& [k, v] : query) {
    if (k == name) {
      return v;
    }
  }
  return std::nullopt;
}

void Router::add(Route route) {
  if (route.name.empty()) {
    route.name = route.pattern;
  }
  routes_.push_back(std::move(route));
}

bool Router::matchPattern(const std::string& pattern, const std::string& path, std::map<std::string, std::string>& params,
                          int& literal_segments) {
  auto want = split(pattern);
  auto got = split(path);
  // A last segment "{*name}" takes the rest of the path, slashes included
  // (empty segments too: "/console/" gives it "").
  bool tail = !want.empty() && want.back().size() > 3 && want.back().substr(0, 2) == "{*" && want.back().back() == '}';
  if (tail) {
    if (got.size() < want.size()) {
      return false;
    }
  } else if (want.size() != got.size()) {
    return false;
  }
  literal_segments = 0;
  std::map<std::string, std::string> found;
  for (size_t i = 0; i < want.size(); ++i) {
    std::string_view w = want[i];
    if (tail && i + 1 == want.size()) {
      std::string rest;
      for (size_t j = i; j < got.size(); ++j) {
        rest += (j > i ? "/" : "") + std::string(got[j]);
      }
      found.emplace(std::string(w.substr(2, w.size() - 3)), std::move(rest));
      break;
    }
    if (w.size() > 2 && w.front() == '{' && w.back() == '}') {
      if (got[i].empty()) {
        return false;
      }
      found.emplace(std::string(w.substr(1, w.size() - 2)), std::string(got[i]));
    } else if (w == got[i]) {
      ++literal_segments;
    } else {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

RouteMatch Router::match(const std::string& method, const std::string& path) const {
  RouteMatch best;
  int best_literals = -1;
  for (const auto& r : routes_) {
    std::map<std::string, std::string> params;
    int literals = 0;
    if (!matchPattern(r.pattern, path, params, literals)) {
      continue;
    }
    // HEAD is served by GET routes.
    bool method_ok = r.method == method || (method == "HEAD" && r.method == "GET");
    if (!method_ok) {
      if (std::find(best.allowed_methods.begin(), best.allowed_methods.end(), r.method) ==
          best.allowed_methods.end()) {
        best.allowed_methods.push_back(r.method);
      }
      continue;
    }
    if (literals > best_literals) {
      best.route = &r;
      best.params = std::move(params);
      best_literals = literals;
    }
  }
  if (best.route != nullptr) {
    best.allowed_methods.clear();
  }
  return best;
}

std::string Router::stripVersionPrefix(const std::string& path) {
  static constexpr std::string_view kPrefix = "/v1/";
  if (path.size() > kPrefix.size() && path.compare(0, kPrefix.size(), kPrefix) == 0) {
    return path.substr(kPrefix.size() - 1);
  }
  return path;
}

}  // namespace streamhost::api
