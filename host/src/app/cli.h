#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"

namespace streamhost::app {

/// The command line, parsed without Poco so errors read the same everywhere.
struct CommandLine {
  enum class Action { kServe, kCheckConfig, kVersion, kListPlugins, kHelp, kKeysCreate, kKeysRotateDataKey, kJournalVerify,
                      kJournalRepair };
  Action action = Action::kServe;
  std::filesystem::path config_path;  ///< empty: STREAMHOST_CONFIG or /etc/streamhost/streamhost.yaml if present
  std::map<std::string, std::string> settings;  ///< --listen, --data-dir, --plugin-dir, --set k=v
  std::string key_name;                         ///< keys create --name
  std::vector<std::string> key_scopes;          ///< keys create --scopes a,b
  std::string pipeline_id;                      ///< journal verify|repair PIPELINE
  bool quarantine = false;                      ///< journal repair --quarantine
};

Result<CommandLine> parseCommandLine(const std::vector<std::string>& args);
std::string usage();

/// Resolves the config path and loads it with the process environment.
Result<config::Config> loadEffectiveConfig(const CommandLine& cl);

/// `journal verify|repair PIPELINE`: prints the report; returns the exit code
/// (0 clean or repaired, 1 damage left, 2 the journal could not be read).
int runJournalCommand(const config::Config& config, const CommandLine& cl);

/// `keys rotate-data-key`: re-seals the store under a new data key (daemon
/// stopped) and prints what it did; returns the exit code (0 done, 1 refused
/// because the data dir is in use, 2 failed).
int runRotateDataKey(const config::Config& config);

/// The scopes an API key can have.
const std::vector<std::string>& knownScopes();

/// Run as root with a data dir owned by another user (the service user):
/// switches to that user for good, so the files written stay the service's.
Status becomeDataDirOwner(const std::filesystem::path& data_dir);

/// `keys create`: stores the hash of a new key and returns the key (shown once).
Result<std::string> createApiKey(const config::Config& config, const std::string& name,
                                 const std::vector<std::string>& scopes);

}  // namespace streamhost::app
