#include "app/cli.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "app/data_key_rotation.h"
#include "app/version.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "core/api_key_service.h"
#include "journal/journal_repair.h"
#include "store/sqlite_store.h"

#include <iostream>

extern char** environ;

namespace streamhost::app {
namespace {

constexpr const char* kDefaultConfig = "/etc/streamhost/streamhost.yaml";

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) {
      out.push_back(item);
    }
  }
  return out;
}

}  // namespace

Status becomeDataDirOwner(const std::filesystem::path& data_dir) {
  struct stat st {};
  if (::geteuid() != 0 || ::stat(data_dir.c_str(), &st) != 0 || st.st_uid == 0) {
    return Status::ok();
  }
  // root writing into the service's data dir would leave files the service
  // cannot open: act as the dir's owner, as `sudo -u streamhost` would.
  const passwd* pw = ::getpwuid(st.st_uid);
  std::string who = pw != nullptr ? pw->pw_name : "uid " + std::to_string(st.st_uid);
  gid_t gid = pw != nullptr ? pw->pw_gid : st.st_gid;
  if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(st.st_uid) != 0) {
    return Status(StatusCode::kPermissionDenied,
                  "cannot switch to " + who + ", the owner of " + data_dir.string() + "; run this as that user");
  }
  return Status::ok();
}

std::string usage() {
  return "usage: streamhostd [options]\n"
         "       streamhostd [--config FILE] keys create --name NAME --scopes SCOPE[,SCOPE...]\n"
         "       streamhostd [--config FILE] keys rotate-data-key   (daemon stopped)\n"
         "         (run as root, these act as the owner of data_dir, e.g. the streamhost user)\n"
         "       streamhostd [--config FILE] journal verify PIPELINE_ID\n"
         "       streamhostd [--config FILE] journal repair PIPELINE_ID [--quarantine]   (daemon stopped)\n"
         "\n"
         "options:\n"
         "  -c, --config FILE     configuration file (default: $STREAMHOST_CONFIG, else " +
         std::string(kDefaultConfig) +
         " if present)\n"
         "      --check-config    validate the configuration, print it, and exit\n"
         "      --list-plugins    load the plugin directory, print what loaded and what was refused, and exit\n"
         "      --version         print the version and exit\n"
         "      --listen H:P      override 'listen'\n"
         "      --data-dir DIR    override 'data_dir'\n"
         "      --plugin-dir DIR  override 'plugin_dir'\n"
         "      --set KEY=VALUE   override any setting by its dotted path (e.g. limits.api_burst=50)\n"
         "  -h, --help            this text\n"
         "\n"
         "Every setting can also be given as STREAMHOST_<PATH> in the environment (e.g. STREAMHOST_DATA_DIR).\n"
         "Scopes: streams:read streams:write connections:read connections:write pipelines:read pipelines:write "
         "metrics:read admin\n";
}

const std::vector<std::string>& knownScopes() { return core::knownApiKeyScopes(); }

Result<CommandLine> parseCommandLine(const std::vector<std::string>& args) {
  CommandLine cl;
  bool in_keys = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const std::string& flag) -> Result<std::string> {
      auto eq = a.find('=');
      if (eq != std::string::npos) {
        return a.substr(eq + 1);
      }
      if (i + 1 >= args.size()) {
        return invalidArgument(flag + " needs a value", flag);
      }
      return args[++i];
    };
    auto is = [&](const char* flag) { return a == flag || a.rfind(std::string(flag) + "=", 0) == 0; };
    if (a == "-h" || a == "--help") {
      cl.action = CommandLine::Action::kHelp;
    } else if (a == "--version") {
      cl.action = CommandLine::Action::kVersion;
    } else if (a == "--check-config") {
      cl.action = CommandLine::Action::kCheckConfig;
    } else if (a == "--list-plugins") {
      cl.action = CommandLine::Action::kListPlugins;
    } else if (a == "-c" || is("--config")) {
      auto v = value("--config");
      if (!v) {
        return v.status();
      }
      cl.config_path = *v;
    } else if (is("--listen") || is("--data-dir") || is("--plugin-dir")) {
      std::string flag = a.substr(0, a.find('='));
      auto v = value(flag);
      if (!v) {
        return v.status();
      }
      std::string key = flag.substr(2);
      std::replace(key.begin(), key.end(), '-', '_');
      cl.settings[key] = *v;
    } else if (is("--set")) {
      auto v = value("--set");
      if (!v) {
        return v.status();
      }
      auto eq = v->find('=');
      if (eq == std::string::npos || eq == 0) {
        return invalidArgument("--set needs KEY=VALUE, got '" + *v + "'", "--set");
      }
      cl.settings[v->substr(0, eq)] = v->substr(eq + 1);
    } else if (a == "keys" && !in_keys && cl.action != CommandLine::Action::kKeysRotateDataKey) {
      if (i + 1 < args.size() && args[i + 1] == "rotate-data-key") {
        ++i;
        cl.action = CommandLine::Action::kKeysRotateDataKey;
        continue;
      }
      if (i + 1 >= args.size() || args[i + 1] != "create") {
        return invalidArgument(
            "the keys command knows two actions: keys create --name NAME --scopes a,b | keys rotate-data-key", "keys");
      }
      ++i;
      in_keys = true;
      cl.action = CommandLine::Action::kKeysCreate;
    } else if (a == "journal" && !in_keys && cl.pipeline_id.empty()) {
      if (i + 2 >= args.size() || (args[i + 1] != "verify" && args[i + 1] != "repair")) {
        return invalidArgument("usage: journal verify PIPELINE_ID | journal repair PIPELINE_ID [--quarantine]",
                               "journal");
      }
      cl.action = args[i + 1] == "verify" ? CommandLine::Action::kJournalVerify : CommandLine::Action::kJournalRepair;
      cl.pipeline_id = args[i + 2];
      i += 2;
    } else if (a == "--quarantine" && cl.action == CommandLine::Action::kJournalRepair) {
      cl.quarantine = true;
    } else if (in_keys && is("--name")) {
      auto v = value("--name");
      if (!v) {
        return v.status();
      }
      cl.key_name = *v;
    } else if (in_keys && is("--scopes")) {
      auto v = value("--scopes");
      if (!v) {
        return v.status();
      }
      cl.key_scopes = splitList(*v);
    } else {
      return invalidArgument("unknown argument '" + a + "'", a);
    }
  }
  if (cl.action == CommandLine::Action::kKeysCreate) {
    if (cl.key_name.empty()) {
      return invalidArgument("keys create needs --name", "--name");
    }
    if (cl.key_scopes.empty()) {
      return invalidArgument("keys create needs --scopes (e.g. --scopes streams:read,streams:write)", "--scopes");
    }
    for (const auto& s : cl.key_scopes) {
      if (std::find(knownScopes().begin(), knownScopes().end(), s) == knownScopes().end()) {
        return invalidArgument("unknown scope '" + s + "'", "--scopes");
      }
    }
  }
  return cl;
}

Result<config::Config> loadEffectiveConfig(const CommandLine& cl) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv = *e;
    if (kv.rfind("STREAMHOST_", 0) == 0) {
      auto eq = kv.find('=');
      env[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
    }
  }
  std::filesystem::path path = cl.config_path;
  if (path.empty()) {
    auto it = env.find("STREAMHOST_CONFIG");
    if (it != env.end()) {
      path = it->second;
    } else if (std::filesystem::exists(kDefaultConfig)) {
      path = kDefaultConfig;
    }
  }
  env.erase("STREAMHOST_CONFIG");
  return config::loadConfig(path, env, cl.settings);
}

Result<std::string> createApiKey(const config::Config& config, const std::string& name,
                                 const std::vector<std::string>& scopes) {
  if (Status s = becomeDataDirOwner(config.data_dir); !s) {
    return s;
  }
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  auto secret = crypto::loadOrCreateKeyFile((config.data_dir / "secret.key").string());
  if (!secret) {
    return secret.status();
  }
  auto store = store::openSqliteStore((config.data_dir / "streamhost.db").string(), *secret);
  if (!store) {
    return store.status();
  }
  (void)writeStoreSchemaMarker(config.data_dir);
  std::string key = "sk_" + crypto::hexEncode(crypto::randomBytes(24));
  IdGenerator ids;
  store::ApiKeyRow row;
  row.id = ids.next("key_");
  row.name = name;
  row.key_sha256 = crypto::sha256Hex(key);
  row.scopes = scopes;
  row.created_at = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  Status s = (*store)->createApiKey(row);
  if (!s) {
    return s;
  }
  return key;
}

int runJournalCommand(const config::Config& config, const CommandLine& cl) {
  const auto dir = config.data_dir / "journal" / cl.pipeline_id;
  if (cl.pipeline_id.find('/') != std::string::npos || cl.pipeline_id.find("..") != std::string::npos) {
    std::cerr << "streamhostd: invalid pipeline id '" << cl.pipeline_id << "'\n";
    return 2;
  }
  auto rep = journal::verifyJournal(dir);
  if (!rep) {
    std::cerr << "streamhostd: " << rep.status().message() << "\n";
    return 2;
  }
  for (const auto& line : rep->lines) {
    std::cout << line << "\n";
  }
  std::cout << "pipeline " << cl.pipeline_id << ": " << rep->segments << " segments, " << rep->records
            << " records, " << rep->holes << " quarantined gaps: "
            << (rep->damaged ? "DAMAGED" : rep->torn_tail ? "torn tail only" : "ok") << "\n";
  if (cl.action == CommandLine::Action::kJournalVerify || !rep->damaged) {
    if (rep->damaged) {
      std::cout << "repair: streamhostd journal repair " << cl.pipeline_id << " --quarantine (daemon stopped)\n";
    }
    return rep->damaged ? 1 : 0;
  }
  if (!cl.quarantine) {
    std::cout << "repair would move " << rep->segment << " to " << (dir / "quarantine").string()
              << "; its records leave the pipeline and their sequence numbers stay unused. "
                 "Run again with --quarantine to do it.\n";
    return 1;
  }
  auto done = journal::quarantineDamagedSegment(dir);
  if (!done) {
    std::cerr << "streamhostd: " << done.status().message() << "\n";
    return 2;
  }
  std::cout << *done << "\n";
  return 0;
}

int runRotateDataKey(const config::Config& config) {
  if (Status s = becomeDataDirOwner(config.data_dir); !s) {
    std::cerr << "streamhostd: " << s.message() << "\n";
    return 2;
  }
  auto rep = rotateDataKey(config.data_dir);
  if (!rep) {
    std::cerr << "streamhostd: data key not rotated: " << rep.status().message() << "\n";
    return rep.status().code() == StatusCode::kBusy ? 1 : 2;
  }
  std::cout << (rep->resumed ? "finished an interrupted rotation: " : "rotated the data key: ") << rep->old_fingerprint
            << " -> " << rep->new_fingerprint << "\n"
            << "re-sealed the secrets of " << rep->connections << " connections and " << rep->stream_values
            << " stream-config values\n"
            << "the old key is kept as " << rep->retired.string()
            << "; remove it once backups taken before now are no longer needed\n"
            << "list cursors handed out before now are refused; clients start those listings again\n";
  return 0;
}

}  // namespace streamhost::app
