#pragma once

#include <Poco/Util/ServerApplication.h>

#include "app/cli.h"
#include "config/config.h"

namespace streamhost::app {

/// Blocks SIGHUP, SIGTERM, SIGINT and SIGQUIT in the calling thread, and so in
/// every thread started after it: StreamhostApp takes them with sigtimedwait.
/// Call it in main() before anything starts a thread.
void blockServiceSignals();

/// The long-running service: builds the Daemon, tells systemd when it is
/// ready (Type=notify), serves until SIGTERM, SIGINT or SIGQUIT, re-reads
/// the configuration file on SIGHUP, pings the systemd watchdog, then shuts
/// down gracefully. Arguments are parsed before (cli.h), so Poco's own option
/// handling is not used.
class StreamhostApp : public Poco::Util::ServerApplication {
 public:
  StreamhostApp(config::Config config, CommandLine command_line)
      : config_(std::move(config)), command_line_(std::move(command_line)) {}

 protected:
  int main(const std::vector<std::string>& args) override;

 private:
  config::Config config_;
  CommandLine command_line_;  ///< how to find the same file, env and flags again on SIGHUP
};

}  // namespace streamhost::app
