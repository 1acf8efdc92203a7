#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/api_types.h"
#include "api/auth_failures.h"
#include "api/rate_limiter.h"
#include "api/router.h"
#include "common/status.h"

namespace Poco {
class ThreadPool;
namespace Net {
class TCPServer;
}
}  // namespace Poco

namespace streamhost::api {

struct ConnectionHub;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  ///< 0: any free port (see HttpServer::port())
  int threads = 16;
  int max_queued = 256;
  int64_t max_body_bytes = 1 << 20;          ///< JSON API bodies
  int64_t ingest_max_body_bytes = 10 << 20;  ///< BodyKind::kRaw routes
  int64_t read_timeout_ms = 30000;           ///< per read of a request head or body
  std::string tls_cert_file;                 ///< TLS when set (with key)
  std::string tls_key_file;
  int64_t auth_failures_per_minute = 60;     ///< per client address; 0: unlimited
};

/// Looks up a presented API key; nullopt when unknown.
using Authenticator = std::function<std::optional<Principal>(const std::string& presented_key)>;
/// Called once per request with the route name ("unmatched" when none), HTTP status and seconds taken.
using RequestObserver = std::function<void(const std::string& route, const std::string& method, int status,
                                           double seconds)>;

/// The API and ingest server: Poco's TCPServer with our own HTTP/1.1
/// connections (see http_connection.h) plus the request pipeline (request id,
/// routing, auth, scopes, rate limits, body limits, JSON errors).
class HttpServer {
 public:
  HttpServer(const Router& router, HttpServerOptions options, Authenticator authenticate, RateLimiter& limiter,
             RequestObserver observer);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  Status start();
  /// Stops accepting, then waits for requests in flight.
  void stop();
  uint16_t port() const { return port_; }

  /// The request pipeline one connection hands each request to (see http_connection.h).
  struct Pipeline;

 private:
  const Router& router_;
  HttpServerOptions options_;
  Authenticator authenticate_;
  RateLimiter& limiter_;
  AuthFailureLimiter failures_;
  RequestObserver observer_;
  // The server's own threads, joined in stop(): threads left alive at exit
  // would take their OpenSSL per-thread state (the RNG) with them unfreed.
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::shared_ptr<ConnectionHub> hub_;
  std::shared_ptr<Pipeline> pipeline_;
  std::unique_ptr<Poco::Net::TCPServer> server_;
  uint16_t port_ = 0;
};

}  // namespace streamhost::api
