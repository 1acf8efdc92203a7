#pragma once

#include <cstdint>
#include <filesystem>

#include "common/status.h"
#include "plugins/loaded_plugin.h"
#include "plugins/plugin_registry.h"
#include "plugins/plugin_report.h"

namespace streamhost::plugins {

/// Loads the `*.so` files of one directory (and nothing whose canonical path
/// lies outside it) through Boost.DLL with RTLD_LOCAL, negotiates the ABI and
/// validates each descriptor. Every refusal is one log line on
/// `streamhost.plugins`: `plugin refused file=<path> reason="<sentence>"`.
class PluginLoader {
 public:
  /// @param host_abi_version what the host announces; tests may pretend to be older.
  explicit PluginLoader(std::filesystem::path dir, uint32_t host_abi_version = SH_ABI_VERSION)
      : dir_(std::move(dir)), host_abi_version_(host_abi_version) {}

  /// Loads every plugin of the directory into `registry`, in file name order.
  /// A plugin whose type names clash with an earlier one is refused whole.
  PluginReport loadAll(PluginRegistry& registry) const;

  /// Loads and validates one file of the directory (no registry involved).
  /// @returns the refusal reason as the Status message.
  Result<LoadedPluginPtr> loadFile(const std::filesystem::path& file) const;

 private:
  Result<std::filesystem::path> resolveInside(const std::filesystem::path& file) const;

  std::filesystem::path dir_;
  uint32_t host_abi_version_;
};

}  // namespace streamhost::plugins
