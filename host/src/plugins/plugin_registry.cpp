#include "plugins/plugin_registry.h"

namespace streamhost::plugins {
namespace {

std::string joinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    out += (out.empty() ? "" : ", ") + n;
  }
  return out.empty() ? "none" : out;
}

}  // namespace

Status PluginRegistry::add(LoadedPluginPtr plugin) {
  for (const auto& t : plugin->sourceTypes()) {
    if (auto it = source_types_.find(t.name); it != source_types_.end()) {
      return Status(StatusCode::kAlreadyExists, "source type \"" + t.name + "\" is already registered by " +
                                                    it->second.plugin->file());
    }
  }
  for (const auto& t : plugin->connectionTypes()) {
    if (auto it = connection_types_.find(t.name); it != connection_types_.end()) {
      return Status(StatusCode::kAlreadyExists, "connection type \"" + t.name + "\" is already registered by " +
                                                    it->second.plugin->file());
    }
  }
  for (const auto& t : plugin->sourceTypes()) {
    source_types_.emplace(t.name, SourceTypeInfo{t.name, t.description, t.flags, t.connection_type, t.config_keys,
                                                 plugin, &t.vtable});
  }
  for (const auto& t : plugin->connectionTypes()) {
    connection_types_.emplace(t.name, ConnectionTypeInfo{t.name, t.description, t.config_keys, plugin, &t.vtable});
  }
  plugins_.push_back(std::move(plugin));
  return Status::ok();
}

const SourceTypeInfo* PluginRegistry::findSourceType(std::string_view name) const {
  auto it = source_types_.find(name);
  return it == source_types_.end() ? nullptr : &it->second;
}

const ConnectionTypeInfo* PluginRegistry::findConnectionType(std::string_view name) const {
  auto it = connection_types_.find(name);
  return it == connection_types_.end() ? nullptr : &it->second;
}

std::vector<const SourceTypeInfo*> PluginRegistry::sourceTypes() const {
  std::vector<const SourceTypeInfo*> out;
  for (const auto& [name, info] : source_types_) {
    out.push_back(&info);
  }
  return out;
}

std::vector<std::string> PluginRegistry::sourceTypeNames() const {
  std::vector<std::string> out;
  for (const auto& [name, info] : source_types_) {
    out.push_back(name);
  }
  return out;
}

std::vector<std::string> PluginRegistry::connectionTypeNames() const {
  std::vector<std::string> out;
  for (const auto& [name, info] : connection_types_) {
    out.push_back(name);
  }
  return out;
}

Status PluginRegistry::unknownSourceType(std::string_view name, std::string field) const {
  return invalidArgument("unknown source type \"" + std::string(name) + "\"; available: " +
                             joinNames(sourceTypeNames()),
                         std::move(field));
}

}  // namespace streamhost::plugins
