#pragma once

#include <streamhost/plugin_abi.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace streamhost::plugins {

class LoadedPlugin;

/// One config key of a source or connection type, copied out of the plugin.
struct ConfigKey {
  std::string name;
  int32_t type = SH_CFG_STRING;  ///< SH_CFG_*
  uint32_t flags = 0;            ///< SH_CFG_REQUIRED | SH_CFG_SECRET
  std::optional<std::string> default_json;
  std::string help;

  bool required() const { return (flags & SH_CFG_REQUIRED) != 0; }
  bool secret() const { return (flags & SH_CFG_SECRET) != 0; }
};

/// "string", "int", "bool", "double", "array", "object" or "unknown".
const char* configTypeName(int32_t type);

/// A source type as the host keeps it. `vtable` is a host-owned copy of the
/// plugin's table, zero-filled past the plugin's struct_size, so fields a
/// shorter (older) plugin does not have read as NULL.
struct SourceTypeDesc {
  std::string name;
  std::string description;
  uint32_t flags = 0;
  std::string connection_type;  ///< empty: none
  std::vector<ConfigKey> config_keys;
  sh_source_type_t vtable{};
};

/// A connection type as the host keeps it (same copying rule as SourceTypeDesc).
struct ConnectionTypeDesc {
  std::string name;
  std::string description;
  std::vector<ConfigKey> config_keys;
  sh_connection_type_t vtable{};
};

/// What the registry answers for a source type name. Holding it keeps the
/// plugin loaded; `vtable` stays valid as long as `plugin` is held.
struct SourceTypeInfo {
  std::string name;
  std::string description;
  uint32_t flags = 0;
  std::string connection_type;
  std::vector<ConfigKey> config_keys;
  std::shared_ptr<const LoadedPlugin> plugin;
  const sh_source_type_t* vtable = nullptr;

  bool isPush() const { return (flags & SH_CAP_PUSH) != 0; }
  bool supportsPause() const { return (flags & SH_CAP_PAUSE) != 0; }
  bool needsConnection() const { return (flags & SH_CAP_NEEDS_CONNECTION) != 0; }
};

/// What the registry answers for a connection type name.
struct ConnectionTypeInfo {
  std::string name;
  std::string description;
  std::vector<ConfigKey> config_keys;
  std::shared_ptr<const LoadedPlugin> plugin;
  const sh_connection_type_t* vtable = nullptr;
};

}  // namespace streamhost::plugins
