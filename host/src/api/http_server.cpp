#include "api/http_server.h"

#include <Poco/Logger.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "api/http_connection.h"
#include "api/json.h"
#include "api/request_target.h"

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

// TLS 1.2 suites with forward secrecy and AEAD only (TLS 1.3 suites are
// OpenSSL's own, all of that kind); older protocols are disabled outright.
constexpr const char* kTlsCipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// What is dropped unread after an early answer before the connection is
// closed instead; a body this small costs less to read than a reconnect.
constexpr int64_t kDiscardLimit = 1 << 20;
// Threads beyond max_connections, so a connection over a limit still gets its 503.
constexpr int kRefusalThreads = 64;
// Stack of each connection's thread: address space only, what is touched is
// what counts; thousands of idle connections cost little.
constexpr int kConnectionStackBytes = 2 << 20;

/// Lets the process hold max_connections sockets besides its files.
void raiseOpenFileLimit(int max_connections) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    return;
  }
  rlim_t want = static_cast<rlim_t>(max_connections) * 2 + 1024;
  if (rl.rlim_cur >= want) {
    return;
  }
  rl.rlim_cur = std::min(want, rl.rlim_max);
  setrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < want) {
    Poco::Logger::get("streamhost.api")
        .warning("open file limit is %lu, below the %lu that http.max_connections=%d needs; raise LimitNOFILE",
                 static_cast<unsigned long>(rl.rlim_cur), static_cast<unsigned long>(want), max_connections);
  }
}

enum class BodyRead { kComplete, kTooLarge, kBroken };

/// Reads at most `limit` bytes of the body into `out`.
BodyRead readBody(Poco::Net::HTTPServerRequest& preq, int64_t limit, std::string& out) {
  std::istream& in = preq.stream();
  char buf[16384];
  while (in) {
    in.read(buf, sizeof buf);
    std::streamsize n = in.gcount();
    if (n <= 0) {
      break;
    }
    if (static_cast<int64_t>(out.size()) + n > limit) {
      return BodyRead::kTooLarge;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  // Poco's streams turn a timeout or reset into badbit, and a peer that closes
  // early into a short body: neither is a request to act on.
  if (in.bad() || (preq.hasContentLength() && static_cast<int64_t>(out.size()) != preq.getContentLength64())) {
    return BodyRead::kBroken;
  }
  return BodyRead::kComplete;
}

/// Every 4xx and 5xx leaves as a JSON error envelope with the request id,
/// whichever route produced it.
void ensureErrorEnvelope(ApiResponse& r, const std::string& request_id) {
  if (r.status < 400) {
    return;
  }
  bool envelope = r.content_type.rfind("application/json", 0) == 0 && r.body.rfind("{\"error\":{", 0) == 0;
  if (envelope) {
    return;
  }
  std::string message = r.body.size() <= 200 && r.content_type.rfind("text/plain", 0) == 0 && !r.body.empty()
                            ? r.body
                            : "request failed with status " + std::to_string(r.status);
  auto headers = std::move(r.headers);
  r = errorResponse(r.status, errorCodeForHttpStatus(r.status), message, "", request_id);
  r.headers = std::move(headers);
}

}  // namespace

/// The certificate chain and key the TLS handshakes present. Swapped whole on
/// reload; the context's certificate callback copies the current pair into
/// each new connection, so Poco's context is built once and never touched.
struct TlsIdentity {
  struct Pair {
    X509* cert = nullptr;
    STACK_OF(X509)* chain = nullptr;
    EVP_PKEY* key = nullptr;
    std::string summary;
    ~Pair() {
      X509_free(cert);
      sk_X509_pop_free(chain, X509_free);
      EVP_PKEY_free(key);
    }
  };
  std::mutex mu;
  std::shared_ptr<Pair> current;

  std::shared_ptr<Pair> get() {
    std::lock_guard lock(mu);
    return current;
  }
  void set(std::shared_ptr<Pair> p) {
    std::lock_guard lock(mu);
    current = std::move(p);
  }

  static std::string opensslError() {
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0) {
      return "no PEM data";
    }
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
  }

  /// Reads a PEM certificate chain (leaf first) and a PEM private key.
  static Result<std::shared_ptr<Pair>> load(const std::string& cert_file, const std::string& key_file) {
    auto pair = std::make_shared<Pair>();
    BIO* bio = BIO_new_file(cert_file.c_str(), "r");
    if (bio == nullptr) {
      ERR_clear_error();
      return Status(StatusCode::kInvalidConfig, "cannot read tls.cert_file " + cert_file, "tls.cert_file");
    }
    pair->cert = PEM_read_bio_X509_AUX(bio, nullptr, nullptr, nullptr);
    if (pair->cert == nullptr) {
      BIO_free(bio);
      return Status(StatusCode::kInvalidConfig,
                    "tls.cert_file " + cert_file + " holds no PEM certificate: " + opensslError(), "tls.cert_file");
    }
    pair->chain = sk_X509_new_null();
    while (X509* extra = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      sk_X509_push(pair->chain, extra);
    }
    ERR_clear_error();  // the end of the file reads as an error
    BIO_free(bio);
    bio = BIO_new_file(key_file.c_str(), "r");
    if (bio == nullptr) {
      ERR_clear_error();
      return Status(StatusCode::kInvalidConfig, "cannot read tls.key_file " + key_file, "tls.key_file");
    }
    pair->key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (pair->key == nullptr) {
      return Status(StatusCode::kInvalidConfig,
                    "tls.key_file " + key_file + " holds no PEM private key: " + opensslError(), "tls.key_file");
    }
    if (X509_check_private_key(pair->cert, pair->key) != 1) {
      ERR_clear_error();
      return Status(StatusCode::kInvalidConfig,
                    "tls.key_file " + key_file + " is not the key of the certificate in " + cert_file, "tls.key_file");
    }
    char subject[256] = {0};
    X509_NAME_oneline(X509_get_subject_name(pair->cert), subject, sizeof subject - 1);
    std::string not_after;
    if (BIO* mem = BIO_new(BIO_s_mem())) {
      ASN1_TIME_print(mem, X509_get0_notAfter(pair->cert));
      char* data = nullptr;
      long n = BIO_get_mem_data(mem, &data);
      not_after.assign(data, static_cast<size_t>(n));
      BIO_free(mem);
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    X509_digest(pair->cert, EVP_sha256(), md, &md_len);
    static const char* kHex = "0123456789abcdef";
    std::string fp;
    for (unsigned i = 0; i < md_len && i < 8; ++i) {
      fp += kHex[md[i] >> 4];
      fp += kHex[md[i] & 15];
    }
    pair->summary = std::string("subject ") + subject + ", expires " + not_after + ", sha256 " + fp + "...";
    return pair;
  }

  /// SSL_CTX_set_cert_cb: present the current pair on this connection.
  static int onHandshake(SSL* ssl, void* arg) {
    auto pair = static_cast<TlsIdentity*>(arg)->get();
    if (!pair) {
      return 1;  // keep what the context was built with
    }
    return SSL_use_cert_and_key(ssl, pair->cert, pair->key, pair->chain, 1) == 1 ? 1 : 0;
  }
};

struct HttpServer::Pipeline {
  HttpServer& server;

  void observe(const std::string& route, const std::string& method, int status, double secs) const {
    if (server.observer_) {
      server.observer_(route, method, status, secs);
    }
  }

  static std::string presentedKey(const ApiRequest& req) {
    if (auto auth = req.header("Authorization")) {
      if (auth->size() > 7 && strncasecmp(auth->c_str(), "Bearer ", 7) == 0) {
        return auth->substr(7);
      }
    }
    return req.header("X-Api-Key").value_or("");
  }

  /// Spends a token of the key's bucket (or the address's, for no valid key).
  /// An address with too many failed keys is refused before its key is
  /// hashed or looked up.
  std::pair<std::optional<Principal>, RateLimiter::Decision> admit(const ApiRequest& req, const std::string& key) {
    if (!key.empty()) {
      if (int64_t wait = server.failures_.blockedFor(req.remote_addr); wait > 0) {
        RateLimiter::Decision refused;
        refused.allowed = false;
        refused.retry_after = wait;
        refused.reset_epoch =
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                .count() +
            wait;
        return {std::nullopt, refused};
      }
    }
    std::optional<Principal> who = key.empty() ? std::nullopt : server.authenticate_(key);
    if (!key.empty() && !who) {
      server.failures_.recordFailure(req.remote_addr);
    }
    auto decision = server.limiter_.take(who ? "key:" + who->key_id : "ip:" + req.remote_addr);
    return {std::move(who), decision};
  }

  static ApiResponse rateLimited(const RateLimiter::Decision& d, const std::string& request_id) {
    ApiResponse r = errorResponse(429, "rate_limited",
                                  "rate limit exceeded; retry after " + std::to_string(d.retry_after) + " s", "",
                                  request_id);
    r.headers.emplace_back("Retry-After", std::to_string(d.retry_after));
    return r;
  }

  ApiResponse unmatched(const RouteMatch& m, const ApiRequest& req) {
    // A request that presents a key is an API call even on a wrong path: it
    // spends the key's bucket and gets the rate-limit headers.
    std::string key = presentedKey(req);
    std::optional<RateLimiter::Decision> decision;
    if (!key.empty()) {
      decision = admit(req, key).second;
      if (!decision->allowed) {
        ApiResponse r = rateLimited(*decision, req.request_id);
        addRateHeaders(r, *decision);
        return r;
      }
    }
    ApiResponse r;
    if (!m.allowed_methods.empty()) {
      std::string allow;
      for (const auto& a : m.allowed_methods) {
        allow += (allow.empty() ? "" : ", ") + a;
      }
      r = errorResponse(405, "method_not_allowed",
                        "method " + req.method + " is not allowed on " + req.path + "; allowed: " + allow, "",
                        req.request_id);
      r.headers.emplace_back("Allow", allow);
    } else {
      r = errorResponse(404, "not_found", "no route for " + req.method + " " + req.path, "", req.request_id);
    }
    if (decision) {
      addRateHeaders(r, *decision);
    }
    return r;
  }

  ApiResponse run(Poco::Net::HTTPServerRequest& preq, ApiRequest& req, std::string& route_name, bool& close) {
    RouteMatch m = server.router_.match(req.method, req.path);
    if (m.route == nullptr) {
      return unmatched(m, req);
    }
    const Route& route = *m.route;
    route_name = route.name;
    req.params = std::move(m.params);

    std::optional<RateLimiter::Decision> decision;
    if (!route.scope.empty()) {
      std::string key = presentedKey(req);
      auto [who, d] = admit(req, key);
      decision = d;
      ApiResponse r;
      if (!decision->allowed) {
        r = rateLimited(*decision, req.request_id);
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
      // A body over the limit is too large to drain cheaply: answer, then close.
      if (preq.hasContentLength() && preq.getContentLength64() > limit) {
        close = true;
        return errorResponse(413, "payload_too_large",
                             "request body of " + std::to_string(preq.getContentLength64()) +
                                 " bytes exceeds the limit of " + std::to_string(limit) + " bytes",
                             "body", req.request_id);
      }
      switch (readBody(preq, limit, req.body)) {
        case BodyRead::kComplete: break;
        case BodyRead::kTooLarge:
          close = true;
          return errorResponse(413, "payload_too_large",
                               "request body exceeds the limit of " + std::to_string(limit) + " bytes", "body",
                               req.request_id);
        case BodyRead::kBroken:
          close = true;
          return errorResponse(408, "request_timeout",
                               "the request body ended early, stalled past limits.http_read_timeout_ms, or did not arrive within "
                               "http.body_timeout_ms", "body",
                               req.request_id);
      }
      if (route.body == BodyKind::kJson && !req.body.empty() && !isJsonContentType(req.content_type)) {
        return errorResponse(415, "unsupported_media_type",
                             "request body must be application/json, got '" +
                                 (req.content_type.empty() ? std::string("(none)") : req.content_type) + "'",
                             "Content-Type", req.request_id);
      }
    }
    markRequestHandling();
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

  /// Answers one request: the pipeline, then the rest of the body, then the answer.
  BodyFate serve(Poco::Net::HTTPServerRequest& preq, Poco::Net::HTTPServerResponse& presp) {
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
      if (Status s = parseRequestTarget(preq.getURI(), req); !s) {
        resp = errorResponse(400, "validation_error", s.message(), "", req.request_id);
      } else {
        resp = run(preq, req, route_name, close);
      }
    } catch (const std::exception& e) {
      Poco::Logger::get("streamhost.api").error("request failed request_id=%s error=\"%s\"", req.request_id,
                                                std::string(e.what()));
      resp = errorResponse(500, "internal_error", "internal error", "", req.request_id);
    }
    ensureErrorEnvelope(resp, req.request_id);

    // Whatever the route or status, the declared body is consumed before the
    // answer: left on the connection it would be read as the next request.
    BodyFate fate = BodyFate::kConsumed;
    markRequestBody();
    if (close || !discardBody(preq, kDiscardLimit)) {
      fate = BodyFate::kLeftUnread;
      presp.setKeepAlive(false);
    }

    presp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(resp.status));
    presp.setContentType(resp.content_type);
    presp.set("X-Request-Id", req.request_id);
    for (const auto& [k, v] : resp.headers) {
      presp.set(k, v);
    }
    presp.setContentLength64(static_cast<Poco::Int64>(resp.body.size()));
    std::ostream& out = presp.send();
    if (req.method != "HEAD") {
      out.write(resp.body.data(), static_cast<std::streamsize>(resp.body.size()));
    }
    out.flush();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    observe(route_name, req.method, resp.status, secs);
    return fate;
  }
};

HttpServer::HttpServer(const Router& router, HttpServerOptions options, Authenticator authenticate,
                       RateLimiter& limiter, RequestObserver observer)
    : router_(router),
      options_(std::move(options)),
      authenticate_(std::move(authenticate)),
      limiter_(limiter),
      failures_(options_.auth_failures_per_minute),
      observer_(std::move(observer)) {}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start() {
  try {
    Poco::Net::SocketAddress addr(options_.host, options_.port);
    Poco::Net::ServerSocket socket(addr, 128);
    port_ = socket.address().port();
    hub_ = std::make_shared<ConnectionHub>();
    if (!options_.tls_cert_file.empty()) {
      Poco::Net::Context::Params tls;
      tls.privateKeyFile = options_.tls_key_file;
      tls.certificateFile = options_.tls_cert_file;
      tls.verificationMode = Poco::Net::Context::VERIFY_NONE;
      tls.loadDefaultCAs = false;
      tls.cipherList = kTlsCipherList;
      hub_->tls = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, tls);
      hub_->tls->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
                                  Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
      hub_->tls->preferServerCiphers();
      tls_identity_ = std::make_shared<TlsIdentity>();
      auto pair = TlsIdentity::load(options_.tls_cert_file, options_.tls_key_file);
      if (!pair) {
        return pair.status();
      }
      tls_identity_->set(std::move(*pair));
      SSL_CTX_set_cert_cb(hub_->tls->sslContext(), &TlsIdentity::onHandshake, tls_identity_.get());
    }
    raiseOpenFileLimit(options_.max_connections);
    // Each connection has a thread for as long as it lives (idle or slow
    // clients hold only their own); the hub refuses those over the limits.
    int max_threads = options_.max_connections + kRefusalThreads;
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(max_threads);
    params->setMaxQueued(options_.max_connections);
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(options_.idle_timeout_ms * 1000));
    params->setTimeout(Poco::Timespan(options_.read_timeout_ms * 1000));
    hub_->params = params;
    hub_->limits.max_connections = static_cast<size_t>(options_.max_connections);
    hub_->limits.max_per_client = static_cast<size_t>(options_.max_connections_per_client);
    hub_->limits.header_timeout = std::chrono::milliseconds(options_.header_timeout_ms);
    hub_->limits.body_timeout = std::chrono::milliseconds(options_.body_timeout_ms);
    pipeline_ = std::make_shared<Pipeline>(Pipeline{*this});
    hub_->serve = [p = pipeline_.get()](Poco::Net::HTTPServerRequest& q, Poco::Net::HTTPServerResponse& r) {
      return p->serve(q, r);
    };
    pool_ = std::make_unique<Poco::ThreadPool>(std::min(options_.threads, max_threads), max_threads, 60,
                                               kConnectionStackBytes);
    server_ = std::make_unique<Poco::Net::TCPServer>(makeConnectionFactory(hub_), *pool_, socket, params);
    server_->start();
    janitor_stop_ = false;
    janitor_ = std::thread([this] {
      std::unique_lock lock(janitor_mu_);
      while (!janitor_cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return janitor_stop_; })) {
        hub_->expireOverdue();
      }
    });
    return Status::ok();
  } catch (const Poco::Exception& e) {
    return Status(StatusCode::kUnsupported, "cannot listen on " + options_.host + ":" +
                                                std::to_string(options_.port) + ": " + e.displayText());
  }
}

Status HttpServer::reloadTls(const std::string& cert_file, const std::string& key_file, std::string& summary) {
  if (!tls_identity_) {
    return Status(StatusCode::kInvalidState, "this server was started without TLS", "tls");
  }
  auto pair = TlsIdentity::load(cert_file, key_file);
  if (!pair) {
    return pair.status();
  }
  summary = (*pair)->summary;
  tls_identity_->set(std::move(*pair));
  return Status::ok();
}

void HttpServer::stop() {
  if (janitor_.joinable()) {
    {
      std::lock_guard lock(janitor_mu_);
      janitor_stop_ = true;
    }
    janitor_cv_.notify_all();
    janitor_.join();
  }
  if (server_) {
    server_->stop();
    hub_->stopping = true;
    // Idle keep-alive connections are cut at once; requests in flight get a
    // grace period before they are cut too.
    hub_->abort(true);
    for (int i = 0; i < 200 && server_->currentConnections() > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      hub_->abort(true);  // a connection that finished its request since
    }
    hub_->abort(false);
    for (int i = 0; i < 500 && server_->currentConnections() > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    server_.reset();
  }
  if (pool_) {
    pool_->joinAll();
    pool_.reset();
  }
}

}  // namespace streamhost::api
