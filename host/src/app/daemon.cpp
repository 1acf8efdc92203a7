#include "app/daemon.h"

#include <Poco/Logger.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <system_error>

#include "api/http_server.h"
#include "api/key_authenticator.h"
#include "api/key_routes.h"
#include "api/openapi.h"
#include "api/ops_routes.h"
#include "api/pipeline_routes.h"
#include "api/connection_routes.h"
#include "api/console_routes.h"
#include "api/stream_routes.h"
#include "app/data_dir_lock.h"
#include "app/data_key_rotation.h"
#include "app/logging.h"
#include "app/version.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "core/connection_service.h"
#include "core/cursor.h"
#include "core/health_monitor.h"
#include "core/pipeline_service.h"
#include "core/stream_service.h"
#include "api/ingest_routes.h"
#include "journal/journal_manager.h"
#include "journal/segment.h"
#include "metrics/metrics_registry.h"
#include "plugins/plugin_loader.h"
#include "runtime/runtime.h"
#include "store/sqlite_store.h"

namespace streamhost::app {

// Members are declared in dependency order, so they are destroyed in reverse.
struct Daemon::Parts {
  std::optional<DataDirLock> data_dir_lock;  // held shared while the daemon lives
  config::Config config;
  SystemClock clock;
  IdGenerator ids;
  store::StorePtr store;
  plugins::PluginRegistry registry;
  plugins::PluginReport report;
  metrics::MetricsRegistry metrics;
  std::unique_ptr<journal::JournalManager> journals;
  std::unique_ptr<core::CursorCodec> cursors;
  std::unique_ptr<core::StreamService> streams;
  std::unique_ptr<core::HealthMonitor> health;
  std::unique_ptr<core::PipelineService> pipelines;
  std::unique_ptr<core::ConnectionService> connections;
  std::unique_ptr<runtime::Runtime> runtime;
  api::Router router;
  std::unique_ptr<api::KeyAuthenticator> authenticator;
  std::unique_ptr<core::ApiKeyService> api_keys;
  std::unique_ptr<api::RateLimiter> ingest_limiter;
  std::unique_ptr<api::RateLimiter> limiter;
  std::unique_ptr<api::HttpServer> http;
  std::atomic<bool> metrics_enabled{true};
};

namespace {

Poco::Logger& logger() { return Poco::Logger::get("streamhost.app"); }

Status prepareDataDir(const std::filesystem::path& dir) {
  std::error_code ec;
  // Synced into its parent: a power cut must not take the store and journals with it.
  if (Status s = journal::createDirectoriesDurably(dir); !s) {
    return Status(StatusCode::kInvalidConfig, "cannot create data_dir " + dir.string() + ": " + s.message(),
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
  auto finished = finishInterruptedRotation(config.data_dir);
  if (!finished) {
    return Status(finished.status().code(),
                  "cannot finish the interrupted data key rotation: " + finished.status().message());
  }
  if (*finished) {
    const RotationReport& r = **finished;
    logger().warning("finished an interrupted data key rotation key=" + r.new_fingerprint +
                     " previous=" + r.old_fingerprint + " connections=" + std::to_string(r.connections) +
                     " stream_values=" + std::to_string(r.stream_values) + " retired=" + r.retired.string());
  }
  auto lock = DataDirLock::acquire(config.data_dir, DataDirLock::Mode::kShared);
  if (!lock) {
    return lock.status();
  }
  parts->data_dir_lock.emplace(std::move(*lock));
  auto key = crypto::loadOrCreateKeyFile((config.data_dir / kDataKeyFile).string());
  if (!key) {
    return key.status();
  }
  auto store = store::openSqliteStore((config.data_dir / "streamhost.db").string(), *key);
  if (!store) {
    return store.status();
  }
  parts->store = std::move(*store);
  if (Status s = writeStoreSchemaMarker(config.data_dir); !s) {
    logger().warning("%s (a package downgrade cannot check the store's schema)", s.message());
  }

  plugins::PluginLoader loader(config.plugin_dir);
  parts->report = loader.loadAll(parts->registry);
  logger().information("plugins loaded=%z refused=%z dir=%s", parts->report.loadedCount(),
                       parts->report.refusedCount(), config.plugin_dir.string());

  Parts* p = parts.get();
  journal::JournalOptions jopts;
  jopts.segment_bytes = static_cast<uint64_t>(config.journal.segment_bytes);
  jopts.group_commit_delay = std::chrono::milliseconds(config.journal.group_commit_delay_ms);
  jopts.group_commit_max_bytes = static_cast<uint64_t>(config.journal.group_commit_max_bytes);
  jopts.max_pending_bytes = static_cast<uint64_t>(config.journal.max_pending_bytes);
  (void)journal::parseCompression(config.journal.compression, jopts.compression);  // validated with the config
  p->journals = std::make_unique<journal::JournalManager>(config.data_dir, jopts);
  p->cursors = std::make_unique<core::CursorCodec>(*key);
  runtime::WorkerOptions wopts;
  wopts.command_timeout = std::chrono::milliseconds(config.limits.stream_command_timeout_ms);
  p->runtime = std::make_unique<runtime::Runtime>(
      p->registry, *p->journals, *p->store, p->metrics, p->clock,
      [p](const std::string& id, const std::string& status, const std::optional<std::string>& error) {
        p->streams->onWorkerStatus(id, status, error);
      },
      wopts);
  p->streams = std::make_unique<core::StreamService>(*p->store, p->registry, *p->runtime, *p->journals, p->metrics,
                                                     p->ids, p->clock, *p->cursors);
  p->health = std::make_unique<core::HealthMonitor>(std::chrono::milliseconds(config.health.check_interval_ms),
                                                    [p] { p->streams->checkSourceHealth(); });

  api::OpsDeps ops;
  ops.store_ping = [p] { return p->store->ping(); };
  ops.registry = &p->registry;
  ops.report = &p->report;
  ops.prometheus_text = [p] {
    std::vector<metrics::StreamLabels> labels;
    std::set<std::string> ids;
    if (auto rows = p->streams->all()) {
      for (const auto& r : *rows) {
        labels.push_back({r.id, r.name, r.source_type, r.status});
        ids.insert(r.id);
      }
    }
    return p->metrics.renderPrometheus(labels) + p->runtime->ingestCounters().renderPrometheus(ids);
  };
  p->metrics_enabled = config.metrics.enabled;
  ops.metrics_enabled = [p] { return p->metrics_enabled.load(); };
  ops.metrics_require_key = config.metrics.require_key;
  ops.openapi_json = [p] { return api::buildOpenApi(p->router, version()); };
  api::addOpsRoutes(p->router, ops);
  api::addStreamRoutes(p->router, {p->streams.get(), &p->registry, &p->metrics, &p->clock});
  p->pipelines = std::make_unique<core::PipelineService>(*p->store, *p->journals, p->ids, p->clock);
  p->connections = std::make_unique<core::ConnectionService>(*p->store, p->registry, p->ids, p->clock);
  api::addPipelineRoutes(p->router, {p->pipelines.get(), p->cursors.get()});
  api::addConnectionRoutes(p->router, {p->connections.get(), p->cursors.get()});
  p->ingest_limiter =
      std::make_unique<api::RateLimiter>(config.limits.ingest_requests_per_second, config.limits.ingest_burst);
  api::addIngestRoutes(p->router, {p->streams.get(), &p->clock, p->ingest_limiter.get(), &p->metrics});

  p->authenticator = std::make_unique<api::KeyAuthenticator>(config.api_keys, p->store.get(), p->clock);
  p->api_keys = std::make_unique<core::ApiKeyService>(*p->store, p->ids, p->clock);
  api::addKeyRoutes(p->router, {p->api_keys.get(), p->authenticator.get()});
  if (config.console.enabled) {
    api::ConsoleDeps console;
    if (auto assets = api::ConsoleAssets::load(config.console.assets_dir)) {
      console.assets = *assets;
      logger().information("console at /console/ files=%z gzip_bytes=%Ld dir=%s", console.assets->size(),
                           static_cast<Poco::Int64>(console.assets->compressedBytes()),
                           config.console.assets_dir.string());
    } else {
      console.unavailable_why = "the console is not available: " + assets.status().message() +
                                " (set console.assets_dir, or console.enabled: false)";
      logger().warning("%s", console.unavailable_why);
    }
    api::addConsoleRoutes(p->router, std::move(console));
  }
  p->limiter = std::make_unique<api::RateLimiter>(config.limits.api_requests_per_second, config.limits.api_burst);
  api::HttpServerOptions http;
  http.host = config.listenHost();
  http.port = config.listenPort();
  http.threads = static_cast<int>(config.http_threads);
  http.max_body_bytes = config.limits.api_max_body_bytes;
  http.ingest_max_body_bytes = config.limits.ingest_max_body_bytes;
  http.read_timeout_ms = config.limits.http_read_timeout_ms;
  http.max_connections = static_cast<int>(config.http.max_connections);
  http.max_connections_per_client = static_cast<int>(config.http.max_connections_per_client);
  http.idle_timeout_ms = config.http.idle_timeout_ms;
  http.header_timeout_ms = config.http.header_timeout_ms;
  http.body_timeout_ms = config.http.body_timeout_ms;
  http.tls_cert_file = config.tls.cert_file;
  http.tls_key_file = config.tls.key_file;
  http.auth_failures_per_minute = config.limits.auth_failures_per_minute;
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
  // Open every pipeline's journal first (recovery runs here), then resume streams.
  // Recovery must keep what the streams' committed offsets say is durable.
  if (auto streams = parts_->streams->all()) {
    for (const auto& st : *streams) {
      if (st.committed_seq > 0) {
        parts_->journals->requireAcknowledged(st.pipeline_id, st.committed_seq);
      }
    }
  } else {
    logger().warning("cannot list streams before journal recovery: %s", streams.status().message());
  }
  if (auto pipelines = parts_->store->listPipelines(std::nullopt, 100000)) {
    for (const auto& pl : *pipelines) {
      auto j = parts_->journals->open(pl.id, static_cast<uint64_t>(pl.retention_max_bytes),
                                      pl.retention_max_age_seconds,
                                      static_cast<uint64_t>(core::PipelineService::maxRecordBytes(pl)));
      if (!j) {
        // Only this pipeline fails; the daemon and other pipelines go on.
        logger().error("pipeline=%s failed: %s", pl.id, j.status().message());
      } else if (!(*j)->recoveryReport().clean()) {
        logger().warning("pipeline=%s journal recovered: %s", pl.id, (*j)->recoveryReport().toString());
      }
    }
  }
  parts_->streams->sealSecretsAtRest();
  parts_->streams->resumeAfterRestart();
  Status s = parts_->http->start();
  if (!s) {
    return s;
  }
  parts_->health->start();
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
  if (parts_->health) {
    parts_->health->stop();
  }
  std::vector<std::string> retrying;
  if (parts_->streams) {
    retrying = parts_->streams->retryingStreams();
  }
  if (parts_->runtime) {
    parts_->runtime->stopAll();
  }
  if (parts_->streams) {
    parts_->streams->keepRetryingAcrossRestart(retrying);
  }
  if (parts_->journals) {
    parts_->journals->closeAll();
  }
}

uint16_t Daemon::port() const { return parts_->http ? parts_->http->port() : 0; }

std::string Daemon::pluginReportText() const { return parts_->report.toText(); }

Daemon::ReloadOutcome Daemon::reload(const config::Config& next) {
  ReloadOutcome out;
  config::Config& running = parts_->config;
  out.changes = diffConfigs(running, next);
  bool tls_live = !running.tls.cert_file.empty() && !next.tls.cert_file.empty();
  if (tls_live) {
    // First, and re-read even when the paths are the same: a renewed
    // certificate at the same path is the usual reason for a reload.
    out.status = parts_->http->reloadTls(next.tls.cert_file, next.tls.key_file, out.tls);
    if (!out.status) {
      return out;
    }
  }
  for (const auto& c : out.changes) {
    if (!c.live) {
      continue;
    }
    if (c.key == "log.level") {
      setLogLevel(next.log_level);
      running.log_level = next.log_level;
    } else if (c.key == "auth.api_keys") {
      for (const auto& k : next.api_keys) {
        if (k.given_in_plaintext) {
          logger().warning("api key '%s' is given in plaintext in the config; use key_sha256 outside local setups",
                           k.name);
        }
      }
      parts_->authenticator->replaceConfigured(next.api_keys);
      running.api_keys = next.api_keys;
    } else if (c.key == "limits.api_requests_per_second" || c.key == "limits.api_burst") {
      parts_->limiter->setLimits(next.limits.api_requests_per_second, next.limits.api_burst);
      running.limits.api_requests_per_second = next.limits.api_requests_per_second;
      running.limits.api_burst = next.limits.api_burst;
    } else if (c.key == "metrics.enabled") {
      parts_->metrics_enabled = next.metrics.enabled;
      running.metrics.enabled = next.metrics.enabled;
    } else if (c.key == "tls.cert_file" || c.key == "tls.key_file") {
      running.tls = next.tls;
    }
  }
  out.status = Status::ok();
  return out;
}

std::string Daemon::statusLine() const {
  std::map<std::string, int> by_status;
  size_t total = 0;
  if (parts_->streams) {
    if (auto rows = parts_->streams->all()) {
      for (const auto& r : *rows) {
        ++by_status[r.status];
        ++total;
      }
    }
  }
  std::string s = "listening on " + parts_->config.listenHost() + ":" + std::to_string(port()) + "; streams: " +
                  std::to_string(by_status["running"]) + " running, " + std::to_string(by_status["paused"]) +
                  " paused, " + std::to_string(by_status["error"]) + " in error, " + std::to_string(total) + " total";
  return s;
}

Status Daemon::healthCheck() const { return parts_->store->ping(); }

}  // namespace streamhost::app
