#pragma once

#include <Poco/Util/ServerApplication.h>

#include "config/config.h"

namespace streamhost::app {

/// The long-running service: builds the Daemon, serves until SIGTERM or
/// SIGINT, then shuts down gracefully. Arguments are parsed before (cli.h),
/// so Poco's own option handling is not used.
class StreamhostApp : public Poco::Util::ServerApplication {
 public:
  explicit StreamhostApp(config::Config config) : config_(std::move(config)) {}

 protected:
  int main(const std::vector<std::string>& args) override;

 private:
  config::Config config_;
};

}  // namespace streamhost::app
