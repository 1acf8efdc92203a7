#pragma once

#include <memory>
#include <optional>
#include <string>

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

  struct Parts;

 private:
  explicit Daemon(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

using DaemonPtr = std::unique_ptr<Daemon>;

}  // namespace streamhost::app
