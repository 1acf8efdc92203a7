#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/config_reload.h"
#include "common/status.h"
#include "config/config.h"

namespace streamhost::app {

/// Everything a running streamhostd is, wired together: store, plugins,
/// journals, runtime, services, HTTP. Used by main and by in-process tests.
class Daemon {
 public:
  static Result<std::unique_ptr<Daemon>> create(const config::Config& config);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  /// Resumes streams that were running, then starts serving HTTP.
  Status start();
  /// Graceful: stop accepting, stop workers (committing offsets), close journals.
  void stop();
  uint16_t port() const;

  /// Text of the plugin load report (for --list-plugins and logs).
  std::string pluginReportText() const;

  /// What a reload did: refused (status not ok, nothing changed), or the
  /// changes found, each applied live or left for the next restart.
  struct ReloadOutcome {
    Status status;
    std::vector<ConfigChange> changes;
    std::string tls;  ///< the certificate now presented, when TLS is on
  };
  /// Applies what can change without a restart from `next` (the configuration
  /// file re-read on SIGHUP); see diffConfigs(). The TLS pair is read first,
  /// so a bad certificate refuses the whole reload.
  ReloadOutcome reload(const config::Config& next);

  /// One line for systemd's STATUS=: where it listens and how many streams
  /// are in each state.
  std::string statusLine() const;
  /// The liveness check behind the systemd watchdog: the store answers.
  Status healthCheck() const;

  struct Parts;

 private:
  explicit Daemon(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

using DaemonPtr = std::unique_ptr<Daemon>;

}  // namespace streamhost::app
