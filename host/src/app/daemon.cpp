#include "app/daemon.h"

#include <Poco/Logger.h>

#include <filesystem>
#include <system_error>

#include "api/http_server.h"
#include "api/key_authenticator.h"
#include "api/ops_routes.h"
#include "common/crypto.h"
#include "metrics/metrics_registry.h"
#include "plugins/plugin_loader.h"
#include "store/sqlite_store.h"

namespace streamhost::app {

struct Daemon::Parts {
  config::Config config;
  store::StorePtr store;
  plugins::PluginRegistry registry;
  plugins::PluginReport report;
  metrics::MetricsRegistry metrics;
  api::Router router;
  std::unique_ptr<api::KeyAuthenticator> authenticator;
  std::unique_ptr<api::RateLimiter> limiter;
  std::unique_ptr<api::HttpServer> http;
};

namespace {

Poco::Logger& logger() { return Poco::Logger::get("streamhost.app"); }

Status prepareDataDir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Status(StatusCode::kInvalidConfig, "cannot create data_dir " + dir.string() + ": " + ec.message(),
                  "data_dir");
  }
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace, ec);
  return Status::ok();
}

}  // namespace

Result<DaemonPtr> Daemon::create(const config::Config& config) {
  auto parts = std::make_unique<Parts>();
  parts->config = config;
  for (const auto& k : config.api_keys) {
    if (k.given_in_plaintext) {
      logger().warning("api key '%s' is given in plaintext in the config; use key_sha256 outside local setups",
                       k.name);
    }
  }
  if (config.store != "sqlite") {
    return Status(StatusCode::kUnsupported, "only the embedded sqlite store is available in this build", "store");
  }
  if (Status s = prepareDataDir(config.data_dir); !s) {
    return s;
  }
  auto key = crypto::loadOrCreateKeyFile((config.data_dir / "secret.key").string());
  if (!key) {
    return key.status();
  }
  auto store = store::openSqliteStore((config.data_dir / "streamhost.db").string(), *key);
  if (!store) {
    return store.status();
  }
  parts->store = std::move(*store);

  plugins::PluginLoader loader(config.plugin_dir);
  parts->report = loader.loadAll(parts->registry);
  logger().information("plugins loaded=%z refused=%z dir=%s", parts->report.loadedCount(),
                       parts->report.refusedCount(), config.plugin_dir.string());

  Parts* p = parts.get();
  api::OpsDeps ops;
  ops.store_ping = [p] { return p->store->ping(); };
  ops.registry = &p->registry;
  ops.report = &p->report;
  ops.prometheus_text = [p] { return p->metrics.renderPrometheus({}); };
  api::addOpsRoutes(p->router, ops);

  p->authenticator = std::make_unique<api::KeyAuthenticator>(config.api_keys, p->store.get());
  p->limiter = std::make_unique<api::RateLimiter>(config.limits.api_requests_per_second, config.limits.api_burst);
  api::HttpServerOptions http;
  http.host = config.listenHost();
  http.port = config.listenPort();
  http.threads = static_cast<int>(config.http_threads);
  http.max_body_bytes = config.limits.api_max_body_bytes;
  http.ingest_max_body_bytes = config.limits.ingest_max_body_bytes;
  http.tls_cert_file = config.tls.cert_file;
  http.tls_key_file = config.tls.key_file;
  p->http = std::make_unique<api::HttpServer>(
      p->router, http, [p](const std::string& k) { return p->authenticator->authenticate(k); }, *p->limiter,
      [p](const std::string& route, const std::string& method, int status, double secs) {
        p->metrics.recordHttpRequest(route, method, status, secs);
      });
  return DaemonPtr(new Daemon(std::move(parts)));
}

Daemon::Daemon(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Daemon::~Daemon() { stop(); }

Status Daemon::start() {
  Status s = parts_->http->start();
  if (!s) {
    return s;
  }
  logger().information("listening on %s:%hu", parts_->config.listenHost(), parts_->http->port());
  return Status::ok();
}

void Daemon::stop() {
  if (!parts_) {
    return;
  }
  if (parts_->http) {
    parts_->http->stop();
  }
}

uint16_t Daemon::port() const { return parts_->http ? parts_->http->port() : 0; }

std::string Daemon::pluginReportText() const { return parts_->report.toText(); }

}  // namespace streamhost::app
