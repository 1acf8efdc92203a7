#include "app/streamhost_app.h"

#include <Poco/Logger.h>

#include "app/daemon.h"

namespace streamhost::app {

int StreamhostApp::main(const std::vector<std::string>& /*args*/) {
  Poco::Logger& log = Poco::Logger::get("streamhost.app");
  auto daemon = Daemon::create(config_);
  if (!daemon) {
    log.fatal("cannot start: %s", daemon.status().message());
    return EXIT_CONFIG;
  }
  Status s = (*daemon)->start();
  if (!s) {
    log.fatal("cannot start: %s", s.message());
    return EXIT_UNAVAILABLE;
  }
  log.information("streamhostd %s ready", std::string(STREAMHOST_VERSION));
  waitForTerminationRequest();
  log.information("shutting down");
  (*daemon)->stop();
  log.information("stopped");
  return EXIT_OK;
}

}  // namespace streamhost::app
