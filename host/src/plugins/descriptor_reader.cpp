#include "plugins/descriptor_reader.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "plugins/config_schema.h"
#include "plugins/loaded_plugin.h"

namespace streamhost::plugins {
namespace {

Status refuse(std::string message) { return invalidArgument(std::move(message)); }

std::string text(const char* s) { return s != nullptr ? std::string(s) : std::string(); }

// Copies min(struct_size, sizeof(T)) bytes into a zeroed T, so fields the
// plugin's (older) struct lacks read as zero/NULL.
template <class T>
T copyPrefix(const T* src) {
  T out;
  std::memset(&out, 0, sizeof(T));
  std::memcpy(&out, src, std::min<size_t>(src->struct_size, sizeof(T)));
  return out;
}

Status checkSize(uint32_t size, uint32_t min, const std::string& what) {
  if (size < min || size > kMaxStructSize) {
    return refuse(what + " has struct_size " + std::to_string(size) + ", expected at least " + std::to_string(min) +
                  " (ABI 1.0)");
  }
  return Status::ok();
}

Result<std::vector<ConfigKey>> readConfigKeys(const sh_config_key_t* keys, uint32_t count, const std::string& owner) {
  std::vector<ConfigKey> out;
  if (count == 0) {
    return out;
  }
  if (keys == nullptr) {
    return refuse(owner + " declares " + std::to_string(count) + " config keys but no table");
  }
  const uint32_t stride = keys[0].struct_size;
  if (Status st = checkSize(stride, kConfigKeyMinSize, owner + " config key table"); !st) {
    return st;
  }
  std::set<std::string> seen;
  const auto* base = reinterpret_cast<const char*>(keys);
  for (uint32_t i = 0; i < count; ++i) {
    const auto* k = reinterpret_cast<const sh_config_key_t*>(base + static_cast<size_t>(i) * stride);
    ConfigKey key{text(k->name), k->type, k->flags, std::nullopt, text(k->help)};
    if (k->default_json != nullptr) {
      key.default_json = k->default_json;
    }
    if (key.name.empty() || !seen.insert(key.name).second) {
      return refuse(owner + " config key " + std::to_string(i) + " has an empty or repeated name");
    }
    if (key.type < SH_CFG_STRING || key.type > SH_CFG_ANY) {
      return refuse(owner + " config key \"" + key.name + "\" has unknown type " + std::to_string(key.type));
    }
    if (Status st = ConfigSchema::checkDefault(key); !st) {
      return refuse(owner + ": " + st.message());
    }
    out.push_back(std::move(key));
  }
  return out;
}

Status checkFunctions(const sh_source_type_t& t, const std::string& owner) {
  const bool push = (t.flags & SH_CAP_PUSH) != 0;
  const std::pair<const char*, bool> required[] = {
      {"create", t.create != nullptr},   {"start", t.start != nullptr},
      {"stop", t.stop != nullptr},       {"destroy", t.destroy != nullptr},
      {push ? "handle_request" : "poll", push ? t.handle_request != nullptr : t.poll != nullptr},
  };
  for (const auto& [fn, present] : required) {
    if (!present) {
      return refuse(owner + " lacks " + fn + ", required for a " + (push ? "push" : "pull") + " type");
    }
  }
  return Status::ok();
}

Result<SourceTypeDesc> readSourceType(const sh_source_type_t* raw, uint32_t index) {
  std::string owner = "source type " + std::to_string(index);
  if (raw == nullptr) {
    return refuse(owner + " is NULL");
  }
  if (Status st = checkSize(raw->struct_size, kSourceTypeMinSize, owner); !st) {
    return st;
  }
  SourceTypeDesc d;
  d.vtable = copyPrefix(raw);
  d.name = text(d.vtable.name);
  if (!isValidTypeName(d.name)) {
    return refuse(owner + " has name \"" + d.name + "\", which is not [a-z0-9_]+");
  }
  owner = "source type \"" + d.name + "\"";
  d.description = text(d.vtable.description);
  d.flags = d.vtable.flags;
  d.connection_type = text(d.vtable.connection_type);
  if ((d.flags & SH_CAP_NEEDS_CONNECTION) != 0 && d.connection_type.empty()) {
    return refuse(owner + " needs a connection but names no connection_type");
  }
  if (Status st = checkFunctions(d.vtable, owner); !st) {
    return st;
  }
  auto keys = readConfigKeys(d.vtable.config_keys, d.vtable.config_key_count, owner);
  if (!keys) {
    return keys.status();
  }
  d.config_keys = std::move(*keys);
  return d;
}

Result<ConnectionTypeDesc> readConnectionType(const sh_connection_type_t* raw, uint32_t index) {
  std::string owner = "connection type " + std::to_string(index);
  if (raw == nullptr) {
    return refuse(owner + " is NULL");
  }
  if (Status st = checkSize(raw->struct_size, kConnectionTypeMinSize, owner); !st) {
    return st;
  }
  ConnectionTypeDesc d;
  d.vtable = copyPrefix(raw);
  d.name = text(d.vtable.name);
  if (!isValidTypeName(d.name)) {
    return refuse(owner + " has name \"" + d.name + "\", which is not [a-z0-9_]+");
  }
  d.description = text(d.vtable.description);
  auto keys = readConfigKeys(d.vtable.config_keys, d.vtable.config_key_count, "connection type \"" + d.name + "\"");
  if (!keys) {
    return keys.status();
  }
  d.config_keys = std::move(*keys);
  return d;
}

Status checkVersion(uint32_t plugin, uint32_t host) {
  if (SH_ABI_MAJOR_OF(plugin) != SH_ABI_MAJOR_OF(host)) {
    return Status(StatusCode::kUnsupported, "ABI major " + std::to_string(SH_ABI_MAJOR_OF(plugin)) +
                                                " (plugin) differs from " + std::to_string(SH_ABI_MAJOR_OF(host)) +
                                                " (host)");
  }
  if (SH_ABI_MINOR_OF(plugin) > SH_ABI_MINOR_OF(host)) {
    return Status(StatusCode::kUnsupported, "the plugin requires ABI " + abiVersionString(plugin) +
                                                " and this host provides ABI " + abiVersionString(host) +
                                                "; upgrade streamhost or use a build of the plugin for ABI " +
                                                abiVersionString(host));
  }
  return Status::ok();
}

Status readTypes(const sh_plugin_t& p, PluginDescriptor& out) {
  if (p.source_type_count > 0 && p.source_types == nullptr) {
    return refuse("plugin declares " + std::to_string(p.source_type_count) + " source types but no array");
  }
  if (p.connection_type_count > 0 && p.connection_types == nullptr) {
    return refuse("plugin declares " + std::to_string(p.connection_type_count) + " connection types but no array");
  }
  std::set<std::string> names;
  for (uint32_t i = 0; i < p.source_type_count; ++i) {
    auto t = readSourceType(p.source_types[i], i);
    if (!t) {
      return t.status();
    }
    if (!names.insert(t->name).second) {
      return refuse("source type \"" + t->name + "\" is declared twice");
    }
    out.source_types.push_back(std::move(*t));
  }
  names.clear();
  for (uint32_t i = 0; i < p.connection_type_count; ++i) {
    auto t = readConnectionType(p.connection_types[i], i);
    if (!t) {
      return t.status();
    }
    if (!names.insert(t->name).second) {
      return refuse("connection type \"" + t->name + "\" is declared twice");
    }
    out.connection_types.push_back(std::move(*t));
  }
  return Status::ok();
}

}  // namespace

bool isValidTypeName(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Result<PluginDescriptor> readDescriptor(const sh_plugin_t* plugin, uint32_t host_abi_version) {
  if (plugin == nullptr) {
    return refuse("entry returned SH_OK but no descriptor");
  }
  if (plugin->struct_size < offsetof(sh_plugin_t, abi_version) + sizeof(uint32_t)) {
    return refuse("descriptor struct_size " + std::to_string(plugin->struct_size) + " is too small to hold a version");
  }
  if (Status st = checkVersion(plugin->abi_version, host_abi_version); !st) {
    return st;
  }
  if (Status st = checkSize(plugin->struct_size, kPluginMinSize, "descriptor"); !st) {
    return st;
  }
  const sh_plugin_t p = copyPrefix(plugin);
  PluginDescriptor out;
  out.name = text(p.name);
  if (!isValidTypeName(out.name)) {
    return refuse("plugin name \"" + out.name + "\" is not [a-z0-9_]+");
  }
  out.version = text(p.version);
  out.description = text(p.description);
  out.abi_version = p.abi_version;
  out.opaque = p.opaque;  // zero when the plugin's struct ends before them (1.0)
  out.shutdown = p.shutdown;
  if (Status st = readTypes(p, out); !st) {
    return st;
  }
  return out;
}

}  // namespace streamhost::plugins
