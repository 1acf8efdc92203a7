#include "api/console_routes.h"

#include <algorithm>

#include "api/json.h"

namespace streamhost::api {

const char* const kConsoleCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

namespace {

void addSecurityHeaders(ApiResponse& r) {
  r.headers.emplace_back("Content-Security-Policy", kConsoleCsp);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
}

bool acceptsGzip(const ApiRequest& req) {
  auto ae = req.header("Accept-Encoding");
  if (!ae) {
    return false;
  }
  // "gzip;q=0" refuses it; anything else naming gzip accepts it.
  auto pos = ae->find("gzip");
  if (pos == std::string::npos) {
    return false;
  }
  auto rest = ae->substr(pos + 4, ae->find(',', pos) - pos - 4);
  rest.erase(std::remove(rest.begin(), rest.end(), ' '), rest.end());
  return rest != ";q=0" && rest != ";q=0.0" && rest != ";q=0.00" && rest != ";q=0.000";
}

bool etagMatches(const ApiRequest& req, const std::string& etag) {
  auto inm = req.header("If-None-Match");
  return inm && (inm->find(etag) != std::string::npos || *inm == "*");
}

/// Dot segments, backslashes and control bytes never name a console file;
/// they are refused by name so that probing for them is visible in the log.
bool traversalAttempt(const std::string& path) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) {
      end = path.size();
    }
    std::string seg = path.substr(start, end - start);
    if (seg == "." || seg == "..") {
      return true;
    }
    start = end + 1;
  }
  for (unsigned char c : path) {
    if (c < 0x20 || c == '\\' || c == 0x7f) {
      return true;
    }
  }
  return false;
}

ApiResponse serveAsset(const ConsoleDeps& deps, ApiRequest& req) {
  ApiResponse r;
  std::string path = req.params["path"];
  if (!deps.assets) {
    r = errorResponse(503, "unavailable", deps.unavailable_why, "", req.request_id);
  } else if (traversalAttempt(path)) {
    r = errorResponse(400, "validation_error", "a console path may not contain '.', '..', '\\' or control characters",
                      "path", req.request_id);
  } else {
    const ConsoleAsset* a = deps.assets->find(path.empty() ? "index.html" : path);
    if (a == nullptr) {
      r = errorResponse(404, "not_found", "no console file " + req.path, "", req.request_id);
    } else {
      // Names carry no content hash, so every load revalidates; an unchanged
      // file costs one 304 round trip.
      r.headers.emplace_back("Cache-Control", "no-cache");
      r.headers.emplace_back("ETag", a->etag);
      r.headers.emplace_back("Vary", "Accept-Encoding");
      r.content_type = a->content_type;
      if (etagMatches(req, a->etag)) {
        r.status = 304;
      } else if (!a->gzip.empty() && acceptsGzip(req)) {
        r.headers.emplace_back("Content-Encoding", "gzip");
        r.body = a->gzip;
      } else {
        r.body = a->body;
      }
    }
  }
  addSecurityHeaders(r);
  return r;
}

}  // namespace

void addConsoleRoutes(Router& router, ConsoleDeps deps) {
  router.add({"GET", "/console", "", BodyKind::kNone, [](ApiRequest& req) {
                ApiResponse r;
                r.status = 301;
                r.headers.emplace_back("Location", "/console/");
                r.content_type = "text/plain; charset=utf-8";
                r.body = "see /console/\n";
                addSecurityHeaders(r);
                (void)req;
                return r;
              }, "console"});
  router.add({"GET", "/console/{*path}", "", BodyKind::kNone,
              [deps](ApiRequest& req) { return serveAsset(deps, req); }, "console"});
}

}  // namespace streamhost::api
