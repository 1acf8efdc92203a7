#include "api/http_server.h"

#include <Poco/Logger.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/ThreadPool.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/URI.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "api/json.h"

namespace streamhost::api {
namespace {

bool isSafeRequestId(const std::string& id) {
  if (id.empty() || id.size() > 64) {
    return false;
  }
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

std::string newRequestId() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  char buf[24];
  std::snprintf(buf, sizeof buf, "req_%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

bool methodHasBody(const std::string& m) { return m == "POST" || m == "PUT" || m == "PATCH"; }

bool isJsonContentType(const std::string& ct) {
  std::string base = ct.substr(0, ct.find(';'));
  while (!base.empty() && base.back() == ' ') {
    base.pop_back();
  }
  for (auto& c : base) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return base == "application/json" || (base.size() > 5 && base.compare(base.size() - 5, 5, "+json") == 0);
}

void addRateHeaders(ApiResponse& r, const RateLimiter::Decision& d) {
  r.headers.emplace_back("X-RateLimit-Limit", std::to_string(d.limit));
  r.headers.emplace_back("X-RateLimit-Remaining", std::to_string(d.remaining));
  r.headers.emplace_back("X-RateLimit-Reset", std::to_string(d.reset_epoch));
}

/// Reads at most `limit` bytes; returns false when the body is larger.
bool readBody(std::istream& in, int64_t limit, std::string& out) {
  char buf[16384];
  while (in) {
    in.read(buf, sizeof buf);
    std::streamsize n = in.gcount();
    if (n <= 0) {
      break;
    }
    if (static_cast<int64_t>(out.size()) + n > limit) {
      return false;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

struct HttpServer::Pipeline {
  HttpServer& server;

  void observe(const std::string& route, const std::string& method, int status, double secs) const {
    if (server.observer_) {
      server.observer_(route, method, status, secs);
    }
  }

  ApiResponse run(Poco::Net::HTTPServerRequest& preq, ApiRequest& req, std::string& route_name, bool& close) {
    RouteMatch m = server.router_.match(req.method, req.path);
    if (m.route == nullptr) {
      if (!m.allowed_methods.empty()) {
        std::string allow;
        for (const auto& a : m.allowed_methods) {
          allow += (allow.empty() ? "" : ", ") + a;
        }
        ApiResponse r = errorResponse(405, "method_not_allowed",
                                      "method " + req.method + " is not allowed on " + req.path + "; allowed: " + allow,
                                      "", req.request_id);
        r.headers.emplace_back("Allow", allow);
        return r;
      }
      return errorResponse(404, "not_found", "no route for " + req.method + " " + req.path, "", req.request_id);
    }
    const Route& route = *m.route;
    route_name = route.name;
    req.params = std::move(m.params);

    std::optional<RateLimiter::Decision> decision;
    if (!route.scope.empty()) {
      std::string key;
      if (auto auth = req.header("Authorization")) {
        if (auth->size() > 7 && strncasecmp(auth->c_str(), "Bearer ", 7) == 0) {
          key = auth->substr(7);
        }
      }
      if (key.empty()) {
        key = req.header("X-Api-Key").value_or("");
      }
      std::optional<Principal> who = key.empty() ? std::nullopt : server.authenticate_(key);
      decision = server.limiter_.take(who ? "key:" + who->key_id : "ip:" + req.remote_addr);
      ApiResponse r;
      if (!decision->allowed) {
        r = errorResponse(429, "rate_limited",
                          "rate limit exceeded; retry after " + std::to_string(decision->retry_after) + " s", "",
                          req.request_id);
        r.headers.emplace_back("Retry-After", std::to_string(decision->retry_after));
      } else if (!who) {
        r = errorResponse(401, "unauthorized",
                          key.empty() ? "missing API key: send Authorization: Bearer <key> or X-Api-Key"
                                      : "unknown API key",
                          "", req.request_id);
        r.headers.emplace_back("WWW-Authenticate", "Bearer");
      } else if (!who->hasScope(route.scope)) {
        r = errorResponse(403, "forbidden", "this API key lacks the scope " + route.scope, "", req.request_id);
      } else {
        req.principal = std::move(who);
      }
      if (!req.principal) {
        addRateHeaders(r, *decision);
        close = methodHasBody(req.method);  // the body was not read
        return r;
      }
    }

    ApiResponse r = readAndDispatch(preq, req, route, close);
    if (decision) {
      addRateHeaders(r, *decision);
    }
    return r;
  }

  ApiResponse readAndDispatch(Poco::Net::HTTPServerRequest& preq, ApiRequest& req, const Route& route, bool& close) {
    // Without Content-Length or chunked encoding a request has no body (RFC 9112
    // 6.3); reading one anyway would wait for the client to close the connection.
    bool has_body = preq.hasContentLength() || preq.getChunkedTransferEncoding();
    if (route.body != BodyKind::kNone && methodHasBody(req.method) && has_body) {
      int64_t limit = route.body == BodyKind::kRaw ? server.options_.ingest_max_body_bytes
                                                   : server.options_.max_body_bytes;
      if (preq.hasContentLength() && preq.getContentLength64() > limit) {
        close = true;  // unread body on the connection
        return errorResponse(413, "payload_too_large",
                             "request body of " + std::to_string(preq.getContentLength64()) +
                                 " bytes exceeds the limit of " + std::to_string(limit) + " bytes",
                             "body", req.request_id);
      }
      if (!readBody(preq.stream(), limit, req.body)) {
        close = true;
        return errorResponse(413, "payload_too_large",
                             "request body exceeds the limit of " + std::to_string(limit) + " bytes", "body",
                             req.request_id);
      }
      if (route.body == BodyKind::kJson && !req.body.empty() && !isJsonContentType(req.content_type)) {
        return errorResponse(415, "unsupported_media_type",
                             "request body must be application/json, got '" +
                                 (req.content_type.empty() ? std::string("(none)") : req.content_type) + "'",
                             "Content-Type", req.request_id);
      }
    }
    try {
      return route.handler(req);
    } catch (const std::exception& e) {
      Poco::Logger::get("streamhost.api")
          .error("handler failed route=%s request_id=%s error=\"%s\"", route.name, req.request_id,
                 std::string(e.what()));
    } catch (...) {
      Poco::Logger::get("streamhost.api")
          .error("handler failed route=%s request_id=%s error=unknown", route.name, req.request_id);
    }
    return errorResponse(500, "internal_error", "internal error; see the server log for request " + req.request_id,
                         "", req.request_id);
  }
};

namespace {

class RequestHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RequestHandler(HttpServer::Pipeline& pipeline) : pipeline_(pipeline) {}

  void handleRequest(Poco::Net::HTTPServerRequest& preq, Poco::Net::HTTPServerResponse& presp) override {
    auto started = std::chrono::steady_clock::now();
    ApiRequest req;
    req.method = preq.getMethod();
    req.content_type = preq.getContentType();
    req.remote_addr = preq.clientAddress().host().toString();
    for (const auto& [k, v] : preq) {
      req.headers.emplace_back(k, v);
    }
    std::string given_id = preq.get("X-Request-Id", "");
    req.request_id = isSafeRequestId(given_id) ? given_id : newRequestId();

    std::string route_name = "unmatched";
    bool close = false;
    ApiResponse resp;
    try {
      Poco::URI uri(preq.getURI());
      req.path = Router::stripVersionPrefix(uri.getPath());
      req.raw_query = uri.getRawQuery();
      for (auto& kv : uri.getQueryParameters()) {
        req.query.emplace_back(std::move(kv));
      }
      resp = pipeline_.run(preq, req, route_name, close);
    } catch (const Poco::SyntaxException& e) {
      resp = errorResponse(400, "validation_error", "malformed request URI: " + e.message(), "", req.request_id);
    } catch (const std::exception& e) {
      Poco::Logger::get("streamhost.api").error("request failed request_id=%s error=\"%s\"", req.request_id,
                                                std::string(e.what()));
      resp = errorResponse(500, "internal_error", "internal error", "", req.request_id);
    }

    presp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(resp.status));
    presp.setContentType(resp.content_type);
    presp.set("X-Request-Id", req.request_id);
    for (const auto& [k, v] : resp.headers) {
      presp.set(k, v);
    }
    if (close) {
      presp.setKeepAlive(false);
    }
    presp.setContentLength64(static_cast<Poco::Int64>(resp.body.size()));
    std::ostream& out = presp.send();
    if (req.method != "HEAD") {
      out.write(resp.body.data(), static_cast<std::streamsize>(resp.body.size()));
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    pipeline_.observe(route_name, req.method, resp.status, secs);
  }

 private:
  HttpServer::Pipeline& pipeline_;
};

class HandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit HandlerFactory(std::shared_ptr<HttpServer::Pipeline> pipeline) : pipeline_(std::move(pipeline)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new RequestHandler(*pipeline_);
  }

 private:
  std::shared_ptr<HttpServer::Pipeline> pipeline_;
};

}  // namespace

HttpServer::HttpServer(const Router& router, HttpServerOptions options, Authenticator authenticate,
                       RateLimiter& limiter, RequestObserver observer)
    : router_(router),
      options_(std::move(options)),
      authenticate_(std::move(authenticate)),
      limiter_(limiter),
      observer_(std::move(observer)) {}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start() {
  try {
    Poco::Net::SocketAddress addr(options_.host, options_.port);
    std::unique_ptr<Poco::Net::ServerSocket> socket;
    if (!options_.tls_cert_file.empty()) {
      Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, options_.tls_key_file,
                                                           options_.tls_cert_file, "",
                                                           Poco::Net::Context::VERIFY_NONE);
      socket = std::make_unique<Poco::Net::SecureServerSocket>(addr, 128, ctx);
    } else {
      socket = std::make_unique<Poco::Net::ServerSocket>(addr, 128);
    }
    port_ = socket->address().port();
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(options_.threads);
    params->setMaxQueued(options_.max_queued);
    params->setKeepAlive(true);
    params->setTimeout(Poco::Timespan(30, 0));
    auto pipeline = std::make_shared<Pipeline>(Pipeline{*this});
    pool_ = std::make_unique<Poco::ThreadPool>(2, options_.threads + 2);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new HandlerFactory(pipeline), *pool_, *socket, params);
    server_->start();
    return Status::ok();
  } catch (const Poco::Exception& e) {
    return Status(StatusCode::kUnsupported, "cannot listen on " + options_.host + ":" +
                                                std::to_string(options_.port) + ": " + e.displayText());
  }
}

void HttpServer::stop() {
  if (server_) {
    server_->stop();
    // Let requests in flight finish; idle keep-alive connections would hold
    // shutdown for their whole timeout, so after a grace period they are cut.
    for (int i = 0; i < 200 && server_->currentConnections() > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    server_->stopAll(true);
    server_.reset();
  }
  if (pool_) {
    pool_->stopAll();
    pool_.reset();
  }
}

}  // namespace streamhost::api
