#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "plugins/loaded_plugin.h"
#include "plugins/plugin_types.h"

namespace streamhost::plugins {

/// The source and connection types of all loaded plugins, by name. Filled
/// once at start-up (by PluginLoader), read-only afterwards, so lookups need
/// no lock; pointers it returns stay valid for the registry's lifetime.
class PluginRegistry {
 public:
  /// Registers every type of `plugin`. Refuses the whole plugin (registering
  /// nothing) when one of its names is taken; the message names both files.
  /// @returns kAlreadyExists on a clash.
  Status add(LoadedPluginPtr plugin);

  /// The source type named `name`, or nullptr.
  const SourceTypeInfo* findSourceType(std::string_view name) const;
  /// The connection type named `name`, or nullptr.
  const ConnectionTypeInfo* findConnectionType(std::string_view name) const;

  /// Loaded plugins in load order.
  const std::vector<LoadedPluginPtr>& plugins() const { return plugins_; }
  /// All source types, sorted by name.
  std::vector<const SourceTypeInfo*> sourceTypes() const;
  /// Sorted source type names, e.g. for "available: a, b" messages.
  std::vector<std::string> sourceTypeNames() const;
  /// Sorted connection type names.
  std::vector<std::string> connectionTypeNames() const;

  /// kInvalidArgument "unknown source type "x"; available: a, b" with field `field`.
  Status unknownSourceType(std::string_view name, std::string field = "sourceType") const;

 private:
  std::vector<LoadedPluginPtr> plugins_;
  std::map<std::string, SourceTypeInfo, std::less<>> source_types_;
  std::map<std::string, ConnectionTypeInfo, std::less<>> connection_types_;
};

}  // namespace streamhost::plugins
