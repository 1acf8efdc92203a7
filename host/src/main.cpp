// streamhostd: parses the command line and hands over to the app room.
#include <iostream>

#include "app/cli.h"
#include "app/daemon.h"
#include "app/logging.h"
#include "app/streamhost_app.h"
#include "app/version.h"

using streamhost::app::CommandLine;

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto cl = streamhost::app::parseCommandLine(args);
  if (!cl) {
    std::cerr << "streamhostd: " << cl.status().message() << "\n\n" << streamhost::app::usage();
    return 64;
  }
  switch (cl->action) {
    case CommandLine::Action::kHelp:
      std::cout << streamhost::app::usage();
      return 0;
    case CommandLine::Action::kVersion:
      std::cout << "streamhostd " << streamhost::app::version() << " (plugin ABI " << SH_ABI_VERSION_MAJOR << "."
                << SH_ABI_VERSION_MINOR << ", store schema " << streamhost::app::storeSchemaVersion() << ")\n";
      return 0;
    default:
      break;
  }
  auto config = streamhost::app::loadEffectiveConfig(*cl);
  if (!config) {
    std::cerr << "streamhostd: invalid configuration: " << config.status().message() << "\n";
    return 78;
  }
  streamhost::app::configureLogging(config->log_level, config->log_format);
  switch (cl->action) {
    case CommandLine::Action::kCheckConfig:
      std::cout << "configuration OK\n" << streamhost::config::renderConfig(*config);
      return 0;
    case CommandLine::Action::kListPlugins: {
      auto daemon = streamhost::app::Daemon::create(*config);
      if (!daemon) {
        std::cerr << "streamhostd: " << daemon.status().message() << "\n";
        return 1;
      }
      std::cout << (*daemon)->pluginReportText();
      return 0;
    }
    case CommandLine::Action::kJournalVerify:
    case CommandLine::Action::kJournalRepair:
      return streamhost::app::runJournalCommand(*config, *cl);
    case CommandLine::Action::kKeysRotateDataKey:
      return streamhost::app::runRotateDataKey(*config);
    case CommandLine::Action::kKeysCreate: {
      auto key = streamhost::app::createApiKey(*config, cl->key_name, cl->key_scopes);
      if (!key) {
        std::cerr << "streamhostd: " << key.status().message() << "\n";
        return 1;
      }
      std::cerr << "Created API key '" << cl->key_name << "'. It is shown once; only its hash is stored.\n";
      std::cout << *key << "\n";
      return 0;
    }
    default:
      break;
  }
  std::string level = config->log_level;
  std::string format = config->log_format;
  // Before any thread exists, so that every thread inherits the mask and
  // only the main loop takes SIGHUP and SIGTERM (see StreamhostApp).
  streamhost::app::blockServiceSignals();
  streamhost::app::StreamhostApp app(std::move(*config), *cl);
  // Poco's Application constructor resets the root channel; set ours again.
  streamhost::app::configureLogging(level, format);
  char* app_argv[] = {argv[0], nullptr};
  return app.run(1, app_argv);
}
