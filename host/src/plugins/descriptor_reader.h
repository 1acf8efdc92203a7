#pragma once

#include <streamhost/plugin_abi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "plugins/plugin_types.h"

namespace streamhost::plugins {

/// The validated, host-owned copy of an `sh_plugin_t`.
struct PluginDescriptor {
  std::string name;
  std::string version;
  std::string description;
  uint32_t abi_version = 0;
  std::vector<SourceTypeDesc> source_types;
  std::vector<ConnectionTypeDesc> connection_types;
  void* opaque = nullptr;              ///< ABI 1.1
  void (*shutdown)(void*) = nullptr;  ///< ABI 1.1
};

/// Smallest struct_size values the host accepts: everything ABI 1.0 requires.
/// sh_source_type_t may end before `handle_request` (needed by push types only).
inline constexpr uint32_t kPluginMinSize = offsetof(sh_plugin_t, connection_type_count) + sizeof(uint32_t);
inline constexpr uint32_t kSourceTypeMinSize = offsetof(sh_source_type_t, handle_request);
inline constexpr uint32_t kConnectionTypeMinSize = offsetof(sh_connection_type_t, test) + sizeof(void*);
inline constexpr uint32_t kConfigKeyMinSize = offsetof(sh_config_key_t, help) + sizeof(const char*);
/// Larger than any plausible struct; a bigger struct_size means garbage.
inline constexpr uint32_t kMaxStructSize = 64 * 1024;

/// Checks and copies a plugin's descriptor: versions, sizes, names
/// ([a-z0-9_]+), required functions per capability flags, config key tables
/// (strided by the first key's struct_size) and their defaults. Reads no field
/// past a struct's struct_size.
/// @returns kInvalidArgument (or kUnsupported for a version mismatch) with one sentence.
Result<PluginDescriptor> readDescriptor(const sh_plugin_t* plugin, uint32_t host_abi_version);

/// Whether `name` is non-empty and only [a-z0-9_].
bool isValidTypeName(const std::string& name);

}  // namespace streamhost::plugins
