#include "app/cli.h"

#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "common/crypto.h"
#include "common/ids.h"
#include "core/api_key_service.h"
#include "store/sqlite_store.h"

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

std::string usage() {
  return "usage: streamhostd [options]\n"
         "       streamhostd [--config FILE] keys create --name NAME --scopes SCOPE[,SCOPE...]\n"
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
    } else if (a == "keys" && !in_keys) {
      if (i + 1 >= args.size() || args[i + 1] != "create") {
        return invalidArgument("the keys command knows one action: keys create --name NAME --scopes a,b", "keys");
      }
      ++i;
      in_keys = true;
      cl.action = CommandLine::Action::kKeysCreate;
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

}  // namespace streamhost::app
