#pragma once

#include <cstdint>
#include <functional>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
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
struct TlsIdentity;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  ///< 0: any free port (see HttpServer::port())
  int threads = 16;  ///< kept ready; each connection has its own thread while it lives
  int max_connections = 4096;
  int max_connections_per_client = 1024;
  int64_t idle_timeout_ms = 30000;    ///< keep-alive wait for the next request
  int64_t header_timeout_ms = 10000;  ///< whole request head
  int64_t body_timeout_ms = 60000;    ///< whole request body
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

  /// Re-reads the certificate chain and key (SIGHUP reload) for the
  /// handshakes that start from now on; connections already up keep theirs.
  /// A file that cannot be read, or a key that does not match the
  /// certificate, is refused and the current pair stays. Only on a server
  /// started with TLS. On success `summary` describes the new certificate.
  Status reloadTls(const std::string& cert_file, const std::string& key_file, std::string& summary);
  bool tlsEnabled() const { return !options_.tls_cert_file.empty(); }

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
  // Read by the handshake callback of the TLS context; outlives the hub.
  std::shared_ptr<TlsIdentity> tls_identity_;
  std::shared_ptr<ConnectionHub> hub_;
  std::shared_ptr<Pipeline> pipeline_;
  std::unique_ptr<Poco::Net::TCPServer> server_;
  // Cuts connections whose request head or body is overdue.
  std::thread janitor_;
  std::mutex janitor_mu_;
  std::condition_variable janitor_cv_;
  bool janitor_stop_ = false;
  uint16_t port_ = 0;
};

}  // namespace streamhost::api
